import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { capConnectionsPerAddress } from './connections-per-address.js';
import { idleTimeoutMs } from './unread-bodies.js';

/**
 * How often node looks for connections past their header or request timeout. Its default is
 * 30 s: a client sending its headers a byte at a time (slowloris) held its connection for 60 to
 * 70 s whatever headersTimeout said. Each look walks the connections still receiving a request,
 * which costs little once a second.
 */
export const CONNECTIONS_CHECKING_MS = 1000;

export interface ConnectionTimeouts {
  maxConnections: number;
  /** Of one client address (0 or null: no cap; null is a quarter of maxConnections in a loaded config). */
  maxConnectionsPerAddress?: number | null;
  headersTimeoutMs: number;
  /** Idle time of a connection between an answer and the next request (KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
  requestTimeoutMs: number;
  commitGraceMs?: number;
  bodyTimeoutMs: number;
  /** Bytes of answers held in all for clients that stopped reading them (0: no bound). */
  maxStalledAnswerBytes?: number;
}

/**
 * The service listener's bounds, from the configuration: at most MAX_CONNECTIONS connections
 * (each holds a descriptor and some memory; past the bound a flood of idle connections would
 * take the descriptors the database needs), at most MAX_CONNECTIONS_PER_ADDRESS of them from
 * one client address, headers within HEADERS_TIMEOUT_MS, the whole
 * request within what a call may take, no connection silent for longer than idleTimeoutMs
 * while a request is on it, nor for longer than KEEP_ALIVE_TIMEOUT_MS between two requests.
 * Set when the port is bound, so they hold while the service starts too.
 */
export function applyConnectionBounds(server: Server, config: ConnectionTimeouts): void {
  server.maxConnections = config.maxConnections;
  capConnectionsPerAddress(server, config.maxConnectionsPerAddress ?? 0);
  server.headersTimeout = config.headersTimeoutMs;
  // node requires requestTimeout >= headersTimeout.
  server.requestTimeout = Math.max(config.requestTimeoutMs + 5000, 30000, config.headersTimeoutMs);
  server.timeout = idleTimeoutMs(config);
  // node's default of 5 s closed idle connections that client pools (.NET Framework: 100 s)
  // and load balancers in front (AWS ALB: 60 s) still held: their next POST failed ("a
  // connection that was expected to be kept alive was closed by the server"), and a SOAP POST
  // is not retried. Between two requests node sets this as the socket's timeout in place of
  // server.timeout (and restores server.timeout when the next request arrives), so it may be
  // the longer of the two. headersTimeout counts from a request's first byte, not from the
  // last answer, so an idle wait longer than it is not cut either. node advertises it as
  // Keep-Alive: timeout=N (seconds, rounded down) and closes 1 s after that, so a client
  // reusing a connection up to the advertised time does not race the close.
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  closeStalledAnswers(server, server.timeout, config.maxStalledAnswerBytes ?? 0);
}

/** What of a connection moves while it is alive: bytes read, its answer's bytes taken. */
interface Progress {
  read: number;
  buffered: number;
  queued: number;
  /** When this state was first seen. */
  since: number;
}

/**
 * Closes the connections whose answer has not moved for `idleMs`: a client that stops reading
 * (keeps sending, never reads). node's idle timeout (server.timeout) does not fire for them at
 * `idleMs`: a write still in flight when it fires ("an active write in progress") puts it off
 * once more, so such a connection, and the answers buffered for it, lived twice as long (16 s
 * for an 8 s timeout). Here a look once a second (CONNECTIONS_CHECKING_MS) at each connection
 * with an answer being written: its bytes read, the bytes of its answers still buffered and
 * still queued to the socket (the field node's own timeout reads); unchanged for `idleMs`, the
 * connection is destroyed. A connection with nothing to write is left to node's timeout, which
 * holds there.
 *
 * Each such connection holds its answer (up to PAGE_MAX_BYTES, 8 MiB, for a page of leads)
 * until then: a few hundred clients asking for pages and never reading them held gigabytes.
 * So, past `maxStalledBytes` (0: no bound) held in all by connections unchanged since the last
 * look, those are destroyed, the one holding the most first, until the rest fit. A connection
 * whose answer moved since the last look is never one of them.
 */
export function closeStalledAnswers(server: Server, idleMs: number, maxStalledBytes = 0): void {
  const connections = new Map<Socket, Progress | null>();
  server.on('connection', (socket: Socket) => {
    connections.set(socket, null);
    socket.once('close', () => connections.delete(socket));
  });
  const look = setInterval(() => {
    const now = Date.now();
    const stalled: Array<[Socket, number]> = [];
    let stalledBytes = 0;
    for (const [socket, seen] of connections) {
      const buffered = socket.writableLength;
      if (buffered === 0) {
        if (seen) connections.set(socket, null);
        continue;
      }
      const read = socket.bytesRead;
      const queued = (socket as { _handle?: { writeQueueSize?: number } })._handle?.writeQueueSize;
      const state = { read, buffered, queued: queued ?? 0 };
      if (
        !seen ||
        seen.read !== state.read ||
        seen.buffered !== state.buffered ||
        seen.queued !== state.queued
      )
        connections.set(socket, { ...state, since: now });
      else if (now - seen.since >= idleMs) socket.destroy();
      else if (maxStalledBytes > 0) {
        stalled.push([socket, buffered]);
        stalledBytes += buffered;
      }
    }
    if (stalledBytes > maxStalledBytes) closeLargestFirst(stalled, stalledBytes - maxStalledBytes);
  }, CONNECTIONS_CHECKING_MS);
  look.unref();
  server.once('close', () => clearInterval(look));
}

/** Destroys the connections holding the most until at least `excess` bytes are let go. */
function closeLargestFirst(stalled: Array<[Socket, number]>, excess: number): void {
  stalled.sort((a, b) => b[1] - a[1]);
  for (const [socket, bytes] of stalled) {
    if (excess <= 0) return;
    socket.destroy();
    excess -= bytes;
  }
}

const drains = new WeakMap<Server, () => void>();

/**
 * Lets drainConnections end `server`'s keep-alive connections. server.close() stops accepting
 * and closes the connections idle at that moment, but a connection whose answer was in flight
 * was kept alive after it: the process waited for the client to close it or for the keep-alive
 * wait (KEEP_ALIVE_TIMEOUT_MS, each further request on it served and renewing the wait). Set when
 * the port is bound; it costs an entry in a set per request in flight.
 */
export function endKeepAliveOnDrain(server: Server): void {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  const settled = function (this: ServerResponse) {
    inFlight.delete(this);
  };
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining) return lastOnItsConnection(res);
    inFlight.add(res);
    res.on('close', settled);
  });
  drains.set(server, () => {
    draining = true;
    // An answer whose head is already sent: its connection closes at once once it is written
    // (node arms this timeout on each connection when its last answer is written).
    server.keepAliveTimeout = 1;
    for (const res of inFlight) lastOnItsConnection(res);
    inFlight.clear();
    server.closeIdleConnections();
  });
}

/** The answer says `Connection: close` (node then ends the connection after it), if not sent yet. */
function lastOnItsConnection(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}

/**
 * The start of a stop: idle keep-alive connections are closed, answers in flight end theirs
 * (`Connection: close`), requests still arriving on them are answered the same way.
 */
export function drainConnections(server: Server): void {
  drains.get(server)?.();
}
