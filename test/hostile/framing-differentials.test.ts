import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { peopleWithEmail } from '../support/people.js';
import { exchangeUntilClosed } from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';
import { unsubscribingSyncLead } from './support.js';

/** A SOAP POST whose body goes in one chunk, on an HTTP/1.0 request kept alive. */
const chunkedHttp10Post = (body: string) =>
  'POST /soap/mktows/2_9 HTTP/1.0\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n' +
  'SOAPAction: ""\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n' +
  `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;

/** A signed SOAP POST, with `extra` header lines. */
const soapPost = (body: string, extra: string) =>
  'POST /soap/mktows/2_9 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n' +
  `SOAPAction: ""\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\n';

/** The status lines of every answer in a raw exchange. */
const statuses = (answer: string) =>
  [...answer.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => Number(m[1]));

for (const engine of testEngines()) {
  describe(`framing a proxy in front may read otherwise (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    const stored = async (email: string) =>
      (await peopleWithEmail(service.running.services, email)).length;

    // Before: node read the chunks of an HTTP/1.0 request and kept the connection alive, so
    // what a proxy in front took for the rest of one body (HTTP/1.0 has no chunked coding, it
    // reads to the end of the connection) the service read as a request of its own.
    it('answers an HTTP/1.0 request with a Transfer-Encoding 400 and closes, storing nothing', async () => {
      const email = 'http10-chunked@example.com';
      const behind = 'smuggled-behind-http10@example.com';
      const answer = await exchangeUntilClosed(
        service.running.port,
        chunkedHttp10Post(unsubscribingSyncLead(email)) +
          soapPost(unsubscribingSyncLead(behind), 'Connection: close\r\n'),
      );
      expect(statuses(answer), answer).to.deep.equal([400]);
      expect(answer).to.match(/\r\nConnection: close\r\n/i);
      expect(answer).to.match(/\r\n\r\n[\w .,:/-]+\n$/);
      expect(await stored(email)).to.equal(0);
      expect(await stored(behind)).to.equal(0);
    });

    it('answers it so on every path of the port, whatever the method', async () => {
      for (const path of ['/healthz', '/u/abc', '/admin/login', '/nowhere']) {
        const answer = await exchangeUntilClosed(
          service.running.port,
          `GET ${path} HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
        );
        expect(statuses(answer), `${path}: ${answer}`).to.deep.equal([400]);
        expect(answer).to.not.match(/<html| at |Error:/i);
      }
    });

    it('still reads an HTTP/1.0 request framed by its length', async () => {
      const email = 'http10-length@example.com';
      const body = unsubscribingSyncLead(email);
      const answer = await exchangeUntilClosed(
        service.running.port,
        soapPost(body, '').replace(' HTTP/1.1\r\n', ' HTTP/1.0\r\n'),
      );
      expect(answer).to.match(/^HTTP\/1\.1 200 /);
      expect(await stored(email)).to.equal(1);
    });

    // Before: node stopped reading at the end of a request asking to upgrade (Upgrade with
    // Connection: Upgrade), and what followed it in the same read was dropped, unanswered,
    // while the connection stayed open: a proxy pipelining behind it would have taken the
    // answer to the next request it sent for the one dropped.
    it('closes the connection after answering a request that asks to upgrade', async () => {
      const email = 'upgrade-asked@example.com';
      const behind = 'behind-upgrade@example.com';
      const answer = await exchangeUntilClosed(
        service.running.port,
        soapPost(unsubscribingSyncLead(email), UPGRADE) +
          soapPost(unsubscribingSyncLead(behind), 'Connection: close\r\n'),
      );
      expect(statuses(answer), answer).to.deep.equal([200]);
      expect(answer).to.match(/\r\nConnection: close\r\n/i);
      expect(await stored(email)).to.equal(1);
      expect(await stored(behind)).to.equal(0);
      for (const path of ['/healthz', '/u/abc', '/admin/login', '/nowhere']) {
        const plain = await exchangeUntilClosed(
          service.running.port,
          `GET ${path} HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`,
        );
        expect(statuses(plain), `${path}: ${plain}`).to.have.length(1);
        expect(plain).to.match(/\r\nConnection: close\r\n/i);
      }
    });

    it('does the same on the metrics listener', async () => {
      const port = service.running.metricsPort!;
      const upgrade = await exchangeUntilClosed(
        port,
        `GET /metrics HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      expect(statuses(upgrade), upgrade.slice(0, 300)).to.deep.equal([200]);
      expect(upgrade).to.match(/\r\nConnection: close\r\n/i);
      const chunked = await exchangeUntilClosed(
        port,
        'GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      );
      expect(statuses(chunked), chunked).to.deep.equal([400]);
    });
  });
}
