import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { exchangeUntilClosed, headersOf } from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';

// The Host header touches no storage: one engine is enough.
const engine = testEngines()[0]!;

/**
 * RFC 9112 §3.2: a request with more than one Host line is answered 400. node keeps the first
 * and drops the others, while a proxy in front may route and cache by the last: the WSDL's
 * soap:address (PUBLIC_URL unset) then named the host the attacker put first, in a document a
 * shared cache keeps for everyone who asks the real host. And a Host that is no host is
 * answered 400 too, while the names RFC 3986 allows that the WSDL's address used to replace
 * with localhost ("_" in the names Docker Compose and internal DNS give services) are named.
 */
describe('the host a request names (two Host lines, an absolute-form target, its spelling)', function () {
  this.timeout(30000);
  let service: TestService;
  before(async () => {
    service = await startTestService(engine);
  });
  after(() => service?.stop());

  const twoHosts = (path: string, first: string, second: string) =>
    `GET ${path} HTTP/1.1\r\nHost: ${first}\r\nhost: ${second}\r\nConnection: close\r\n\r\n`;

  it('is answered 400, with the security headers, and no WSDL names either host', async () => {
    const answer = await exchangeUntilClosed(
      service.running.port,
      twoHosts('/soap/mktows/2_9?WSDL', 'attacker.example', 'du.example'),
    );
    expect(answer).to.match(/^HTTP\/1\.1 400 /);
    expect(answer).to.not.contain('attacker.example');
    expect(answer).to.not.contain('soap:address');
    const headers = headersOf(answer);
    expect(headers.get('connection')).to.equal('close');
    expect(headers.get('cache-control')).to.equal('no-store');
    expect(headers.get('x-content-type-options')).to.equal('nosniff');
    expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).to.equal('A request names one Host.\n');
  });

  it('is answered 400 on every path of the service port and on the metrics listener', async () => {
    const asked: Array<[number, string]> = [
      [service.running.port, '/healthz'],
      [service.running.port, '/u/abc'],
      [service.running.port, '/admin/login'],
      [service.running.port, '/soap/salesforce/outbound/x'],
      [service.running.metricsPort!, '/metrics'],
    ];
    for (const [port, path] of asked) {
      const answer = await exchangeUntilClosed(port, twoHosts(path, 'a.example', 'b.example'));
      expect(answer, path).to.match(/^HTTP\/1\.1 400 /);
    }
  });

  it('names in the WSDL the host of an absolute-form target, not the Host sent along', async () => {
    // RFC 9112 §3.2.2: the target's authority is the host; a proxy that routes (and caches) by
    // it may pass on the Host line the client wrote.
    for (const scheme of ['http', 'https']) {
      const answer = await exchangeUntilClosed(
        service.running.port,
        `GET ${scheme}://du.example/soap/mktows/2_9?WSDL HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n`,
      );
      expect(answer).to.match(/^HTTP\/1\.1 200 /);
      expect(answer).to.contain('location="http://du.example/soap/mktows/2_9"');
      expect(answer).to.not.contain('attacker.example');
    }
  });

  it('serves a request naming one Host, and an HTTP/1.0 one naming none, as before', async () => {
    const one = await exchangeUntilClosed(
      service.running.port,
      'GET /soap/mktows/2_9?WSDL HTTP/1.1\r\nHost: du.example\r\nConnection: close\r\n\r\n',
    );
    expect(one).to.match(/^HTTP\/1\.1 200 /);
    expect(one).to.contain('location="http://du.example/soap/mktows/2_9"');
    const none = await exchangeUntilClosed(service.running.port, 'GET /healthz HTTP/1.0\r\n\r\n');
    expect(none).to.match(/^HTTP\/1\.1 200 /);
  });

  const wsdlAt = (host: string, target = '/soap/mktows/2_9?WSDL') =>
    exchangeUntilClosed(
      service.running.port,
      `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    );

  it('names in the WSDL a host of any spelling RFC 3986 allows, "_" and "~" included', async () => {
    // Before: every one of these became localhost:PORT, and a client generating its stub from
    // the WSDL sent its calls to its own machine.
    for (const host of ['du_unsubscribe:8080', 'durable-unsubscribe_web_1', 'svc~a.example:80']) {
      const answer = await wsdlAt(host);
      expect(answer, host).to.match(/^HTTP\/1\.1 200 /);
      expect(answer, host).to.contain(`location="http://${host}/soap/mktows/2_9"`);
    }
    // An IPv6 address, and a Host left empty (a target without one): as before.
    expect(await wsdlAt('[::1]:8080')).to.contain('location="http://[::1]:8080/soap/mktows/2_9"');
    expect(await wsdlAt('')).to.contain(
      `location="http://localhost:${service.running.port}/soap/mktows/2_9"`,
    );
  });

  it('answers a Host that is no host 400, with the security headers, on every path', async () => {
    // Before: served, the WSDL naming localhost:PORT in its place.
    const port = service.running.port;
    const hosts = ['du example', 'du.example/x', 'user@du.example', 'du.example:80:80', '<du>'];
    for (const host of hosts)
      for (const path of ['/soap/mktows/2_9?WSDL', '/healthz', '/u/abc', '/admin/login']) {
        const answer = await exchangeUntilClosed(
          port,
          `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        );
        const what = `${host} ${path}`;
        expect(answer, what).to.match(/^HTTP\/1\.1 400 /);
        expect(headersOf(answer).get('cache-control'), what).to.equal('no-store');
        expect(answer.slice(answer.indexOf('\r\n\r\n') + 4), what).to.equal(
          'The Host names no host.\n',
        );
      }
    const metrics = await exchangeUntilClosed(
      service.running.metricsPort!,
      'GET /metrics HTTP/1.1\r\nHost: du example\r\nConnection: close\r\n\r\n',
    );
    expect(metrics).to.match(/^HTTP\/1\.1 400 /);
    // The same of an absolute-form target's authority, which names the host before the Host.
    const answer = await exchangeUntilClosed(
      port,
      'GET http://user@du.example/soap/mktows/2_9?WSDL HTTP/1.1\r\nHost: du.example\r\nConnection: close\r\n\r\n',
    );
    expect(answer).to.match(/^HTTP\/1\.1 400 /);
    expect(answer).to.not.contain('soap:address');
  });
});
