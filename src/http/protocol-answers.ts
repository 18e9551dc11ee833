import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { continueOnRead, expectsNothing } from './continue-on-read.js';
import { answerHalfClosed } from './half-close.js';
import { refuseVersionlessRequests } from './versionless-requests.js';

/**
 * What no answer of the service may be: indexed, referred from (a URL may hold a token or a
 * path secret), sniffed into another type than it says, shown in a frame.
 */
const PROTECTIVE_HEADERS = {
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'X-Robots-Tag': 'noindex, nofollow',
} as const;

/**
 * Headers every answer carries that may concern an unsubscribe link: never cached, never
 * indexed, no referrer (the URL holds the token), no sniffing, never in a frame.
 */
export const SAFE_ANSWER_HEADERS = {
  'Cache-Control': 'no-store',
  ...PROTECTIVE_HEADERS,
} as const;

/**
 * An answer that is no page (XML, JSON, plain text): a browser led to it runs nothing, loads
 * nothing and frames it nowhere, whatever the text holds (a lead's field echoed in a fault).
 */
const NOT_A_PAGE = { 'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'" };

/**
 * The machine answers of the main port (SOAP answers and faults, /healthz, /readyz, its own
 * refusals): per caller or of the moment, so never stored either.
 */
export const MACHINE_ANSWER_HEADERS = { ...SAFE_ANSWER_HEADERS, ...NOT_A_PAGE } as const;

/**
 * The same as writeHead's raw list (name, value, name, value...), made once, for answers
 * written per call (sendXml): node takes such a list as it is when no header was set before.
 */
export const MACHINE_ANSWER_RAW: readonly string[] = Object.entries(MACHINE_ANSWER_HEADERS).flat();

/**
 * A WSDL or schema: the same for every caller of a host and as cacheable as it always was
 * (no Cache-Control), protected as every other answer.
 */
export const DOCUMENT_HEADERS = { ...PROTECTIVE_HEADERS, ...NOT_A_PAGE } as const;

/** What node would answer for each parser or timeout error it reports, as [status, reason, text]. */
const REFUSALS: Record<string, readonly [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'Request headers too large.'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large', 'Chunk extensions too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'Request not received in time.'],
};
const MALFORMED = [400, 'Bad Request', 'Malformed request.'] as const;

function rawAnswer([status, reason, text]: readonly [number, string, string]): Buffer {
  const body = `${text}\n`;
  const headers = {
    ...SAFE_ANSWER_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return Buffer.from(`HTTP/1.1 ${status} ${reason}\r\n${lines.join('')}\r\n${body}`, 'latin1');
}

const ANSWERS = new Map(
  Object.entries(REFUSALS).map(([code, refusal]) => [code, rawAnswer(refusal)]),
);
const MALFORMED_ANSWER = rawAnswer(MALFORMED);
const CONNECT_ANSWER = rawAnswer([501, 'Not Implemented', 'CONNECT is not served here.']);
/** The text of the answer to a request of no HTTP/1.x version (HTTP/0.9). */
export const VERSIONLESS_TEXT = 'A request line ends with its version, HTTP/1.0 or HTTP/1.1.\n';
const VERSIONLESS_ANSWER = rawAnswer([400, 'Bad Request', VERSIONLESS_TEXT.trimEnd()]);

const EXPECTATION_TEXT = 'Only Expect: 100-continue is understood.\n';

/**
 * What `server` answers itself, before any request listener runs, made to carry the headers
 * every other answer does (SAFE_ANSWER_HEADERS):
 *
 * - a request node cannot parse (a bad request line, headers past their size limit, a length
 *   and chunks together, two lengths) or one that missed its headers or request timeout.
 *   node's own answer is a bare status line (`HTTP/1.1 400 Bad Request`, `Connection: close`):
 *   a URL of /u/<token> too long to parse was answered without no-store or no-referrer.
 *   As node does, the answer is written only if no answer on the connection has started, and
 *   the connection is closed after it.
 * - a CONNECT, which node met by closing the connection without a word.
 * - an Expect other than 100-continue. node's own answer was a bare 417 that kept the
 *   connection, reading and discarding the body after it (whatever its length, until the
 *   request timeout): here the answer closes the connection, the body unread.
 *
 * - a first request line without an HTTP version (HTTP/0.9), answered 400 as soon as the line
 *   has arrived (refuseVersionlessRequests), not 408 at the header timeout.
 *
 * An `Expect: 100-continue` is answered when the body is first read (continueOnRead), not
 * before any route has looked at the request. A client that half-closes the connection after
 * its request is answered before the connection closes (answerHalfClosed).
 *
 * And every header a request sends is kept (server.maxHeadersCount = 0; how many there can
 * be is bounded by node's limit on their size, 16 KiB): past node's default count of 2000
 * the rest were dropped from req.headers while node's parser still read them, so a
 * Transfer-Encoding or Content-Length sent after 2000 others framed the body and escaped every
 * check of it (the transfer codings refused, a body nobody reads bounded).
 */
export function answerProtocolErrors(server: Server): void {
  server.maxHeadersCount = 0;
  continueOnRead(server);
  answerHalfClosed(server);
  refuseVersionlessRequests(server, VERSIONLESS_ANSWER);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as { _httpMessage?: { _headerSent?: boolean } | null })._httpMessage;
    if (socket.writable && !inFlight?._headerSent) {
      socket.write((error.code && ANSWERS.get(error.code)) || MALFORMED_ANSWER);
    }
    socket.destroy();
  });
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    if (socket.writable) socket.write(CONNECT_ANSWER);
    socket.destroy();
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    // An Expect line asking nothing (Python's http.client writes a blanked header so) is
    // served as without it, as node serves a request without Expect.
    if (expectsNothing(req.headers.expect)) {
      server.emit('request', req, res);
      return;
    }
    res.writeHead(417, {
      ...SAFE_ANSWER_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(EXPECTATION_TEXT),
      Connection: 'close',
    });
    res.end(EXPECTATION_TEXT);
  });
}

const NO_HOST_TEXT = 'An HTTP/1.1 request names its Host.\n';
const TWO_HOSTS_TEXT = 'A request names one Host.\n';
const BAD_HOST_TEXT = 'The Host names no host.\n';

/**
 * A host as RFC 3986 §3.2.2 spells one, with an optional port: a name of unreserved characters
 * (the "_" of the names Docker Compose and internal DNS give services among them), escapes and
 * sub-delimiters, or an IP literal in brackets (an IPv6 zone as %25…); empty too (a target
 * without a host, RFC 9112 §3.2). Nothing else: no space, "/", "@" (user information) or "<".
 */
const VALID_HOST =
  /^(?:(?:[\w.~!$&'()*+,;=-]|%[\dA-Fa-f]{2})*|\[(?:[\dA-Fa-f:.]+(?:%25(?:[\w.~-]|%[\dA-Fa-f]{2})+)?|v[\dA-Fa-f]+\.[\w.~!$&'()*+,;=:-]+)\])(?::\d{0,5})?$/;
/** The hosts nearly every request names (a DNS name, an IPv4 address), checked in half the time. */
const PLAIN_HOST = /^[\w.-]*(?::\d{0,5})?$/;

/** Whether `host` (a Host header's value, or a target's authority) is a host with its port. */
export const validHost = (host: string): boolean => PLAIN_HOST.test(host) || VALID_HOST.test(host);

/** The authority of an absolute-form request target (`GET http://host/path HTTP/1.1`). */
export const ABSOLUTE_TARGET = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;

/** Whether the host a request names, by its target's authority or its Host, is no host. */
function namesNoHost(req: IncomingMessage): boolean {
  const { host } = req.headers;
  if (host !== undefined && !validHost(host)) return true;
  const url = req.url ?? '';
  if (url.charCodeAt(0) === 0x2f) return false;
  const absolute = ABSOLUTE_TARGET.exec(url);
  return absolute !== null && !validHost(absolute[1]!);
}

/** How many Host lines the request's head has (node keeps the first alone in `headers`). */
function hostLines(rawHeaders: string[]): number {
  let lines = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') lines++;
  }
  return lines;
}

const TWO_CONTENT_TYPES_TEXT = 'A request names one Content-Type.\n';

/**
 * A Content-Type as compared with another: its case and its spaces aside (one pass: a value of
 * many spaces costs its length, never its square).
 */
const typeText = (value: string) => value.toLowerCase().replace(/\s+/g, '');

/**
 * Whether the request's head has Content-Type lines that say different things (node keeps the
 * first alone in `headers`). One line, or the same type written twice, is one Content-Type.
 */
function twoContentTypes(rawHeaders: string[]): boolean {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 12 && name.toLowerCase() === 'content-type')
      values.push(rawHeaders[i + 1]!);
  }
  // Nearly every request has one line: nothing to compare, nothing rewritten.
  if (values.length < 2) return false;
  const first = typeText(values[0]!);
  return values.some((value) => typeText(value) !== first);
}

/**
 * `listener`, for requests that name one Content-Type (RFC 9110 §8.3: one value, not a list).
 * node kept the first of two Content-Type lines and dropped the others, while a proxy or a
 * gateway in front may read the last: the charset a SOAP body is decoded in, SOAP 1.2's action,
 * a form's type would have been one thing there and another here. Two lines that differ are
 * answered 400, `Connection: close`, the body unread, on every path, as two Host lines are.
 */
export function oneContentType(listener: RequestListener): RequestListener {
  return (req, res) => {
    if (req.headers['content-type'] === undefined || !twoContentTypes(req.rawHeaders))
      return listener(req, res);
    res.writeHead(400, {
      ...SAFE_ANSWER_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(TWO_CONTENT_TYPES_TEXT),
      Connection: 'close',
    });
    res.end(TWO_CONTENT_TYPES_TEXT);
  };
}

/**
 * `listener`, for requests that name one Host (RFC 9112 §3.2: an HTTP/1.1 request without one,
 * any request with two or more Host lines, or one whose Host, or absolute-form target's
 * authority, is no host (validHost), is answered 400). node's own check (the server's
 * requireHostHeader, to be turned off where this is used) answered with an empty chunked body
 * and none of the security headers; two Host lines it did not check at all: it kept the first,
 * while a proxy in front may route, and cache, by the last (the WSDL's `soap:address` echoes
 * the Host when PUBLIC_URL is unset).
 */
export function requireHost(listener: RequestListener): RequestListener {
  return (req, res) => {
    const missing =
      req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1;
    const twice = !missing && req.headers.host !== undefined && hostLines(req.rawHeaders) > 1;
    const invalid = !missing && !twice && namesNoHost(req);
    if (!missing && !twice && !invalid) return listener(req, res);
    const text = missing ? NO_HOST_TEXT : twice ? TWO_HOSTS_TEXT : BAD_HOST_TEXT;
    res.writeHead(400, {
      ...SAFE_ANSWER_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      Connection: 'close',
    });
    res.end(text);
  };
}

const VERSION_TEXT = 'HTTP/1.1 and HTTP/1.0 are served.\n';

/**
 * `listener`, for requests of HTTP/1.x or below. node's parser takes a request line ending
 * `HTTP/2.0` as well (other versions past 1.1 it refuses 400) and answered it as HTTP/1.1: a
 * proxy in front that passes such a line on reads the connection by another version's framing
 * than this server. Answered 505, `Connection: close`, the body unread (RFC 9110 §15.6.6).
 * Version 0.9, with or without its version written, is answered 400 by soundFraming.
 */
export function onlyHttp1(listener: RequestListener): RequestListener {
  return (req, res) => {
    if (req.httpVersionMajor <= 1) return listener(req, res);
    res.writeHead(505, {
      ...SAFE_ANSWER_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(VERSION_TEXT),
      Connection: 'close',
    });
    res.end(VERSION_TEXT);
  };
}
