/**
 * A request whose whole body has arrived at once is scanned once, not looked at twice (its
 * head, then all of it): the answers must be those of a header checked on arrival. A refused
 * caller is answered 20014 whatever is wrong further on; an accepted one hears what is wrong.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { postBody as post } from '../support/http-post.js';
import {
  envelope,
  faultCode,
  getLeadByEmailXml,
  startTestService,
  type TestService,
} from '../support/service.js';

const GET_LEAD = getLeadByEmailXml('a@example.com');

for (const engine of testEngines()) {
  describe(`a small body that arrives whole (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine, { authFailureLimit: 100 });
    });
    after(() => service?.stop());

    const broken = (opts: Parameters<typeof envelope>[1]) => {
      const good = envelope(GET_LEAD, opts);
      const at = good.indexOf('<leadKey>');
      return {
        // Malformed after the header: an unclosed element and a stray '&'.
        malformed: Buffer.from(good.slice(0, at) + '<leadKey>&</ns1:paramsGetLead>'),
        // Not UTF-8 after the header (a lone continuation byte).
        notUtf8: Buffer.concat([
          Buffer.from(good.slice(0, at)),
          Buffer.from([0x80]),
          Buffer.from(good.slice(at)),
        ]),
        good: Buffer.from(good),
      };
    };

    it('refuses a bad header with 20014 before anything the guard finds in the rest', async () => {
      const bad = broken({ signature: '0'.repeat(40) });
      for (const body of [bad.malformed, bad.notUtf8, bad.good]) {
        const res = await post(service.url, body);
        expect(faultCode(res.body), res.body).to.equal(20014);
      }
      const unknown = broken({ user: { userId: 'nobody', encryptionKey: 'X'.repeat(48) } });
      for (const body of [unknown.malformed, unknown.notUtf8]) {
        expect(faultCode((await post(service.url, body)).body)).to.equal(20014);
      }
    });

    it('tells an authenticated caller what is wrong with the rest, and serves a good one', async () => {
      const ok = broken({});
      for (const body of [ok.malformed, ok.notUtf8]) {
        const res = await post(service.url, body);
        expect(res.status, res.body).to.equal(500);
        expect(faultCode(res.body), res.body).to.equal(20012);
      }
      // Authenticated and served: nobody has that address.
      const res = await post(service.url, ok.good);
      expect(faultCode(res.body), res.body).to.equal(20103);
    });
  });
}
