import type { Server } from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import { serveMetrics, type MetricsSource } from '../../src/metrics.js';
import { exchangeUntilClosed, headersOf } from '../support/raw-socket.js';

/** What every answer of every listener carries (SAFE_ANSWER_HEADERS). */
function expectSafeHeaders(headers: Headers, what: string): void {
  expect(headers.get('cache-control'), what).to.equal('no-store');
  expect(headers.get('referrer-policy'), what).to.equal('no-referrer');
  expect(headers.get('x-content-type-options'), what).to.equal('nosniff');
  expect(headers.get('x-frame-options'), what).to.equal('DENY');
  expect(headers.get('x-robots-tag'), what).to.equal('noindex, nofollow');
}

describe('every answer of the metrics listener carries the security headers', function () {
  this.timeout(20000);
  let server: Server;
  let metrics: MetricsSource | undefined;
  let base: string;
  before(async () => {
    server = await serveMetrics(() => metrics, {
      port: 0,
      host: '127.0.0.1',
      headersTimeoutMs: 1000,
      maxConnections: 16,
    });
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(() => {
    server.close();
    server.closeAllConnections();
  });

  it('503 while starting, 404 elsewhere, 400 for a body, 200 and 500: plain text, with the headers', async () => {
    // Before: the listener's own 404, 400 and 503 (and the 200 and 500) had none of them.
    metrics = undefined;
    const starting = await fetch(`${base}/metrics`);
    expect(starting.status).to.equal(503);
    expectSafeHeaders(starting.headers, '503');
    expect(starting.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect(await starting.text()).to.equal('Starting\n');

    metrics = {
      registry: { contentType: 'text/plain; version=0.0.4', metrics: async () => 'm 1\n' },
    };
    const elsewhere = await fetch(`${base}/other`);
    expect(elsewhere.status).to.equal(404);
    expectSafeHeaders(elsewhere.headers, '404');
    expect(elsewhere.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect(await elsewhere.text()).to.equal('Not found\n');

    const body = await exchangeUntilClosed(
      Number(new URL(base).port),
      'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
      5000,
    );
    expect(body).to.match(/^HTTP\/1\.1 400 /);
    expectSafeHeaders(headersOf(body), body);
    expect(headersOf(body).get('content-type')).to.equal('text/plain; charset=utf-8');

    const scraped = await fetch(`${base}/metrics`);
    expect(scraped.status).to.equal(200);
    expectSafeHeaders(scraped.headers, '200');
    expect(await scraped.text()).to.equal('m 1\n');

    metrics = {
      registry: { contentType: 'text/plain', metrics: () => Promise.reject(new Error('no')) },
    };
    const failed = await fetch(`${base}/metrics`);
    expect(failed.status).to.equal(500);
    expectSafeHeaders(failed.headers, '500');
    expect(failed.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect(await failed.text()).to.equal('metrics failed\n');
  });

  it('a scrape whose Expect asks nothing is served; one asking what it cannot meet is refused 417', async () => {
    metrics = {
      registry: { contentType: 'text/plain; version=0.0.4', metrics: async () => 'm 1\n' },
    };
    const port = Number(new URL(base).port);
    const scrape = (expectLine: string) =>
      exchangeUntilClosed(
        port,
        `GET /metrics HTTP/1.1\r\nHost: x\r\n${expectLine}\r\nConnection: close\r\n\r\n`,
        5000,
      );
    // A list's empty elements are ignored (RFC 9110 §5.6.1): these lines ask for nothing.
    for (const line of ['Expect:', 'Expect: , ,']) {
      const answer = await scrape(line);
      expect(answer, line).to.match(/^HTTP\/1\.1 200 /);
      expect(answer.slice(answer.indexOf('\r\n\r\n')), line).to.include('m 1\n');
    }
    const refused = await scrape('Expect: teapot');
    expect(refused).to.match(/^HTTP\/1\.1 417 /);
    expectSafeHeaders(headersOf(refused), refused);
  });
});
