import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { exchangeUntilClosed } from '../support/raw-socket.js';
import { envelope } from '../support/service.js';
import { historyOf, startLinkService, type LinkService } from '../one-click/support.js';
import { flagsOf, peopleWithEmail } from '../support/people.js';

const ONE_CLICK = 'List-Unsubscribe=One-Click';

/** A POST with its whole body, as it goes on the wire. */
const post = (path: string, type: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

const statusLines = (data: string) => data.match(/HTTP\/1\.1 \d{3}/g) ?? [];
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

for (const engine of testEngines()) {
  describe(`requests pipelined behind a connection's last answer (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    before(async () => {
      // A body over MAX_BODY_BYTES is the SOAP refusal that ends the connection.
      svc = await startLinkService(engine, { maxBodyBytes: 1024 });
    });
    after(() => svc?.stop());

    const pathOf = (url: string) => new URL(url).pathname;

    it('runs no one-click POST queued behind a forged one answered with Connection: close', async () => {
      await svc.services.leads.sync(
        { email: 'second@example.com' },
        { path: ChangePaths.webService() },
      );
      const forged = pathOf(svc.linkUrl('first@example.com')).slice(0, -4) + 'AAAA';
      const valid = pathOf(svc.linkUrl('second@example.com'));
      const type = 'application/x-www-form-urlencoded';
      const data = await exchangeUntilClosed(
        svc.running.port,
        post(forged, type, ONE_CLICK) + post(valid, type, ONE_CLICK),
      );
      // Before: the second POST unsubscribed its address, and its answer was never sent.
      expect(statusLines(data)).to.deep.equal(['HTTP/1.1 403']);
      expect(data).to.match(/connection: close/i);
      await settle();
      expect(await flagsOf(svc.services, 'second@example.com')).to.deep.equal([false]);
      expect(await historyOf(svc.services, 'second@example.com')).to.have.length(0);
    });

    it('applies no SOAP write queued behind a refused (oversized) SOAP request', async () => {
      const type = 'text/xml; charset=utf-8';
      const write = envelope(
        '<ns1:paramsSyncLead><leadRecord><Email>queued@example.com</Email></leadRecord>' +
          '<returnLead>false</returnLead></ns1:paramsSyncLead>',
      );
      const oversized = envelope(`<ns1:paramsGetLead>${' '.repeat(4096)}</ns1:paramsGetLead>`);
      const data = await exchangeUntilClosed(
        svc.running.port,
        post('/soap/mktows/2_9', type, oversized) + post('/soap/mktows/2_9', type, write),
      );
      expect(statusLines(data)).to.deep.equal(['HTTP/1.1 500']);
      await settle();
      // Before: the write was stored, unanswered.
      const found = await peopleWithEmail(svc.services, 'queued@example.com');
      expect(found).to.have.length(0);
    });

    it('still answers requests pipelined behind kept-alive answers, in order', async () => {
      const data = await exchangeUntilClosed(
        svc.running.port,
        'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2) +
          'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      expect(statusLines(data)).to.deep.equal(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200']);
    });
  });
}
