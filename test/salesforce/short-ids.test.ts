import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { id15 } from '../../src/formats/salesforce-id.js';
import { testEngines } from '../support/database.js';
import { openHarness, rowCounts, type Harness } from '../support/harness.js';
import { ORG_ID, leadNotification, leadRecordId } from './support.js';

/** A record id whose 15 characters hold upper- and lower-case letters (its case matters). */
const RECORD = 1234;

for (const engine of testEngines()) {
  describe(`Salesforce ids in either form (${engine.name})`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(engine);
    });
    afterEach(() => h.drop());

    const store = (foreignId: string, email: string) =>
      h.services.leads.sync(
        { email, foreignSysPersonId: foreignId, foreignSysType: 'SFDC' },
        { path: ChangePaths.webService() },
      );

    it('a notification finds the person stored under the 15-character id, which stays as written', async () => {
      const short = id15(leadRecordId(RECORD));
      const stored = await store(short, 'ana@example.com');
      const [result] = await h.services.salesforce.apply(ORG_ID, [
        leadNotification(1, RECORD, { Email: 'ana@example.com', LastName: 'Lima' }),
      ]);
      expect(result!.leadId).to.equal(stored.leadId);
      expect((await rowCounts(h.db)).leads).to.equal(1);
      const [lead] = await h.services.leads.find({ keyType: 'SFDCLEADID', keyValue: short });
      expect(lead!.foreignSysPersonId).to.equal(short);
      expect(lead!.attributes.find((a) => a.name === 'LastName')?.value).to.equal('Lima');
    });

    it('getLead and getMultipleLeads find a person by either form of its Salesforce id', async () => {
      const long = leadRecordId(RECORD);
      const short = id15(long);
      const a = await store(short, 'bo@example.com');
      const b = await store(leadRecordId(RECORD + 1), 'cy@example.com');
      for (const keyValue of [short, long, long.toLowerCase()]) {
        const found = await h.services.leads.find({ keyType: 'SFDCLEADID', keyValue });
        expect(
          found.map((l) => l.id),
          keyValue,
        ).to.deep.equal([a.leadId]);
      }
      const shortB = id15(leadRecordId(RECORD + 1));
      const many = await h.services.leads.findMany('SFDCCONTACTID', [long, shortB]);
      expect(many.map((l) => l.id)).to.deep.equal([a.leadId, b.leadId]);
      const page = await h.services.leads.findManyPage('SFDCLEADID', [long, shortB], {}, 10);
      expect(page.leads.map((l) => l.id)).to.deep.equal([a.leadId, b.leadId]);
    });

    it("an older untick of another record of the address leaves the short-id record's opt-out standing", async () => {
      await store(id15(leadRecordId(RECORD)), 'eve@example.com');
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(1, RECORD + 1, { Email: 'eve@example.com', Unsubscribed: 'true' }, 1000),
        leadNotification(2, RECORD, { Unsubscribed: 'true' }, 3000),
        leadNotification(3, RECORD + 1, { Unsubscribed: 'false' }, 2000),
      ]);
      const leads = await h.services.leads.find({ keyType: 'EMAIL', keyValue: 'eve@example.com' });
      expect(leads).to.have.length(2);
      expect(leads.map((l) => l.unsubscribed)).to.deep.equal([true, true]);
    });

    it('a lowercased 15-character id is another record: case matters', async () => {
      const short = id15(leadRecordId(RECORD));
      await store(short.toLowerCase(), 'di@example.com');
      expect(await h.services.leads.findMany('SFDCLEADID', [short])).to.deep.equal([]);
    });
  });
}
