import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  faultCode,
  getLeadByEmailXml,
  rawCall,
  startTestService,
  syncUnsubscribedXml,
  type TestService,
} from '../support/service.js';

/**
 * An address holding an invisible format character is refused on every write path: stored,
 * it would be a key apart from the visible address, and an opt-out of one would not reach
 * the other.
 */
const INVISIBLE = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'];
const hidden = (c: string) => `zw${c}ann@example.com`;

for (const engine of testEngines()) {
  describe(`addresses with invisible format characters (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('syncLead answers 20105 for each and stores nothing', async () => {
      for (const c of INVISIBLE) {
        const res = await rawCall(service.url, syncUnsubscribedXml(hidden(c), '1'));
        expect(faultCode(res.body), JSON.stringify(c) + res.body).to.equal(20105);
      }
      for (const email of ['zwann@example.com', ...INVISIBLE.map(hidden)]) {
        const res = await rawCall(service.url, getLeadByEmailXml(email));
        expect(faultCode(res.body), res.body).to.equal(20103);
      }
    });

    it('syncMultipleLeads fails those records alone and syncs the others', async () => {
      const records = [...INVISIBLE.map(hidden), 'zw-visible@example.com']
        .map((e) => `<leadRecord><Email>${e}</Email></leadRecord>`)
        .join('');
      const res = await rawCall(
        service.url,
        `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList></ns1:paramsSyncMultipleLeads>`,
      );
      expect(res.status, res.body).to.equal(200);
      const statuses = [...res.body.matchAll(/<status>([A-Z]+)<\/status>/g)].map((m) => m[1]);
      expect(statuses, res.body).to.deep.equal([...INVISIBLE.map(() => 'FAILED'), 'CREATED']);
      for (const email of ['zwann@example.com', ...INVISIBLE.map(hidden)]) {
        const got = await rawCall(service.url, getLeadByEmailXml(email));
        expect(faultCode(got.body), got.body).to.equal(20103);
      }
    });
  });
}
