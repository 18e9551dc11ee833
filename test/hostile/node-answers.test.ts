import { once } from 'node:events';
import net from 'node:net';
import express from 'express';
import { expect } from 'chai';
import { errorHandler } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { testEngines } from '../support/database.js';
import { sendEndlessBody } from '../support/endless-body.js';
import { exchangeUntilClosed } from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';
import { unsubscribingSyncLead } from './support.js';
import { peopleWithEmail } from '../support/people.js';

/** The headers of an answer's head, names lower-cased. */
function headersOf(answer: string): Map<string, string> {
  const head = answer.split('\r\n\r\n')[0]!.split('\r\n').slice(1);
  return new Map(
    head.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
}

/** What every answer of the service carries, those node writes itself included. */
function expectSafeHeaders(answer: string): void {
  const headers = headersOf(answer);
  expect(headers.get('cache-control'), answer).to.equal('no-store');
  expect(headers.get('referrer-policy'), answer).to.equal('no-referrer');
  expect(headers.get('x-content-type-options'), answer).to.equal('nosniff');
  expect(headers.get('x-frame-options'), answer).to.equal('DENY');
  expect(headers.get('x-robots-tag'), answer).to.equal('noindex, nofollow');
  expect(headers.get('connection'), answer).to.equal('close');
  expect(headers.get('content-type'), answer).to.equal('text/plain; charset=utf-8');
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  expect(Number(headers.get('content-length')), answer).to.equal(Buffer.byteLength(body));
  expect(body, answer).to.match(/^[\w .:,/-]+\n$/);
}

/** `count` header lines of a few bytes each. */
const fillerHeaders = (count: number) =>
  Array.from({ length: count }, (_, i) => `x${i.toString(36)}: 1\r\n`).join('');

const HEADERS_TIMEOUT_MS = 1000;

// Node's own answers touch no storage: one engine is enough for them.
const engine = testEngines()[0]!;

describe('answers node writes itself (parse errors, timeouts, expectations)', function () {
  this.timeout(60000);
  let service: TestService;
  before(async () => {
    service = await startTestService(engine, { headersTimeoutMs: HEADERS_TIMEOUT_MS });
  });
  after(() => service?.stop());

  const cases: Array<[string, string, number]> = [
    [
      'a URL past the header size limit',
      `GET /u/${'a'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      431,
    ],
    [
      'a header past the size limit',
      `GET /u/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`,
      431,
    ],
    ['a malformed request line', 'GET /u/x HTTP/9.9.9\r\nHost: x\r\n\r\n', 400],
    [
      'a control character in a header name',
      'GET /u/x HTTP/1.1\r\nHost: x\r\nX\x01y: 1\r\n\r\n',
      400,
    ],
    [
      'a length and chunks together (request smuggling)',
      'POST /u/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
    [
      'a header folded over two lines (obs-fold)',
      'GET /u/x HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n',
      400,
    ],
    ['lines ended by a bare LF', 'GET /u/x HTTP/1.1\nHost: x\n\n', 400],
    [
      'two lengths',
      'POST /u/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
      400,
    ],
    [
      'a length that is not a number',
      'POST /u/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\n',
      400,
    ],
    ['an HTTP/1.1 request without a Host', 'GET /u/x HTTP/1.1\r\nAccept: */*\r\n\r\n', 400],
    ['the HTTP/2 connection preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400],
    ['a space in a header name', 'GET /u/x HTTP/1.1\r\nHost: x\r\nX A: 1\r\n\r\n', 400],
    [
      'a space before the colon of Content-Length',
      'POST /u/x HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\nabc',
      400,
    ],
    ['a NUL in a header value', 'GET /u/x HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n', 400],
    ['a bare CR in a header value', 'GET /u/x HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n', 400],
    ['a signed length', 'POST /u/x HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc', 400],
    [
      'chunked named twice',
      'POST /u/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
    // A request line without a version (HTTP/0.9): answered as soon as it has arrived
    // (refuseVersionlessRequests; node waited on it as headers still to come, then 408).
    ['an HTTP/0.9 request line', 'GET /u/x\r\n', 400],
    // Before: served as HTTP/1.1 (node's parser takes 2.0; the other versions past 1.1 it refuses).
    ['a request line of HTTP/2.0', 'GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n', 505],
    ['a request line of HTTP/0.9', 'GET /healthz HTTP/0.9\r\nHost: x\r\n\r\n', 400],
    ['a request line of HTTP/1.2', 'GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n', 400],
    // Before: the connection closed without an answer.
    ['a CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501],
    [
      'an expectation other than 100-continue',
      'GET /u/x HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n',
      417,
    ],
    // Before: node took 100-continue anywhere in the value and served the request, leaving the
    // other expectation unmet without a word.
    [
      '100-continue beside another expectation',
      'POST /u/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue, teapot\r\nContent-Length: 3\r\n\r\n',
      417,
    ],
  ];
  const listeners: Array<[string, () => number]> = [
    ['service', () => service.running.port],
    ['metrics', () => service.running.metricsPort!],
  ];
  for (const [listener, port] of listeners) {
    for (const [name, request, status] of cases) {
      it(`answers ${name} ${status} with the security headers on the ${listener} listener`, async () => {
        // Before: node's own `HTTP/1.1 400 Bad Request` (431, 417) and nothing else.
        const answer = await exchangeUntilClosed(port(), request);
        expect(answer).to.match(new RegExp(`^HTTP/1\\.1 ${status} `));
        expectSafeHeaders(answer);
      });
    }

    it(`answers headers that do not arrive in time 408 with the security headers on the ${listener} listener`, async () => {
      const answer = await exchangeUntilClosed(
        port(),
        'GET /u/x HTTP/1.1\r\nHost: x\r\nX-Slow: ',
        8000,
      );
      expect(answer).to.match(/^HTTP\/1\.1 408 /);
      expectSafeHeaders(answer);
    });

    it(`reads no body after refusing an expectation on the ${listener} listener`, async () => {
      // Before: node's 417 kept the connection and read the body for as long as it came.
      const { writtenMiB, answer } = await sendEndlessBody(
        port(),
        'PUT /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      expect(writtenMiB, 'MiB the client could send').to.be.below(40);
      if (answer !== '') expect(answer).to.match(/^HTTP\/1\.1 417 /);
    });
  }

  it('bounds a body nobody reads announced after 2,000 other headers', async () => {
    // Before: node kept 2,000 headers in req.headers, so the body's Transfer-Encoding was not
    // seen there (while node's parser framed the body by it) and was read without end.
    const { writtenMiB } = await sendEndlessBody(
      service.running.port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\n${fillerHeaders(2100)}Transfer-Encoding: chunked\r\n\r\n`,
    );
    expect(writtenMiB, 'MiB the client could send').to.be.below(40);
  });

  it('refuses a body on the metrics listener announced after 2,000 other headers', async () => {
    const answer = await exchangeUntilClosed(
      service.running.metricsPort!,
      `GET /metrics HTTP/1.1\r\nHost: x\r\n${fillerHeaders(2100)}Content-Length: 1000000000\r\n\r\n`,
    );
    // Before: 200 with the metrics, the connection kept and the body read.
    expect(answer).to.match(/^HTTP\/1\.1 400 /);
  });
});

for (const storageEngine of testEngines()) {
  describe(`requests whose framing headers come after 2,000 others (${storageEngine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(storageEngine);
    });
    after(() => service?.stop());

    const stored = async (email: string) =>
      (await peopleWithEmail(service.running.services, email)).length;

    it('answers a transfer coding other than chunked 501, storing nothing', async () => {
      const email = 'hidden-coding@example.com';
      const body = unsubscribingSyncLead(email);
      const request =
        'POST /soap/mktows/2_9 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n' +
        `SOAPAction: ""\r\n${fillerHeaders(2100)}Transfer-Encoding: x-custom, chunked\r\n\r\n` +
        `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      // Before: the coding was not seen (node kept the first 2,000 headers only), the body was
      // read as plain XML and the opt-out stored (200).
      const answer = await exchangeUntilClosed(service.running.port, request);
      expect(answer).to.match(/^HTTP\/1\.1 501 /);
      expect(await stored(email)).to.equal(0);
    });
  });
}

describe("the service's own plain answers outside /u", function () {
  this.timeout(30000);
  let service: TestService;
  before(async () => {
    service = await startTestService(engine, { salesforcePathSecret: 'a-path-secret-0123456789' });
  });
  after(() => service?.stop());

  for (const [name, path] of [
    ['a path nothing serves', '/nowhere'],
    ['a path nothing serves, with a token-like segment', '/u2/secret-looking'],
    ['the Salesforce listener with a wrong path secret', '/soap/salesforce/outbound/wrong'],
  ]) {
    it(`answers ${name} 404 with the security headers`, async () => {
      // Before: text/plain with none of them (no-store, nosniff…).
      const res = await fetch(`${service.base}${path}`);
      expect(res.status).to.equal(404);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
      expect(await res.text()).to.equal('Not found\n');
    });
  }

  it('answers what a route lets through with the security headers (errorHandler)', async () => {
    const app = express();
    app.get('/refused', () => {
      throw Object.assign(new Error('not understood'), { status: 400 });
    });
    app.get('/failed', () => {
      throw new Error('a bug');
    });
    app.use(errorHandler(createLogger('silent')));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as net.AddressInfo).port;
      for (const [path, status] of [
        ['/refused', 400],
        ['/failed', 500],
      ] as const) {
        // Before: text/plain with none of them.
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        expect(res.status).to.equal(status);
        expect(res.headers.get('cache-control')).to.equal('no-store');
        expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
        expect(await res.text()).to.not.match(/ at |Error/);
      }
    } finally {
      server.close();
    }
  });
});
