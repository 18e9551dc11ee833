import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { peopleWithEmail } from '../support/people.js';
import { answerStatuses as statuses, timedExchange as exchange } from '../support/raw-socket.js';
import {
  envelope,
  getLeadByEmailXml,
  okCall,
  startTestService,
  syncEmailXml,
  type TestService,
} from '../support/service.js';
import { unsubscribingSyncLead } from './support.js';

/** Long enough that an answer arriving "at the timeout" cannot be taken for one at once. */
const LONG_TIMEOUT_MS = 30000;

/** A signed SOAP POST of `xml` with its length. */
const soapPost = (xml: string, extra = '') =>
  'POST /soap/mktows/2_9 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n' +
  `SOAPAction: ""\r\n${extra}Content-Length: ${Buffer.byteLength(xml)}\r\n\r\n${xml}`;

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

for (const engine of testEngines()) {
  describe(`clients that half-close their connection (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine, {
        headersTimeoutMs: LONG_TIMEOUT_MS,
        bodyTimeoutMs: LONG_TIMEOUT_MS,
      });
    });
    after(() => service?.stop());

    const port = () => service.running.port;
    const stored = async (email: string) =>
      (await peopleWithEmail(service.running.services, email)).length;

    // Before: node ended the connection when the client's side ended, the request unanswered.
    it('answers a whole SOAP getLead sent before the half-close, then closes', async () => {
      const email = 'half-close-get@example.com';
      await okCall(service.url, syncEmailXml(email));
      const { got } = await exchange(port(), soapPost(envelope(getLeadByEmailXml(email))));
      expect(statuses(got), got).to.deep.equal([200]);
      expect(got).to.include(email);
    });

    it('answers and stores a whole syncLead unsubscribe sent before the half-close', async () => {
      const email = 'half-close-sync@example.com';
      const { got } = await exchange(port(), soapPost(unsubscribingSyncLead(email)));
      expect(statuses(got), got).to.deep.equal([200]);
      expect(await stored(email)).to.equal(1);
    });

    it('stores nothing of a body cut short by the half-close, and closes at once', async () => {
      const email = 'half-close-cut@example.com';
      const whole = soapPost(unsubscribingSyncLead(email));
      const { got, ms } = await exchange(port(), whole.slice(0, whole.length - 40));
      expect(statuses(got), got).to.deep.equal([400]);
      // Not held until the body's timeout: a tenth of it is generous on a loaded machine.
      expect(ms).to.be.below(LONG_TIMEOUT_MS / 10);
      expect(await stored(email)).to.equal(0);
    });

    it('refuses at once a head cut short by the half-close', async () => {
      const { got, ms } = await exchange(port(), 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
      expect(statuses(got), got).to.deep.equal([400]);
      expect(ms).to.be.below(LONG_TIMEOUT_MS / 10);
    });

    // Each twice: the second is answered only once the first is written, after the client's
    // side has ended (the first alone, answered at once, raced the end and often got out).
    it('answers the health check, the console login page and HTTP/1.0 requests', async () => {
      for (const request of [
        get('/healthz'),
        get('/admin/login'),
        'GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
        get('/readyz'),
      ]) {
        const { got } = await exchange(port(), request + request);
        expect(statuses(got), `${request}\n${got}`).to.deep.equal([200, 200]);
      }
    });

    it('answers, in order, every request pipelined before the half-close', async () => {
      const email = 'half-close-pipelined@example.com';
      const { got } = await exchange(
        port(),
        get('/healthz') + soapPost(unsubscribingSyncLead(email)) + get('/readyz'),
      );
      expect(statuses(got), got).to.deep.equal([200, 200, 200]);
      const health = got.indexOf('"status":"ok"');
      const sync = got.search(/SyncLead/i);
      const ready = got.indexOf('"status":"ready"');
      expect(health).to.be.above(-1);
      expect(sync, got).to.be.above(health);
      expect(ready, got).to.be.above(sync);
      expect(await stored(email)).to.equal(1);
    });

    // Eight: an answer written before node saw the client's side end got out before too.
    it('answers the scrapes of the metrics port sent before the half-close', async () => {
      const scrape = get('/metrics');
      const { got } = await exchange(service.running.metricsPort!, scrape.repeat(8));
      expect(statuses(got), got).to.deep.equal(new Array(8).fill(200));
      expect(got).to.match(/\n# (HELP|TYPE) /);
    });
  });
}
