/**
 * A lead record names its person by `Id`, `Email` or `ForeignSysPersonId`: the vendor's pages of
 * syncLead and syncMultipleLeads say one of them is required ("LeadRecords must specify the lead
 * id, email, or ForeignSysPersonId"). A record with none (a CRM row whose address is blank) was
 * created here as a new person without an address, once per call: a nightly batch made another
 * such person of every blank row, every night. It is 20101 Lead Key Required now, that record
 * alone `FAILED` in a batch, nothing stored. A Munchkin cookie beside it (syncLead's
 * `marketoCookie`) still creates, as the vendor created an anonymous lead.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { expectFault, rawCall, startTestService, type TestService } from '../support/service.js';

const attr = (name: string, value: string) =>
  `<attribute><attrName>${name}</attrName><attrValue>${value}</attrValue></attribute>`;
const SYNC = (record: string, extra = '') =>
  `<ns1:paramsSyncLead><leadRecord>${record}</leadRecord><returnLead>false</returnLead>${extra}</ns1:paramsSyncLead>`;
const BATCH = (...records: string[]) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${records
    .map((r) => `<leadRecord>${r}</leadRecord>`)
    .join('')}</leadRecordList></ns1:paramsSyncMultipleLeads>`;
const ALL_CHANGES =
  '<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>' +
  '<batchSize>1000</batchSize></ns1:paramsGetLeadChanges>';

for (const engine of testEngines()) {
  describe(`a lead record without Id, Email or ForeignSysPersonId (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const call = (body: string) => rawCall(service.url, body);
    const newLeads = async () =>
      ((await call(ALL_CHANGES)).body.match(/<activityType>New Lead<\/activityType>/g) ?? [])
        .length;

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('syncLead answers 20101 Lead Key Required and creates no one', async () => {
      const before = await newLeads();
      for (const record of [
        `<leadAttributeList>${attr('FirstName', 'Blank')}</leadAttributeList>`,
        `<Email></Email><leadAttributeList>${attr('FirstName', 'Blank')}</leadAttributeList>`,
        `<Email xsi:nil="true"/><ForeignSysPersonId xsi:nil="true"/><leadAttributeList>${attr('Email', ' ')}</leadAttributeList>`,
      ]) {
        const res = await call(SYNC(record));
        expectFault(res, 20101);
        expect(res.body).to.include('Id, Email or ForeignSysPersonId');
      }
      expect(await newLeads()).to.equal(before);
    });

    it('syncMultipleLeads fails that record alone', async () => {
      const before = await newLeads();
      const res = await call(
        BATCH(
          '<Email>keyed-1@example.com</Email>',
          `<leadAttributeList>${attr('FirstName', 'Blank')}</leadAttributeList>`,
          `<leadAttributeList>${attr('Email', 'keyed-2@example.com')}</leadAttributeList>`,
        ),
      );
      expect(res.status, res.body).to.equal(200);
      const statuses = [...res.body.matchAll(/<status>(\w+)<\/status>/g)].map((m) => m[1]);
      expect(statuses, res.body).to.deep.equal(['CREATED', 'FAILED', 'CREATED']);
      expect(res.body).to.match(/<error>20101 - [^<]*Id, Email or ForeignSysPersonId/);
      expect(await newLeads()).to.equal(before + 2);
    });

    it('a record keyed by a ForeignSysPersonId, or a syncLead with a marketoCookie, still creates', async () => {
      const before = await newLeads();
      const byForeignId = await call(SYNC('<ForeignSysPersonId>ERP-1</ForeignSysPersonId>'));
      expect(byForeignId.body, byForeignId.body).to.include('<status>CREATED</status>');
      const byCookie = await call(
        SYNC(
          `<leadAttributeList>${attr('FirstName', 'Anon')}</leadAttributeList>`,
          '<marketoCookie>id:561-HYG-937&amp;token:_mch-example.com-1</marketoCookie>',
        ),
      );
      expect(byCookie.body, byCookie.body).to.include('<status>CREATED</status>');
      expect(await newLeads()).to.equal(before + 2);
    });
  });
}
