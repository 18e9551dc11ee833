/**
 * Spellings of one domain that IDNA maps to one (UTS #46: NFKC and a case fold, the ideographic
 * full stops as '.'), over SOAP on both engines: `ann@𝐞xample.com`, `ANN@Ⓔxample｡com` and
 * `ann@example.com` are delivered to one mailbox, so an opt-out sent under one spelling
 * reaches the people holding the others. Before, each had a master status of its own.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { rawCall, startTestService, type TestService } from '../support/service.js';

const attr = (name: string, value: string) =>
  `<attribute><attrName>${name}</attrName><attrValue>${value}</attrValue></attribute>`;
/** A new person of `email`, whoever else holds it (no deduplication). */
const CREATE = (email: string) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>${email}</Email><leadAttributeList>${attr('FirstName', 'Ann')}</leadAttributeList></leadRecord></leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`;
const OPT_OUT = (email: string) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList>${attr('Unsubscribed', 'true')}</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
const GET_BY_ID = (id: number) =>
  `<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>${id}</keyValue></leadKey></ns1:paramsGetLead>`;

const idOf = (body: string) => Number(/<leadId>(\d+)<\/leadId>/.exec(body)![1]);
const unsubscribedOf = (body: string) =>
  /<attrName>Unsubscribed<\/attrName><attrType>[^<]*<\/attrType><attrValue>([^<]*)<\/attrValue>/.exec(
    body,
  )?.[1];

for (const engine of testEngines()) {
  describe(`an opt-out reaches every IDNA spelling of its domain (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const call = (body: string) => rawCall(service.url, body);

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    async function created(email: string): Promise<number> {
      const r = await call(CREATE(email));
      expect(r.status, r.body).to.equal(200);
      expect(r.body, r.body).to.contain('<status>CREATED</status>');
      return idOf(r.body);
    }

    async function flags(ids: number[]): Promise<Array<string | undefined>> {
      const out = [];
      for (const id of ids) {
        const r = await call(GET_BY_ID(id));
        expect(r.status, r.body).to.equal(200);
        out.push(unsubscribedOf(r.body));
      }
      return out;
    }

    it('an opt-out by syncLead under one spelling unsubscribes the people of the others', async () => {
      const spellings = [
        'ann@example.com',
        'Ann@\u{1d41e}xample.com', // mathematical bold e
        'ANN@\u24baxample\uff61com', // circled capital E, half-width ideographic full stop
      ];
      const ids = [];
      for (const email of spellings) ids.push(await created(email));
      const before = await flags(ids);
      expect(
        before.every((f) => f === 'false' || f === '0'),
        before.join(),
      ).to.equal(true);

      const r = await call(OPT_OUT('ann@\u24d4xample\u3002com')); // circled e, ideographic stop
      expect(r.status, r.body).to.equal(200);
      expect(r.body, r.body).to.contain('<status>UPDATED</status>');
      const after = await flags(ids);
      expect(
        after.every((f) => f === 'true' || f === '1'),
        after.join(),
      ).to.equal(true);
    });

    it('keeps a mathematical letter of the local part apart: the receiving system reads it', async () => {
      const plain = await created('bea@example.com');
      const r = await call(OPT_OUT('\u{1d41b}ea@example.com'));
      expect(r.status, r.body).to.equal(200);
      expect(r.body, r.body).to.contain('<status>CREATED</status>');
      expect((await flags([plain]))[0]).to.be.oneOf(['false', '0']);
    });
  });
}
