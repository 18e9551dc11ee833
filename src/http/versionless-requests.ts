import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** What of node's request parser (lib/_http_server.js, its HTTPParser) is used here. */
interface Parser {
  [callback: number]: unknown;
  /** The request of the connection being parsed: set once a request's head is complete. */
  incoming?: unknown;
  /** A copy of the bytes just parsed; only during the callback after each read. */
  getCurrentBuffer?: () => Buffer;
}

/** How many of the request line's last bytes are kept, while it arrives, to find its version. */
const TAIL_BYTES = 16;
/** A request line's end when it names its version (`GET / HTTP/1.1`): a space, a name, digits. */
const ENDS_WITH_VERSION = / [A-Za-z]+\/\d\.\d$/;
const LF = 0x0a;
const CR = 0x0d;

/**
 * A connection of `server` whose first request line ends without an HTTP version (HTTP/0.9:
 * `GET /healthz` and its line end, no header to follow) is answered `answer` and closed as
 * soon as that line has arrived. node's parser takes such a line for the start of a request
 * whose headers are still to come, and held the connection until the header timeout
 * (HEADERS_TIMEOUT_MS), to answer 408 then.
 *
 * node hands none of a connection's bytes to JavaScript before a request's head is complete
 * (its parser reads the socket itself), but after each read it calls the parser's kOnExecute
 * callback, during which the parser's getCurrentBuffer() copies the bytes just read. Neither is
 * documented (lib/_http_server.js, onParserExecute): test/unit/node-connection-internals.test.ts
 * pins them, and where they are missing nothing is looked at (the 408 comes as before). The
 * callback is wrapped on each new connection until a request has begun on it or its first
 * request line has ended: for nearly every connection, its first read, whose bytes are not
 * copied while its request is in flight (and are, once, when its answer was written at once
 * and the request let go). While a request line is arriving (a client sending it a few bytes
 * at a time) each read is copied once, as far as the parser's own size limit lets it grow.
 *
 * A later request on a kept-alive connection is not looked at: a client that spoke HTTP/1.1
 * first does not fall back to 0.9, and a versionless line there still ends at the timeout. A
 * versionless line followed by an empty line reaches the listener as a request of version 0.9;
 * soundFraming answers it.
 */
export function refuseVersionlessRequests(server: Server, answer: Buffer): void {
  server.on('connection', (socket: Socket) => watchRequestLine(socket, answer));
}

/** Answers and closes `socket` if its first request line ends without a version. */
function watchRequestLine(socket: Socket, answer: Buffer): void {
  const attached = (socket as Socket & { parser?: Parser }).parser;
  if (!attached) return;
  const parser: Parser = attached;
  const key = (parser.constructor as { kOnExecute?: unknown }).kOnExecute;
  if (typeof key !== 'number') return;
  const executed = parser[key];
  if (typeof executed !== 'function' || typeof parser.getCurrentBuffer !== 'function') return;
  let tail = '';
  let lineStarted = false;
  const unwatch = () => {
    if (parser[key] === watching) parser[key] = executed;
  };
  function watching(this: unknown, ret: unknown) {
    // The parser's callback first, as without the watch. The bytes of the read stay there
    // until this callback returns.
    const result: unknown = (executed as (this: unknown, ret: unknown) => unknown).call(this, ret);
    // A request began (its answer may already be written, and the request let go: then the
    // line is looked at once, and has its version), or the parser refused the bytes.
    if (ret instanceof Error || parser.incoming || socket.destroyed) {
      unwatch();
      return result;
    }
    const bytes = parser.getCurrentBuffer!();
    let from = 0;
    // Empty lines before a request line are skipped, as the parser skips them.
    if (!lineStarted) {
      while (from < bytes.length && (bytes[from] === CR || bytes[from] === LF)) from++;
      if (from === bytes.length) return result;
      lineStarted = true;
    }
    const end = bytes.indexOf(LF, from);
    const upTo = end === -1 ? bytes.length : end;
    tail = (tail + bytes.toString('latin1', Math.max(from, upTo - TAIL_BYTES), upTo)).slice(
      -TAIL_BYTES,
    );
    if (end === -1) return result;
    unwatch();
    if (!ENDS_WITH_VERSION.test(tail.endsWith('\r') ? tail.slice(0, -1) : tail)) {
      if (socket.writable) socket.write(answer);
      socket.destroy();
    }
    return result;
  }
  parser[key] = watching;
}
