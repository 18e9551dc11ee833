import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { AppError, ErrorCode } from '../errors.js';

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
 * After refusing a body, read and discard what the client is still sending (up to this much)
 * before answering: a client that is still writing when the connection closes sees EPIPE
 * instead of our fault.
 */
const DRAIN_CAP_BYTES = 64 * 1024 * 1024;

/** Discards the rest of a refused request, then settles; gives up (and closes) past the cap. */
export function drainThen(req: IncomingMessage, settle: () => void): void {
  if (req.readableEnded || req.destroyed) return settle();
  let drained = 0;
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_CAP_BYTES) done();
  };
  const done = () => {
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
    if (Number.isFinite(declared) && declared > limit) {
      if (declared > DRAIN_CAP_BYTES) {
        req.resume();
        reject(tooLarge(limit));
      } else drainThen(req, () => reject(tooLarge(limit)));
      return;
    }
    let source: NodeJS.ReadableStream = req;
    let inflate: Transform | null;
    try {
      inflate = decoder(req.headers['content-encoding']);
    } catch (error) {
      drainThen(req, () => reject(error));
      return;
    }
    if (inflate) source = req.pipe(inflate);
    const chunks: Buffer[] = [];
    let size = 0;
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
    /** drain: read the rest before answering (not for slow senders: they would hold us). */
    const finish = (error: unknown, drain: boolean, body?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!error) return resolve(body!);
      if (inflate) {
        req.unpipe(inflate);
        inflate.destroy();
      }
      if (drain) drainThen(req, () => reject(error));
      else {
        req.resume();
        reject(error);
      }
    };
    let headOutcome: Promise<unknown> | null = null;
    let headLooked = false;
    // Looked at again only once it has doubled: a sender trickling a byte at a time must not
    // make us scan the same start over and over (that would cost the square of its length).
    let lookAgainAt = 0;
    const lookAtHead = () => {
      const atLimit = size >= head!.bytes;
      if (atLimit) headLooked = true; // once only: never concatenate more than the head again
      lookAgainAt = Math.max(size * 2, size + 512);
      const start = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
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
    source.on('data', (chunk: Buffer) => {
      if (done) return; // refused: what still arrives is being discarded, not kept
      size += chunk.length;
      if (size > limit) return finish(tooLarge(limit), true);
      chunks.push(chunk);
      if (
        head &&
        !headLooked &&
        !headOutcome &&
        !done &&
        (size >= lookAgainAt || size >= head.bytes)
      )
        lookAtHead();
    });
    // One chunk (most requests) is the body as it is, not a copy of it.
    const body = () => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
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

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes UTF-8 strictly (a BOM is dropped); invalid bytes are the caller's error. */
export function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new AppError(ErrorCode.REQUEST_NOT_UNDERSTOOD, 'Request body is not valid UTF-8');
  }
}
