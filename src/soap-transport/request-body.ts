import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { AppError, ErrorCode } from '../errors.js';
import { BodyPieces } from './body-pieces.js';
import { awaitsContinue } from '../http/continue-on-read.js';

const tooLarge = (limit: number) =>
  new AppError(ErrorCode.REQUEST_TOO_LARGE, `Request body larger than ${limit} bytes`);

function decoder(encoding: string | undefined): Transform | null {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case 'identity':
    case '':
      return null;
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      throw new AppError(ErrorCode.REQUEST_NOT_UNDERSTOOD, 'Unsupported Content-Encoding');
  }
}

/**
 * After refusing a body, what the client is still sending is read and discarded before the
 * answer (a client still writing when the connection closes sees EPIPE instead of our fault),
 * but no more than this many times the listener's body limit: a refused request, most often
 * an unauthenticated one, must not make us read without end. Past it the answer closes the
 * connection (closeWhenBodyUnread) and the rest is never read.
 */
const REFUSED_DRAIN_FACTOR = 4;

/**
 * Bytes taken off a body's connection, framing included, per byte of body a read or a discard
 * allows. A chunk's framing is bytes of no body: its size line, its line ends and its
 * extensions (node takes up to 16 KiB of them on each chunk, and drops them). Bounded by bytes
 * of body alone, one byte per chunk behind 16 KB of extension kept the server reading some
 * 16,000 bytes per byte counted, for the whole body timeout and before anyone was
 * authenticated. One-byte chunks without extensions take 6 bytes per byte; 8 leaves them room.
 * A refused body's discard counts the connection's bytes alone (refusedDrainBytes).
 */
const WIRE_BYTES_PER_BODY_BYTE = 8;

/** Whether the bytes taken off `req`'s connection from now on are past `most`. */
function wireFrom(req: IncomingMessage, most: number): () => boolean {
  const socket = req.socket as IncomingMessage['socket'] | null;
  const from = socket?.bytesRead ?? 0;
  return () => (socket?.bytesRead ?? from) - from > most;
}

/** Bytes of a refused body read and discarded at most, for a listener whose limit is `limit`. */
export function refusedDrainBytes(limit: number): number {
  return REFUSED_DRAIN_FACTOR * limit;
}

/**
 * Discards the rest of a refused request, then settles; stops reading past `capBytes` or after
 * `timeoutMs` (BODY_TIMEOUT_MS, or what is left of it: a sender trickling its body must not
 * hold the connection until node's request timeout); one whose declared length is past
 * `capBytes` is not read at all. The request then stays incomplete, and its answer must close
 * the connection.
 */
export function drainThen(
  req: IncomingMessage,
  capBytes: number,
  timeoutMs: number,
  settle: () => void,
): void {
  if (req.readableEnded || req.destroyed) return settle();
  // The client holds its body back until asked (Expect: 100-continue): it is not asked, and
  // the answer closes the connection (node keeps none whose client still holds a body).
  if (awaitsContinue(req)) return settle();
  // Declared past the bound, the body can never be discarded whole: read up to the bound (or
  // for the whole timeout, when it comes slowly) it only cost bytes and held the answer back.
  // Not read at all, as readBody refuses such a body.
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (timeoutMs <= 0 || declared > capBytes) {
    req.pause();
    return settle();
  }
  let drained = 0;
  let settled = false;
  const stop = () => {
    req.pause();
    done();
  };
  // What is discarded is counted as taken off the connection, framing included.
  const pastWire = wireFrom(req, capBytes);
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > capBytes || pastWire()) stop();
  };
  const timer = setTimeout(stop, timeoutMs);
  const done = () => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', done);
    req.off('close', done);
    settle();
  };
  req.on('data', onData);
  req.once('end', done);
  req.once('close', done);
  req.resume();
}

/** A look at the start of a body while the rest is still arriving. */
export interface HeadCheck {
  /** Bytes of the body's start to offer at most. */
  bytes: number;
  /**
   * Called as the start arrives with up to `bytes` of it (`atLimit`: no more will be offered;
   * `whole`: this is the whole body, all its declared length arrived, uncompressed).
   * Returns null to see more, or the outcome of checking it: the read pauses until it settles;
   * a rejection ends the read (the rest is discarded, never kept) and is readBody's rejection.
   */
  check: (head: Buffer, atLimit: boolean, whole: boolean) => Promise<unknown> | null;
}

/**
 * Reads a request body up to `limit` bytes after decompression. Counting happens as data
 * inflates, so a small compressed body that would inflate to gigabytes is stopped at the limit.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number,
  head?: HeadCheck,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const drainCap = refusedDrainBytes(limit);
    const deadline = Date.now() + timeoutMs;
    const drain = (settle: () => void) => drainThen(req, drainCap, deadline - Date.now(), settle);
    if (Number.isFinite(declared) && declared > limit) {
      // Too large to discard: answered at once, and the connection closed (never read).
      if (declared > drainCap) reject(tooLarge(limit));
      else drain(() => reject(tooLarge(limit)));
      return;
    }
    let source: NodeJS.ReadableStream = req;
    let inflate: Transform | null;
    try {
      inflate = decoder(req.headers['content-encoding']);
    } catch (error) {
      drain(() => reject(error));
      return;
    }
    if (inflate) source = req.pipe(inflate);
    const pieces = new BodyPieces();
    let done = false;
    const timer = setTimeout(
      () =>
        finish(
          new AppError(
            ErrorCode.REQUEST_TIMEOUT,
            `Request body not received within ${timeoutMs} ms`,
          ),
          false,
        ),
      timeoutMs,
    );
    /**
     * discard: read the rest before answering, within what is left of the body's time (not
     * for slow senders: they would hold us).
     */
    const finish = (error: unknown, discard: boolean, body?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!error) return resolve(body!);
      if (inflate) {
        req.unpipe(inflate);
        inflate.destroy();
      }
      if (discard) drain(() => reject(error));
      else reject(error);
    };
    let headOutcome: Promise<unknown> | null = null;
    let headLooked = false;
    // Looked at again only once it has doubled: a sender trickling a byte at a time must not
    // make us scan the same start over and over (that would cost the square of its length).
    let lookAgainAt = 0;
    const lookAtHead = () => {
      const size = pieces.size;
      const atLimit = size >= head!.bytes;
      if (atLimit) headLooked = true; // once only: never concatenate more than the head again
      lookAgainAt = Math.max(size * 2, size + 512);
      const start = pieces.all();
      const whole = !inflate && size === declared;
      try {
        headOutcome = head!.check(
          atLimit ? start.subarray(0, head!.bytes) : start,
          atLimit,
          whole && !atLimit,
        );
      } catch (error) {
        headOutcome = Promise.reject(error);
      }
      if (!headOutcome) return;
      // Nothing more is taken in while the head is being checked (the sender waits, by TCP's
      // flow control): a refused request has its rest discarded, never buffered.
      source.pause();
      headOutcome.then(
        () => {
          if (!done) source.resume();
        },
        (error: unknown) => finish(error, true),
      );
    };
    const pastWire = wireFrom(req, WIRE_BYTES_PER_BODY_BYTE * limit);
    source.on('data', (chunk: Buffer) => {
      if (done) return; // refused: what still arrives is being discarded, not kept
      if (pieces.size + chunk.length > limit || pastWire()) return finish(tooLarge(limit), true);
      pieces.add(chunk);
      if (
        head &&
        !headLooked &&
        !headOutcome &&
        !done &&
        (pieces.size >= lookAgainAt || pieces.size >= head.bytes)
      )
        lookAtHead();
    });
    // One piece (most requests) is the body as it is, not a copy of it.
    const body = () => pieces.all();
    source.on('end', () => {
      if (!headOutcome) return finish(null, false, body());
      headOutcome.then(
        () => finish(null, false, body()),
        (error: unknown) => finish(error, true),
      );
    });
    source.on('error', () =>
      finish(
        new AppError(
          ErrorCode.REQUEST_NOT_UNDERSTOOD,
          'Request body could not be read or decompressed',
        ),
        true,
      ),
    );
    req.on('aborted', () =>
      finish(new AppError(ErrorCode.REQUEST_NOT_UNDERSTOOD, 'Request aborted'), false),
    );
  });
}
