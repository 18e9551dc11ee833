/**
 * Fault texts as the vendor's service wrote them, where integrations read them. A lead not
 * found was `20103 - Lead not found`, its detail message naming the key
 * (`No lead found with EMAIL = x (20103)`): client libraries print it, and their integration
 * tests compare the whole fault (faultstring and message) with what the vendor answered.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  activityByEmailXml,
  rawCall,
  startTestService,
  type TestService,
} from '../support/service.js';

const faultstring = (body: string) => /<faultstring>([^<]*)<\/faultstring>/.exec(body)?.[1];
const message = (body: string) => /<message>([^<]*)<\/message>/.exec(body)?.[1];

for (const engine of testEngines()) {
  describe(`fault texts as the vendor wrote them (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    const key = (type: string, value: string) =>
      `<leadKey><keyType>${type}</keyType><keyValue>${value}</keyValue></leadKey>`;

    for (const [type, value] of [
      ['EMAIL', 'nobody@example.com'],
      ['IDNUM', '424242'],
      ['SFDCLEADID', '00Q000000000001AAA'],
      ['COOKIE', 'id:123-ABC-456&amp;token:_mch-example.com-1'],
    ] as const) {
      it(`getLead by ${type} finding no one: 20103 - Lead not found, the message naming the key`, async () => {
        const r = await rawCall(
          service.url,
          `<ns1:paramsGetLead>${key(type, value)}</ns1:paramsGetLead>`,
        );
        expect(r.status, r.body).to.equal(500);
        expect(faultstring(r.body)).to.equal('20103 - Lead not found');
        expect(message(r.body)).to.equal(`No lead found with ${type} = ${value} (20103)`);
        expect(r.body).to.contain('<code>20103</code>');
      });
    }

    it('a bad signature or an unknown user: 20014 - Authentication failed, as the vendor wrote it', async () => {
      for (const opts of [
        { signature: '0'.repeat(40) },
        { user: { userId: 'nobody_at_all', encryptionKey: 'NotTheKeyOfAnyone' } },
      ]) {
        const r = await rawCall(
          service.url,
          `<ns1:paramsGetLead>${key('EMAIL', 'nobody@example.com')}</ns1:paramsGetLead>`,
          opts,
        );
        expect(faultstring(r.body), r.body).to.equal('20014 - Authentication failed');
        expect(message(r.body)).to.equal('Authentication failed (20014)');
      }
    });

    it('getLeadActivity and deleteLead word it the same', async () => {
      for (const body of [
        activityByEmailXml('nobody@example.com'),
        `<ns1:paramsDeleteLead>${key('EMAIL', 'nobody@example.com')}</ns1:paramsDeleteLead>`,
      ]) {
        const r = await rawCall(service.url, body);
        expect(faultstring(r.body), r.body).to.equal('20103 - Lead not found');
        expect(message(r.body)).to.equal('No lead found with EMAIL = nobody@example.com (20103)');
      }
    });
  });
}
