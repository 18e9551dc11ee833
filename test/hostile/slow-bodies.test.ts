import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startLinkService, type LinkService } from '../one-click/support.js';

const BODY_TIMEOUT_MS = 500;
/** node's own bound on a whole request is at least 30 s (connection-timeouts.ts). */
const REQUEST_TIMEOUT_MS = 20000;
/** Closed within this many BODY_TIMEOUT_MS: well before node's request timeout (30 s here). */
const WITHIN = 8;

/**
 * Sends a request head announcing `length` bytes, then its body a byte every 100 ms, never
 * finishing it; resolves with how long the connection lived and what came back, or when the
 * client gives up (still open) after `giveUpMs`.
 */
function slowBody(
  port: number,
  head: string,
  giveUpMs: number,
): Promise<{ ms: number; got: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const began = Date.now();
    let got = '';
    let closedByServer = true;
    const drip = setInterval(() => socket.write('a'), 100);
    const giveUp = setTimeout(() => {
      closedByServer = false;
      socket.destroy();
    }, giveUpMs);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(giveUp);
      resolve({ ms: Date.now() - began, got, closedByServer });
    });
  });
}

// The bodies never reach the store: one engine is enough.
const engine = testEngines()[0]!;

describe('slow bodies outside the SOAP calls (slowloris)', function () {
  this.timeout(120000);
  let svc: LinkService;
  before(async () => {
    svc = await startLinkService(engine, {
      bodyTimeoutMs: BODY_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
  });
  after(() => svc?.stop());

  const form = 'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n';
  const cases: Array<[string, () => string, RegExp]> = [
    ['the console login form', () => `POST /admin/login HTTP/1.1\r\n${form}`, /^HTTP\/1\.1 408 /],
    [
      'a console form without a session',
      () => `POST /admin/address/status HTTP/1.1\r\n${form}`,
      / 401 /,
    ],
    ['logging out without a session', () => `POST /admin/logout HTTP/1.1\r\n${form}`, / 303 /],
    [
      'a console form without a length',
      () =>
        'POST /admin/login HTTP/1.1\r\nTransfer-Encoding: chunked\r\n' +
        'Content-Type: application/x-www-form-urlencoded\r\n\r\n100\r\n',
      / 411 /,
    ],
    [
      'a one-click POST',
      () => `POST ${new URL(svc.linkUrl('slow@example.com')).pathname} HTTP/1.1\r\n${form}`,
      /^HTTP\/1\.1 408 /,
    ],
    [
      'a PUT under /u (405)',
      () => `PUT ${new URL(svc.linkUrl('slow@example.com')).pathname} HTTP/1.1\r\n${form}`,
      / 405 /,
    ],
    [
      'a POST to a path of more segments under /u',
      () => `POST /u/a/b HTTP/1.1\r\n${form}`,
      / 404 /,
    ],
    ['an unknown path', () => `POST /nowhere HTTP/1.1\r\n${form}`, / 404 /],
    ['a PUT of the SOAP endpoint (405)', () => `PUT /soap/mktows/2_9 HTTP/1.1\r\n${form}`, / 405 /],
    [
      'the Salesforce listener without its secret',
      () => `POST /soap/salesforce/outbound HTTP/1.1\r\n${form}`,
      / 404 /,
    ],
    ['a GET with a body no route reads', () => `GET /healthz HTTP/1.1\r\n${form}`, / 200 /],
  ];
  for (const [what, request, answer] of cases) {
    it(`closes ${what} soon after BODY_TIMEOUT_MS, not at node's request timeout`, async () => {
      // Before: the console's form parser, the discarding of a refused body and the body of a
      // request no route reads waited for as long as node's request timeout (30 s or more).
      const { ms, got, closedByServer } = await slowBody(
        svc.running.port,
        `${request().replace(' HTTP/1.1\r\n', ' HTTP/1.1\r\nHost: x\r\n')}\r\n`,
        WITHIN * BODY_TIMEOUT_MS,
      );
      expect(closedByServer, `closed by the server within ${WITHIN} × BODY_TIMEOUT_MS`).to.equal(
        true,
      );
      expect(ms, 'ms the connection lived').to.be.at.least(BODY_TIMEOUT_MS * 0.9);
      expect(got).to.match(answer);
      if (got !== '' && !/ 200 /.test(got))
        expect(got.toLowerCase()).to.contain('connection: close');
    });
  }
});
