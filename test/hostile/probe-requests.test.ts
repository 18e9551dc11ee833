import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { answerStatuses, headersOf, timedExchange } from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';

/** Long enough that an answer arriving "at the timeout" cannot be taken for one at once. */
const HEADERS_TIMEOUT_MS = 30000;
/** Answered "at once": well before the header timeout, however loaded the machine. */
const AT_ONCE_MS = HEADERS_TIMEOUT_MS / 10;

/** The body of a raw answer with a Content-Length (the first one). */
const bodyOf = (got: string) => got.slice(got.indexOf('\r\n\r\n') + 4);

const [sqlite] = testEngines();

describe('requests of probes and old clients', function () {
  this.timeout(60000);
  let service: TestService;
  before(async () => {
    service = await startTestService(sqlite!, { headersTimeoutMs: HEADERS_TIMEOUT_MS });
  });
  after(() => service?.stop());

  const ports = () => ({
    service: service.running.port,
    metrics: service.running.metricsPort!,
  });

  // Before: node's parser took the line for the start of a request whose headers were to come,
  // and the connection waited for the header timeout, to be answered 408.
  it('answers an HTTP/0.9 request line 400 as soon as it arrives, and closes', async () => {
    for (const [name, port] of Object.entries(ports()))
      for (const line of [
        'GET /healthz\r\n',
        'GET /healthz\n',
        '\r\nGET /metrics\r\n',
        ['GET /hea', 'lthz\r', '\n'],
        'GET /soap/mktows/2_9?WSDL/1.0\r\n',
      ]) {
        const { got, ms } = await timedExchange(port, line, false, HEADERS_TIMEOUT_MS * 2);
        const what = `${name}: ${JSON.stringify(line)}`;
        expect(answerStatuses(got), `${what}\n${got}`).to.deep.equal([400]);
        expect(ms, what).to.be.below(AT_ONCE_MS);
        expect(headersOf(got).get('cache-control'), what).to.equal('no-store');
        expect(bodyOf(got), what).to.equal(
          'A request line ends with its version, HTTP/1.0 or HTTP/1.1.\n',
        );
      }
  });

  // Before: node read it as a request of version 0.9 and the route answered it, with a status
  // line and headers an HTTP/0.9 client does not read.
  it('answers an HTTP/0.9 request line followed by an empty line 400, and closes', async () => {
    for (const [name, port] of Object.entries(ports())) {
      const { got } = await timedExchange(port, 'GET /healthz\r\n\r\n', false);
      expect(answerStatuses(got), `${name}\n${got}`).to.deep.equal([400]);
      expect(bodyOf(got)).to.match(/^A request line ends with its version/);
    }
  });

  it('still serves a request line that arrives in pieces, and a keep-alive connection', async () => {
    const { got } = await timedExchange(
      ports().service,
      [
        'GET /heal',
        'thz HT',
        'TP/1.',
        '1\r\nHost: x\r\n',
        '\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
      ],
      true,
    );
    expect(answerStatuses(got), got).to.deep.equal([200, 200]);
    const metrics = await timedExchange(ports().metrics, [
      '\r\nGET /metrics HTTP/1.1\r',
      '\nHost: x\r\nConnection: close\r\n\r\n',
    ]);
    expect(answerStatuses(metrics.got), metrics.got).to.deep.equal([200]);
  });

  // Before: 404, as a path not found; a load balancer's `option httpchk OPTIONS *` read the
  // service as down.
  it('answers OPTIONS * 200 with the methods of the port, on both ports', async () => {
    for (const [name, port, allow] of [
      ['service', ports().service, 'GET, HEAD, POST, OPTIONS'],
      ['metrics', ports().metrics, 'GET, HEAD, OPTIONS'],
    ] as const)
      for (const request of [
        'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        // HAProxy's check, as its configuration writes it by default.
        'OPTIONS * HTTP/1.0\r\n\r\n',
      ]) {
        const { got } = await timedExchange(port, request);
        const what = `${name}: ${JSON.stringify(request)}`;
        expect(answerStatuses(got), `${what}\n${got}`).to.deep.equal([200]);
        const headers = headersOf(got);
        expect(headers.get('allow'), what).to.equal(allow);
        expect(headers.get('cache-control'), what).to.equal('no-store');
        expect(headers.get('x-content-type-options'), what).to.equal('nosniff');
        expect(bodyOf(got), what).to.equal(`${allow}\n`);
      }
  });

  it('still asks OPTIONS * of HTTP/1.1 for a Host, and refuses its body unread', async () => {
    const noHost = await timedExchange(ports().service, 'OPTIONS * HTTP/1.1\r\n\r\n');
    expect(answerStatuses(noHost.got), noHost.got).to.deep.equal([400]);
    const withBody = await timedExchange(
      ports().service,
      'OPTIONS * HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nxx',
      false,
    );
    expect(answerStatuses(withBody.got), withBody.got).to.deep.equal([200]);
    expect(headersOf(withBody.got).get('connection')).to.equal('close');
  });

  // Before: 404 (HAProxy's older default check is `OPTIONS / HTTP/1.0`).
  it('answers OPTIONS / 200 with what / allows, and another method 405', async () => {
    const { got } = await timedExchange(ports().service, 'OPTIONS / HTTP/1.0\r\n\r\n');
    expect(answerStatuses(got), got).to.deep.equal([200]);
    expect(headersOf(got).get('allow')).to.equal('GET, HEAD, OPTIONS');
    const posted = await fetch(`${service.base}/`, { method: 'POST', body: 'x' });
    expect(posted.status).to.equal(405);
    expect(posted.headers.get('allow')).to.equal('GET, HEAD, OPTIONS');
    expect((await fetch(`${service.base}/`)).status).to.equal(200);
  });
});
