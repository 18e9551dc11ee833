import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  faultCode,
  rawCall,
  startTestService,
  TEST_USER,
  type TestService,
} from '../support/service.js';

const READER = { userId: 'reader', encryptionKey: 'READERKEY0123456789' };
const FEED = { userId: 'feed', encryptionKey: 'FEEDKEY0123456789' };
/** A stored user; its key is the one `users add` made. */
const EUROPE = { userId: 'europe', encryptionKey: '' };

const KEY = (type: string, value: string) =>
  `<leadKey><keyType>${type}</keyType><keyValue>${value}</keyValue></leadKey>`;
const GET_LEAD = (email: string) => `<ns1:paramsGetLead>${KEY('EMAIL', email)}</ns1:paramsGetLead>`;
const SYNC = (email: string, unsubscribed?: boolean) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email>` +
  (unsubscribed === undefined
    ? ''
    : `<leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>${unsubscribed}</attrValue></attribute></leadAttributeList>`) +
  `</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
/** A record keyed by Id in a batch: someone the caller cannot see is no one. */
const SYNC_MANY_ID = (id: number) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Id>${id}</Id><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>false</attrValue></attribute></leadAttributeList></leadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>`;
const SYNC_MANY = (email: string) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>${email}</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>false</attrValue></attribute></leadAttributeList></leadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>`;
const DELETE = (email: string) =>
  `<ns1:paramsDeleteLead>${KEY('EMAIL', email)}</ns1:paramsDeleteLead>`;
const IDNUM_LIST = (id: number) =>
  `<attribute><attrName>IDNUM</attrName><attrValue>${id}</attrValue></attribute>`;
/** A merge deletes its loser: a write, and a delete. */
const MERGE = (winner: number, loser: number) =>
  `<ns1:paramsMergeLeads><winningLeadKeyList>${IDNUM_LIST(winner)}</winningLeadKeyList><losingLeadKeyLists><keyList>${IDNUM_LIST(loser)}</keyList></losingLeadKeyLists></ns1:paramsMergeLeads>`;
const ACTIVITY = (type: string, value: string) =>
  `<ns1:paramsGetLeadActivity>${KEY(type, value)}</ns1:paramsGetLeadActivity>`;
/** Creates a lead of `email` even if the address is held already (dedupEnabled false). */
const CREATE = (email: string) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>${email}</Email></leadRecord></leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`;
const CHANGES = `<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition></ns1:paramsGetLeadChanges>`;
const workspace = (name: string) =>
  `<ns1:MktowsContextHeader><targetWorkspace>${name}</targetWorkspace></ns1:MktowsContextHeader>`;

for (const engine of testEngines()) {
  describe(`per-user permissions (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    let changesBefore: string;
    /** Lead ids of default@example.com (Default partition) and eu@example.com (Europe). */
    const ids: Record<string, number> = {};

    const as = (user: { userId: string; encryptionKey: string }, body: string, ws?: string) =>
      rawCall(service.url, body, { user, ...(ws ? { extraHeaderXml: workspace(ws) } : {}) });

    before(async () => {
      service = await startTestService(engine, {
        mktowsUsers: [
          TEST_USER,
          { ...READER, permissions: { readOnly: true, mayDelete: false, partitions: null } },
          { ...FEED, permissions: { readOnly: false, mayDelete: false, partitions: null } },
        ],
      });
      // A stored user confined to one partition, as `users add --partitions Europe` makes it.
      const stored = await service.running.users.create('EU team', EUROPE.userId, {
        readOnly: false,
        mayDelete: true,
        partitions: ['Europe'],
      });
      EUROPE.encryptionKey = stored.encryptionKey;
      for (const [email, ws, unsub] of [
        ['default@example.com', undefined, true],
        ['eu@example.com', 'Europe', true],
      ] as const) {
        const res = await as(TEST_USER, SYNC(email, unsub), ws);
        expect(res.status, res.body).to.equal(200);
        ids[email] = Number(/<leadId>(\d+)<\/leadId>/.exec(res.body)![1]);
      }
      changesBefore = (await as(TEST_USER, CHANGES)).body;
    });
    after(() => service?.stop());

    const expectDenied = async (res: { status: number; body: string }) => {
      expect(res.status, res.body).to.equal(500);
      expect(faultCode(res.body), res.body).to.equal(20013);
    };
    const expectUnchanged = async () => {
      expect((await as(TEST_USER, CHANGES)).body).to.equal(changesBefore);
    };

    it('a read-only user reads, and every write is refused with 20013, nothing changed', async () => {
      const read = await as(READER, GET_LEAD('default@example.com'));
      expect(read.status, read.body).to.equal(200);
      await expectDenied(await as(READER, SYNC('default@example.com', false)));
      await expectDenied(await as(READER, SYNC('new-by-reader@example.com')));
      await expectDenied(await as(READER, SYNC_MANY('default@example.com')));
      await expectDenied(await as(READER, DELETE('default@example.com')));
      await expectDenied(
        await as(READER, MERGE(ids['default@example.com']!, ids['eu@example.com']!)),
      );
      await expectUnchanged();
    });

    it('a user without delete may sync but not delete', async () => {
      await expectDenied(await as(FEED, DELETE('default@example.com')));
      await expectDenied(
        await as(FEED, MERGE(ids['default@example.com']!, ids['eu@example.com']!)),
      );
      await expectUnchanged();
      const read = await as(FEED, GET_LEAD('default@example.com'));
      expect(read.body).to.contain('<count>1</count>');
    });

    it('a user confined to a partition touches only its people: others are refused or unseen', async () => {
      // Not its partition: creating there is refused.
      await expectDenied(await as(EUROPE, SYNC('someone-new@example.com'))); // default partition
      // Someone there is no one: not found (partition-writes.test.ts compares the answers).
      const notFound = (body: string) => expect(faultCode(body), body).to.equal(20103);
      notFound((await as(EUROPE, DELETE('default@example.com'))).body);
      // Merging deletes the loser: someone outside its partitions is found on neither side.
      const [eu, other] = [ids['eu@example.com']!, ids['default@example.com']!];
      for (const merge of [MERGE(eu, other), MERGE(other, eu)]) {
        const res = await as(EUROPE, merge);
        expect(res.body, res.body).to.match(/<status>FAILED<\/status><error>20103 /);
      }
      const batch = await as(EUROPE, SYNC_MANY_ID(other), 'Europe');
      expect(batch.status, batch.body).to.equal(200);
      expect(batch.body).to.match(/<status>FAILED<\/status><error>20103 /);
      await expectDenied(await as(EUROPE, CHANGES));
      expect(faultCode((await as(EUROPE, GET_LEAD('default@example.com'))).body)).to.equal(20103);
      await expectUnchanged();
      // Its own partition: allowed.
      const own = await as(EUROPE, GET_LEAD('eu@example.com'));
      expect(own.body).to.contain('<count>1</count>');
      const created = await as(EUROPE, SYNC('eu-new@example.com'), 'Europe');
      expect(created.status, created.body).to.equal(200);
    });

    // After the tests that compare the change stream: it adds people.
    it('getLeadActivity of a confined user reads its own people only, never naming a partition', async () => {
      const idOf = (body: string) => Number(/<leadId>(\d+)<\/leadId>/.exec(body)![1]);
      // The same address held in the Default partition and in Europe.
      const elsewhere = idOf((await as(TEST_USER, CREATE('both@example.com'))).body);
      const own = idOf((await as(TEST_USER, CREATE('both@example.com'), 'Europe')).body);
      // Someone elsewhere answers as nobody does, by address or by id: not found, the same
      // fault as getLead's, its partition unnamed.
      const nobody = await as(EUROPE, ACTIVITY('IDNUM', '2147483647'));
      expect(faultCode(nobody.body), nobody.body).to.equal(20103);
      for (const [type, value] of [
        ['EMAIL', 'default@example.com'],
        ['IDNUM', String(ids['default@example.com'])],
        ['IDNUM', String(elsewhere)],
      ] as const) {
        const res = await as(EUROPE, ACTIVITY(type, value));
        expect(faultCode(res.body), `${type} ${value}: ${res.body}`).to.equal(20103);
        expect(res.body).to.not.contain('Default');
        // The fault of a key that finds no one, naming this key (as the vendor's 20103 did).
        expect(res.body).to.equal(nobody.body.replace('IDNUM = 2147483647', `${type} = ${value}`));
      }
      // An address held in both: the log of its own person, none of the other's.
      const shared = await as(EUROPE, ACTIVITY('EMAIL', 'both@example.com'));
      expect(shared.status, shared.body).to.equal(200);
      const people = [...shared.body.matchAll(/<mktPersonId>(\d+)<\/mktPersonId>/g)].map((m) =>
        Number(m[1]),
      );
      expect(people.length).to.be.above(0);
      expect([...new Set(people)]).to.deep.equal([own]);
      // Its own person by id, as before.
      const byId = await as(EUROPE, ACTIVITY('IDNUM', String(own)));
      expect(byId.status, byId.body).to.equal(200);
      // A user of every partition still reads everyone's.
      const all = await as(TEST_USER, ACTIVITY('EMAIL', 'both@example.com'));
      expect(all.body).to.contain(`<mktPersonId>${elsewhere}</mktPersonId>`);
      expect(all.body).to.contain(`<mktPersonId>${own}</mktPersonId>`);
    });

    it('users without permissions (all existing ones) keep full access', async () => {
      const res = await as(TEST_USER, DELETE('eu-new@example.com'));
      expect(res.status, res.body).to.equal(200);
      const listed = await service.running.users.list();
      expect(listed.find((u) => u.userId === TEST_USER.userId)?.permissions).to.deep.equal({
        readOnly: false,
        mayDelete: true,
        partitions: null,
      });
    });
  });
}
