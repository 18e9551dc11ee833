import type { IncomingMessage, RequestListener } from 'node:http';

/** A request that announces a body: chunked, or a length other than 0. */
function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * `listener`, with a bound on the body of a request no handler reads. After answering a GET,
 * an OPTIONS or a PUT whose body nobody read (the WSDL, /healthz, a page), node reads and
 * discards the rest of it to keep the connection: without end, for as long as the client
 * sends, from anyone. Here at most `capBytes` more are read after the answer, then the
 * connection closes. A POST is left as it is: every POST route reads its body, or discards it
 * up to the same bound itself, and the check would be paid by the hottest calls.
 */
export function boundUnreadBodies(listener: RequestListener, capBytes: number): RequestListener {
  return (req, res) => {
    if (req.method !== 'POST' && announcesBody(req)) {
      res.once('finish', () => {
        if (req.complete) return;
        // Counted on the socket: node drops what it discards before it reaches the request.
        const socket = req.socket;
        const from = socket.bytesRead;
        const onData = () => {
          if (req.complete) socket.off('data', onData);
          else if (socket.bytesRead - from > capBytes) {
            socket.off('data', onData);
            socket.destroy();
          }
        };
        socket.on('data', onData);
      });
    }
    listener(req, res);
  };
}

/**
 * How long a connection may see no byte move either way (server.timeout): a client that stops
 * reading its answer held the connection, and the answer's buffers, for ever. Longer than a
 * call may compute (REQUEST_TIMEOUT_MS) or a body may take to arrive (BODY_TIMEOUT_MS).
 */
export function idleTimeoutMs(config: { requestTimeoutMs: number; bodyTimeoutMs: number }): number {
  return Math.max(config.requestTimeoutMs, config.bodyTimeoutMs) + 5000;
}
