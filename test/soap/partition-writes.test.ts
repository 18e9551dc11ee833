import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';

// A SOAP user confined to a partition writes (syncLead, syncMultipleLeads, deleteLead,
// mergeLeads): a person of another partition must answer as nobody does. The writes used to
// refuse such a person with a 20013 naming its partition, and mergeLeads resolved keys across
// partitions: id by id or address by address, a confined user could tell who existed elsewhere.

const NOBODY_ID = 2147483000;
const workspace = (name: string) =>
  `<ns1:MktowsContextHeader><targetWorkspace>${name}</targetWorkspace></ns1:MktowsContextHeader>`;
const attr = (name: string, value: string) =>
  `<attribute><attrName>${name}</attrName><attrValue>${value}</attrValue></attribute>`;
const SYNC_BY = (keyXml: string, firstName: string) =>
  `<ns1:paramsSyncLead><leadRecord>${keyXml}<leadAttributeList>${attr('FirstName', firstName)}</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
const SYNC_MANY_BY_ID = (id: number) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Id>${id}</Id><leadAttributeList>${attr('FirstName', 'Mallory')}</leadAttributeList></leadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>`;
const CREATE = (email: string, firstName: string) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>${email}</Email><leadAttributeList>${attr('FirstName', firstName)}</leadAttributeList></leadRecord></leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`;
const DELETE = (type: string, value: string) =>
  `<ns1:paramsDeleteLead><leadKey><keyType>${type}</keyType><keyValue>${value}</keyValue></leadKey></ns1:paramsDeleteLead>`;
const MERGE = (winner: string, loser: string) =>
  `<ns1:paramsMergeLeads><winningLeadKeyList>${winner}</winningLeadKeyList><losingLeadKeyLists><keyList>${loser}</keyList></losingLeadKeyLists></ns1:paramsMergeLeads>`;
const GET_BY_ID = (id: number) =>
  `<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>${id}</keyValue></leadKey></ns1:paramsGetLead>`;

const idOf = (body: string) => Number(/<leadId>(\d+)<\/leadId>/.exec(body)![1]);
/** The answer with the key it was asked about (a word of its text), and new lead ids, taken out. */
const shape = (body: string, key: string | number) =>
  body
    .replace(new RegExp(`(?<=[ >])${String(key).replace(/[.]/g, '\\.')}(?=[ <])`, 'g'), 'KEY')
    .replace(/<leadId>\d+<\/leadId>/g, '<leadId>N</leadId>');

for (const engine of testEngines()) {
  describe(`a user confined to a partition cannot tell who exists elsewhere by writing (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const EUROPE = { userId: 'europe', encryptionKey: '' };
    /** Lead ids: `other` and `away` in Default only; `shared` held in both (its own is `sharedOwn`). */
    const ids = { other: 0, away: 0, sharedElsewhere: 0, sharedOwn: 0, own: 0 };

    const admin = (body: string, ws?: string) =>
      rawCall(service.url, body, ws ? { extraHeaderXml: workspace(ws) } : {});
    const asEurope = (body: string, ws = 'Europe') =>
      rawCall(service.url, body, { user: EUROPE, extraHeaderXml: workspace(ws) });
    /** What an unconfined user reads of a person: its whole record, or its fault. */
    const record = async (id: number) => (await admin(GET_BY_ID(id))).body;

    before(async () => {
      service = await startTestService(engine);
      const stored = await service.running.users.create('EU team', EUROPE.userId, {
        readOnly: false,
        mayDelete: true,
        partitions: ['Europe'],
      });
      EUROPE.encryptionKey = stored.encryptionKey;
      ids.other = idOf((await admin(CREATE('other@example.com', 'Otto'))).body);
      ids.away = idOf((await admin(CREATE('away@example.com', 'Abe'))).body);
      ids.sharedElsewhere = idOf((await admin(CREATE('shared@example.com', 'Dee'))).body);
      ids.sharedOwn = idOf((await admin(CREATE('shared@example.com', 'Eve'), 'Europe')).body);
      ids.own = idOf((await admin(CREATE('own@example.com', 'Olga'), 'Europe')).body);
      const fid = `<ns1:paramsSyncLead><leadRecord><Id>${ids.other}</Id><foreignSysPersonId>00Q000000000001AAA</foreignSysPersonId><foreignSysType>SFDC</foreignSysType></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
      expect((await admin(fid)).status).to.equal(200);
    });
    after(() => service?.stop());

    it('syncLead and syncMultipleLeads by the Id of someone elsewhere answer as for no one', async () => {
      const before = await record(ids.other);
      const elsewhere = await asEurope(SYNC_BY(`<Id>${ids.other}</Id>`, 'Mallory'));
      const nobody = await asEurope(SYNC_BY(`<Id>${NOBODY_ID}</Id>`, 'Mallory'));
      expect(faultCode(nobody.body), nobody.body).to.equal(20103);
      expect(shape(elsewhere.body, ids.other)).to.equal(shape(nobody.body, NOBODY_ID));
      const many = await asEurope(SYNC_MANY_BY_ID(ids.other));
      const manyNobody = await asEurope(SYNC_MANY_BY_ID(NOBODY_ID));
      expect(manyNobody.body).to.contain('<status>FAILED</status>');
      expect(shape(many.body, ids.other)).to.equal(shape(manyNobody.body, NOBODY_ID));
      expect(await record(ids.other)).to.equal(before);
    });

    it('syncLead by the address of someone elsewhere creates its own person, as for a new one', async () => {
      const before = await record(ids.away);
      const res = await asEurope(SYNC_BY('<Email>away@example.com</Email>', 'Mallory'));
      expect(res.status, res.body).to.equal(200);
      expect(res.body).to.contain('<status>CREATED</status>');
      expect(idOf(res.body)).to.not.equal(ids.away);
      expect(await record(ids.away)).to.equal(before);
      // Its own person of an address held in both is the one it changes.
      const shared = await asEurope(SYNC_BY('<Email>shared@example.com</Email>', 'Eva'));
      expect(shared.body).to.contain('<status>UPDATED</status>');
      expect(idOf(shared.body)).to.equal(ids.sharedOwn);
      expect(await record(ids.sharedElsewhere)).to.contain('Dee');
      // The same through a batch.
      const batch = await asEurope(
        `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>shared@example.com</Email><leadAttributeList>${attr('FirstName', 'Evi')}</leadAttributeList></leadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>`,
      );
      expect(batch.body, batch.body).to.contain(`<leadId>${ids.sharedOwn}</leadId>`);
      expect(batch.body).to.contain('<status>UPDATED</status>');
      expect(await record(ids.sharedElsewhere)).to.contain('Dee');
    });

    it('a foreign id held elsewhere is refused without naming a partition', async () => {
      const before = await record(ids.other);
      const res = await asEurope(
        SYNC_BY('<foreignSysPersonId>00Q000000000001AAA</foreignSysPersonId>', 'Mallory'),
      );
      expect(res.status, res.body).to.equal(500);
      expect(res.body).to.not.match(/Default|partition/i);
      expect(await record(ids.other)).to.equal(before);
    });

    it('deleteLead of someone elsewhere answers as for no one, and deletes only its own', async () => {
      const byId = await asEurope(DELETE('IDNUM', String(ids.other)));
      const nobodyById = await asEurope(DELETE('IDNUM', String(NOBODY_ID)));
      expect(faultCode(nobodyById.body), nobodyById.body).to.equal(20103);
      expect(shape(byId.body, ids.other)).to.equal(shape(nobodyById.body, NOBODY_ID));
      const byEmail = await asEurope(DELETE('EMAIL', 'other@example.com'));
      const nobodyByEmail = await asEurope(DELETE('EMAIL', 'nobody@example.com'));
      expect(faultCode(nobodyByEmail.body)).to.equal(20103);
      expect(shape(byEmail.body, 'other@example.com')).to.equal(
        shape(nobodyByEmail.body, 'nobody@example.com'),
      );
      expect(await record(ids.other)).to.contain('Otto');
    });

    it('mergeLeads finds only its own people: someone elsewhere is no one', async () => {
      const idKey = (id: number) => attr('IDNUM', String(id));
      const before = await record(ids.other);
      for (const [elsewhere, nobody] of [
        [MERGE(idKey(ids.own), idKey(ids.other)), MERGE(idKey(ids.own), idKey(NOBODY_ID))],
        [MERGE(idKey(ids.other), idKey(ids.own)), MERGE(idKey(NOBODY_ID), idKey(ids.own))],
      ] as const) {
        const a = await asEurope(elsewhere);
        const b = await asEurope(nobody);
        expect(b.body, b.body).to.contain('<status>FAILED</status>');
        expect(shape(a.body, ids.other)).to.equal(shape(b.body, NOBODY_ID));
      }
      expect(await record(ids.other)).to.equal(before);
      // An address held in both names its own person only: not "matches 2 leads".
      const res = await asEurope(MERGE(idKey(ids.own), attr('EMAIL', 'shared@example.com')));
      expect(res.body, res.body).to.contain('<status>MERGED</status>');
      expect(res.body).to.contain(`<integerItem>${ids.sharedOwn}</integerItem>`);
      expect(await record(ids.sharedElsewhere)).to.contain('Dee');
    });
  });
}
