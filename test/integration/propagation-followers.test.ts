/**
 * The people who follow a propagation are logged as one narrow row each (activity_followers)
 * beside one propagation_events row, not as a whole activity each; PROPAGATION_LOG=activities
 * writes the previous form, for a rolling upgrade. Either form reads the same, to the id: the
 * same operations on two fresh databases, one in each form, give the same change stream and
 * the same logs per person, page after page; a merge moves followers with their people; the
 * migration's `down` turns them into activity rows with their ids.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import * as followersMigration from '../../migrations/20261202000300_propagation_followers.js';
import type { ActivityPage, ActivityView } from '../../src/domain/activity.service.js';
import { ChangePaths, PROPAGATED_REASON } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { openDatabase } from '../../src/data-access/database.js';
import { setPropagationLog } from '../../src/data-access/propagation-log.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { emailKey } from '../../src/domain/email-key.js';
import { createServices } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { createLead, idKey, openHarness, type Harness } from '../support/harness.js';
import { outcome } from '../support/batch-records.js';
import { addressRows } from '../support/suppression-list.js';

const count = async (h: Harness, table: string, where: Record<string, unknown> = {}) => {
  const [row] = (await h.db.knex(table).where(where).count({ n: '*' })) as Array<{ n: unknown }>;
  return Number(row?.n);
};

/**
 * Every path that propagates, on people of four addresses: syncLead by Id (an unsubscribe and
 * a re-subscribe), an unsubscribe link, a suppression list, syncMultipleLeads, then a merge of
 * a follower into another person. The ids of the people, in order of creation.
 */
async function propagations(s: Services): Promise<number[]> {
  const ids: number[] = [];
  for (const [email, n] of [
    ['sync@example.com', 6],
    ['link@example.com', 4],
    ['list@example.com', 3],
    ['batch@example.com', 3],
  ] as const)
    for (let i = 0; i < n; i++)
      ids.push(await createLead(s, email, i % 2 ? { partition: 'Other' } : {}));
  const web = ChangePaths.webService('api-user');
  const flip = (id: number, value: boolean) =>
    s.leads.sync(
      { id, attributes: [{ name: 'Unsubscribed', value: String(value) }] },
      { path: web },
    );
  await flip(ids[2]!, true);
  await flip(ids[4]!, false);
  await s.links.unsubscribe({ email: 'link@example.com', linkId: 'aaaaaaaaaaaaaaaa', list: null });
  await s.suppressions.import(addressRows(['list@example.com']), { onReject: () => undefined });
  await s.leads.syncMany(
    [{ id: ids[14]!, attributes: [{ name: 'Unsubscribed', value: 'true' }] }],
    {
      path: web,
    },
  );
  await s.merges.merge([idKey(ids[0]!)], [[idKey(ids[6]!)]], web);
  return ids;
}

const unsubscribed = (value: boolean) => [{ name: 'Unsubscribed', value: String(value) }];

/**
 * One syncMultipleLeads call whose records unsubscribe and re-subscribe addresses shared with
 * people outside the batch (and in it), between creates, plain updates and a person named twice
 * (by id and by address), after and before single-path writes: the batch's activities take
 * ids in the order its rules wrote them, followers between whole activities, and whatever
 * follows the batch takes the next. The people's ids, and the batch's answers.
 */
async function batchPropagations(s: Services): Promise<{ ids: number[]; answers: unknown[] }> {
  const ids: number[] = [];
  for (const [email, n] of [
    ['bf-a@example.com', 3],
    ['bf-b@example.com', 3],
    ['bf-c@example.com', 2],
    ['bf-d@example.com', 2],
  ] as const)
    for (let i = 0; i < n; i++)
      ids.push(await createLead(s, email, i % 2 ? { partition: 'Other' } : {}));
  const web = ChangePaths.webService('api-user');
  const [a0, , a2, , , , c0, c1, d0, d1] = ids;
  await s.leads.sync({ id: c0!, attributes: unsubscribed(true) }, { path: web });
  const answers = await s.leads.syncMany(
    [
      { id: a0!, attributes: unsubscribed(true) },
      { email: 'bf-new@example.com', attributes: [{ name: 'FirstName', value: 'New' }] },
      { id: c1!, attributes: unsubscribed(false) },
      { email: 'bf-a@example.com', attributes: [{ name: 'FirstName', value: 'Dup' }] },
      { email: 'bf-new@example.com', attributes: unsubscribed(true) },
      { id: a2!, attributes: unsubscribed(false) },
      { email: 'bf-b@example.com', attributes: unsubscribed(true) },
      { id: d0!, attributes: [{ name: 'FirstName', value: 'Plain' }] },
      { email: 'bf-new2@example.com', attributes: unsubscribed(true) },
    ],
    { path: web },
  );
  await s.leads.sync({ id: d1!, attributes: unsubscribed(true) }, { path: web });
  ids.push(await createLead(s, 'bf-after@example.com'));
  return { ids, answers: answers.map(outcome) };
}

/** The whole change stream in pages of `size`, and each page's position and remaining count. */
async function stream(s: Services, size: number): Promise<unknown[]> {
  const out: unknown[] = [];
  let offset = 'ID:0';
  for (let calls = 0; calls < 500; calls++) {
    const page: ActivityPage = await s.activities.changes({ offset }, { batchSize: size });
    out.push(page);
    offset = page.newStartPosition.offset;
    if (page.remainingCount === 0) return out;
  }
  throw new Error('the stream did not end');
}

/** What every reader answers: the stream (pages of 1000 and 7, filtered, from a time), every log. */
async function everything(
  h: Harness,
  ids: readonly number[],
  mergedAway: number | null = 6,
): Promise<unknown> {
  const s = h.services;
  const logs: ActivityView[][] = [];
  // ids[6] lost the merge: its log is ids[0]'s.
  for (const id of ids.filter((_, i) => i !== mergedAway)) {
    const pages: ActivityView[] = [];
    let offset: string | undefined;
    for (let calls = 0; calls < 50; calls++) {
      const page = await s.activities.listForLead(idKey(id), {
        batchSize: 3,
        ...(offset ? { start: { offset } } : {}),
      });
      pages.push(...page.activities);
      offset = page.newStartPosition.offset;
      if (page.remainingCount === 0) break;
    }
    logs.push(pages);
  }
  return {
    all: await stream(s, 1000),
    paged: await stream(s, 7),
    changesOnly: await s.activities.changes(
      { offset: 'ID:0' },
      { filter: { includeTypes: ['ChangeDataValue'] }, batchSize: 50 },
    ),
    newOnly: await s.activities.changes(
      { offset: 'ID:0' },
      { filter: { excludeTypes: ['ChangeDataValue'] }, batchSize: 50 },
    ),
    since: await s.activities.changes({ oldestCreatedAt: new Date(Date.UTC(2026, 0, 1) + 30) }),
    logs,
  };
}

for (const engine of testEngines()) {
  describe(`a propagation's followers in a table of their own (${engine.name})`, function () {
    this.timeout(120000);
    const opened: Harness[] = [];
    const open = async (form: 'followers' | 'activities') => {
      const h = await openHarness(engine);
      opened.push(h);
      setPropagationLog(h.db.knex, form);
      return h;
    };
    after(async () => {
      for (const h of opened) await h.drop();
    });

    it('writes one follower row per person who followed, one event per propagation', async () => {
      const h = await open('followers');
      await propagations(h.services);
      // sync: 5 follow the unsubscribe, then 4 the re-subscribe (the cause's flag moved first);
      // link: 4; list: 3; the batch: 2.
      expect(await count(h, 'activity_followers')).to.equal(5 + 5 + 4 + 3 + 2);
      expect(await count(h, 'propagation_events')).to.equal(5);
      expect(await count(h, 'activities', { reason: PROPAGATED_REASON })).to.equal(0);
    });

    // SQLite writes a batch either checked (one message to the writer) or under the write
    // lock (batch-flush.ts, BatchWriter); PostgreSQL always the latter.
    for (const locked of engine.name === 'sqlite' ? [false, true] : [false]) {
      const way = locked ? ', under the write lock' : '';
      it(`a batch writes its followers as follower rows and reads as whole activities did${way}`, async () => {
        if (locked) sinon.stub(UnitOfWork.prototype, 'writeChecked').resolves(null);
        try {
          const followed = await open('followers');
          const old = await open('activities');
          const got = await batchPropagations(followed.services);
          expect(await batchPropagations(old.services)).to.deep.equal(got);
          // The batch: a's 2 follow, c's 1, a's 2 again, b's 2; the single path: c's 1, d's 1.
          expect(await count(followed, 'activity_followers')).to.equal(2 + 1 + 2 + 2 + 1 + 1);
          expect(await count(followed, 'propagation_events')).to.equal(6);
          expect(await count(followed, 'activities', { reason: PROPAGATED_REASON })).to.equal(0);
          expect(await count(old, 'activities', { reason: PROPAGATED_REASON })).to.equal(9);
          expect(await count(old, 'activity_followers')).to.equal(0);
          const log = (h: Harness) => h.db.knex('activity_log').orderBy('id');
          expect(await log(followed)).to.deep.equal(await log(old));
          expect(await everything(followed, got.ids, null)).to.deep.equal(
            await everything(old, got.ids, null),
          );
        } finally {
          sinon.restore();
        }
      });
    }

    it("a batch's record undone after it propagated leaves no follower or event behind", async () => {
      const h = await open('followers');
      const people: number[] = [];
      for (const email of ['undo@example.com', 'undo@example.com', 'kept@example.com'])
        people.push(await createLead(h.services, email));
      people.push(await createLead(h.services, 'kept@example.com'));
      const activity = { attributeName: 'Unsubscribed', reason: PROPAGATED_REASON, source: 't' };
      const status = (key: string, leadId: number) => ({
        emailKey: key,
        unsubscribed: true,
        reason: 'test',
        source: 'test',
        leadId,
        changedAt: Date.UTC(2026, 0, 2),
      });
      const keys = ['undo@example.com', 'kept@example.com'].map(emailKey);
      await new UnitOfWork(h.db).write(async (repos) => {
        const batch = await repos.openBatch({ ids: [], foreignIds: [], emailKeys: keys });
        for (;;) {
          let mark = batch.savepoint();
          await batch.repos.setStatusAndPropagate(
            status(keys[0]!, people[0]!),
            people[0]!,
            activity,
          );
          batch.rollbackTo(mark);
          mark = batch.savepoint();
          await batch.repos.setStatusAndPropagate(
            status(keys[1]!, people[2]!),
            people[2]!,
            activity,
          );
          if (await batch.complete()) return;
        }
      });
      expect(await h.db.knex('activity_followers').select('lead_id')).to.deep.equal([
        { lead_id: people[3] },
      ]);
      expect(await count(h, 'propagation_events')).to.equal(1);
    });

    it('PROPAGATION_LOG=activities writes whole activities, and every reader answers the same', async () => {
      const followed = await open('followers');
      const old = await open('activities');
      const ids = await propagations(followed.services);
      expect(await propagations(old.services)).to.deep.equal(ids);
      expect(await count(old, 'activity_followers')).to.equal(0);
      expect(await count(old, 'propagation_events')).to.equal(0);
      expect(await count(followed, 'activity_followers')).to.be.above(0);
      expect(await everything(followed, ids)).to.deep.equal(await everything(old, ids));
    });

    it('the database opened with PROPAGATION_LOG=activities writes whole activities', async () => {
      const h = await open('followers');
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push(await createLead(h.services, 'opened@example.com'));
      const old = openDatabase({
        databaseUrl: h.url,
        dataDir: h.dataDir,
        sqliteBusyTimeoutMs: 10000,
        dbPoolMax: 2,
        propagationLog: 'activities',
      });
      try {
        await createServices(old, { customFields: [], defaultPartition: 'Default' }).leads.sync(
          { id: ids[0]!, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { path: ChangePaths.webService() },
        );
      } finally {
        await old.close();
      }
      expect(await count(h, 'activity_followers')).to.equal(0);
      expect(await count(h, 'activities', { reason: PROPAGATED_REASON })).to.equal(2);
    });

    it("the migration's down turns followers into activities, ids kept; up reads them as before", async () => {
      const h = await open('followers');
      const ids = await propagations(h.services);
      const before = await everything(h, ids);
      const log = await h.db.knex('activity_log').orderBy('id');
      await followersMigration.down(h.db.knex);
      const rolledBack = await h.db.knex('activities').orderBy('id');
      expect(rolledBack).to.deep.equal(log);
      await followersMigration.up(h.db.knex);
      expect(await everything(h, ids)).to.deep.equal(before);
    });
  });
}
