import type { Server } from 'node:http';

/**
 * `server` answers a client that sends its whole request and then shuts down its sending side
 * (shutdown(SHUT_WR): `nc -N`, monitoring probes, HTTP/1.0 scripts), and then closes the
 * connection. node's default (httpAllowHalfOpen false) ended the connection as soon as the
 * client's side ended, so every answer not already written was lost: a SOAP call stored and
 * never confirmed, a health probe failed.
 *
 * httpAllowHalfOpen is node's own switch (lib/_http_server.js, socketOnEnd) but is not in its
 * documentation: test/unit/node-connection-internals.test.ts pins what it does, and fails if a
 * node release changes it. With it on, when the client's side ends node:
 * - with a request still incomplete (head or body cut short): reports a parse error, which
 *   answerProtocolErrors answers 400 and closes at once; nothing of the request is applied.
 * - with requests answered or waiting to be: answers each of them, in order, and closes the
 *   connection after the last (that answer is marked the last one on it).
 * - with nothing in flight: closes at once.
 * Whatever is still in flight stays under the usual bounds (the idle timeout, the stalled
 * answers' look), so no connection outlives them.
 */
export function answerHalfClosed(server: Server): void {
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
}
