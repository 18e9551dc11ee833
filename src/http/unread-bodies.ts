import type { IncomingMessage, RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import { MACHINE_ANSWER_HEADERS, VERSIONLESS_TEXT } from './protocol-answers.js';

/** A request that announces a body: chunked, or a length other than 0. */
export function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * `listener`, with a bound on the body of a request no handler reads. After answering a GET,
 * an OPTIONS or a PUT whose body nobody read (the WSDL, /healthz, a page), node reads and
 * discards the rest of it to keep the connection: without end, for as long as the client
 * sends, from anyone. Here at most `capBytes` more are read after the answer, and only until
 * `timeoutMs` (BODY_TIMEOUT_MS) after the request arrived, then the connection closes. A POST
 * is left as it is: every POST route reads its body, or discards it up to the same bounds
 * itself, and the check would be paid by the hottest calls.
 */
export function boundUnreadBodies(
  listener: RequestListener,
  capBytes: number,
  timeoutMs: number,
): RequestListener {
  return (req, res) => {
    if (req.method !== 'POST' && announcesBody(req)) {
      const deadline = Date.now() + timeoutMs;
      res.once('finish', () => {
        if (req.complete) return;
        // Counted on the socket: node drops what it discards before it reaches the request.
        const socket = req.socket;
        const from = socket.bytesRead;
        const stop = () => {
          clearTimeout(timer);
          socket.off('data', onData);
        };
        const onData = () => {
          if (req.complete) stop();
          else if (socket.bytesRead - from > capBytes) {
            stop();
            socket.destroy();
          }
        };
        // A body trickling in after its time: the connection goes (as a late body's 408 does).
        const timer = setTimeout(
          () => {
            stop();
            if (!req.complete) socket.destroy();
          },
          Math.max(0, deadline - Date.now()),
        );
        socket.on('data', onData);
        socket.once('close', stop);
      });
    }
    listener(req, res);
  };
}

/**
 * `listener`, for requests framed as a proxy in front reads them too. node reads them otherwise:
 *
 * - An HTTP/1.0 request with a Transfer-Encoding: HTTP/1.0 has no transfer coding, so a proxy
 *   speaking it takes the chunks for a body read to the connection's end, while node read them
 *   as chunks and the bytes after them as a request of its own, on a connection it kept alive.
 *   RFC 9112 §6.1: the framing is faulty and the connection closes. Answered 400 before a byte
 *   of the body is read; the connection closes.
 * - A request line without a version (HTTP/0.9) followed by an empty line: node reads it as a
 *   request of version 0.9 and its answer would have had a status line and headers, which an
 *   HTTP/0.9 client does not read. Answered 400 (as the same line alone is, at once, by
 *   refuseVersionlessRequests); the connection closes.
 * - A request asking to upgrade (an Upgrade header, with Connection: Upgrade): node stops
 *   reading at its end and drops what came after it in the same read, unanswered, yet keeps
 *   the connection, so a proxy pipelining behind it would take the next answer for the
 *   dropped request's. No upgrade is served here: the request is answered as any other, and
 *   the connection closes after its answer.
 */
export function soundFraming(listener: RequestListener): RequestListener {
  return (req, res) => {
    const versionless = req.httpVersionMajor === 0;
    if (
      versionless ||
      (req.headers['transfer-encoding'] !== undefined &&
        req.httpVersionMajor === 1 &&
        req.httpVersionMinor === 0)
    ) {
      const text = versionless
        ? VERSIONLESS_TEXT
        : 'Transfer-Encoding is not read on an HTTP/1.0 request\n';
      res.writeHead(400, {
        ...MACHINE_ANSWER_HEADERS,
        Connection: 'close',
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    if (req.headers.upgrade !== undefined) res.setHeader('Connection', 'close');
    listener(req, res);
  };
}

/**
 * `listener`, for requests whose Transfer-Encoding is chunked alone (or absent). node undoes
 * the chunking of "gzip, chunked" (any coding before chunked) but not the coding itself, so
 * such a body was read as it came: a proxy that decodes it, or the client that applied it,
 * meant another body than the one the service would act on. RFC 9112 §6.1: a coding the
 * server does not implement is 501. Answered before a byte of the body is read; the
 * connection closes.
 */
export function onlyChunkedCoding(listener: RequestListener): RequestListener {
  return (req, res) => {
    const coding = req.headers['transfer-encoding'];
    if (coding === undefined || coding === 'chunked' || coding.trim().toLowerCase() === 'chunked')
      return listener(req, res);
    const text = 'Transfer-Encoding other than chunked is not implemented\n';
    res.writeHead(501, {
      ...MACHINE_ANSWER_HEADERS,
      Connection: 'close',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };
}

/**
 * How long a connection may see no byte move either way (server.timeout): a client that stops
 * reading its answer held the connection, and the answer's buffers, for ever. Longer than a
 * call may compute (REQUEST_TIMEOUT_MS, and COMMIT_GRACE_MS more for one being committed then)
 * or a body may take to arrive (BODY_TIMEOUT_MS).
 */
export function idleTimeoutMs(config: {
  requestTimeoutMs: number;
  bodyTimeoutMs: number;
  commitGraceMs?: number;
}): number {
  return (
    Math.max(config.requestTimeoutMs + (config.commitGraceMs ?? 0), config.bodyTimeoutMs) + 5000
  );
}

/**
 * `listener`, run for a request only once the connection has answered every request before
 * it, and only if that connection is to carry another one. node parses requests pipelined on
 * one connection as they arrive and hands each to the listener at once; when an earlier answer
 * ends the connection (Connection: close after a forged one-click token, a refused SOAP body),
 * the later requests' answers are never sent, but their handlers ran: a one-click POST behind a
 * forged one unsubscribed its address, a SOAP write behind a refused call was stored. Here such
 * a request reaches no route; node discards it with the connection. A request that is not
 * queued (nearly all) costs two property reads.
 *
 * At most `maxQueued` requests wait on one connection (MAX_PIPELINED_REQUESTS): node keeps
 * every request it parsed, and stops reading a connection only once its answers pile up
 * unsent, so a client holding the first answer back (a slow call) and pipelining behind it had
 * the server keep as many requests as it cared to send. The connection sending one more is
 * closed, its waiting requests dropped unanswered and without effect.
 */
export function inTurn(listener: RequestListener, maxQueued: number): RequestListener {
  const ifOpen: RequestListener = (req, res) => {
    // The answer before ended the connection: its end is being written, or it is gone.
    const socket = req.socket;
    if (socket.writableEnded || socket.destroyed) return;
    listener(req, res);
  };
  // Requests waiting on each connection that has any (entries go with their connection).
  const waiting = new WeakMap<Socket, number>();
  return (req, res) => {
    // node gives the answer its socket at once unless an earlier answer still holds it.
    if (res.socket !== null) {
      ifOpen(req, res);
      return;
    }
    const socket = req.socket;
    const before = waiting.get(socket) ?? 0;
    if (before >= maxQueued) {
      socket.destroy();
      return;
    }
    waiting.set(socket, before + 1);
    let counted = true;
    const leave = () => {
      if (!counted) return;
      counted = false;
      waiting.set(socket, (waiting.get(socket) ?? 1) - 1);
    };
    const run = () => {
      req.off('close', drop);
      leave();
      ifOpen(req, res);
    };
    const drop = () => {
      res.off('socket', run);
      leave();
    };
    res.once('socket', run);
    // The connection closed first (node destroys the requests still queued on it).
    req.once('close', drop);
  };
}
