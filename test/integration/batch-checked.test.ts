/**
 * The checked batch (SQLite file: read outside the write transaction, written by one message
 * that first checks nothing it read has moved; data-access/batch/batch-checked.ts) against the
 * locked batch: the same answers and stored rows, and when something it read moves between its
 * read and its write, nothing of it written, then the locked path run over what moved.
 * PostgreSQL has no checked batch: the same tests show it keeps the locked path.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import type { Database } from '../../src/data-access/database.js';
import { MISS_PAUSE } from '../../src/data-access/batch/batch-gate.js';
import { UnitOfWork, type Repositories } from '../../src/data-access/unit-of-work.js';
import type { BatchMemory, BatchScope } from '../../src/domain/ports.js';
import type { PropagationActivity } from '../../src/domain/records.js';
import type { LeadInput } from '../../src/domain/lead.types.js';
import type { Services } from '../../src/domain/services.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { outcome, random, record, state } from '../support/batch-records.js';
import { testEngines } from '../support/database.js';
import { expectNoViolations, openHarness, web, type Harness } from '../support/harness.js';

type Outcome = 'written' | 'moved' | 'none';

/**
 * Watches every checked batch: its outcome is recorded ('none': no checked batch was tried),
 * `between` (once) runs between its rules and its write (before the locked batch where none
 * was tried), and the databases in `locked` get no checked batch (the locked path).
 */
function watchChecked(locked: Set<Database>, between?: () => Promise<unknown>) {
  const outcomes: Outcome[] = [];
  const writeChecked = UnitOfWork.prototype.writeChecked;
  let pending = between;
  const runPending = async () => {
    const run = pending;
    pending = undefined;
    await run?.();
  };
  sinon.stub(UnitOfWork.prototype, 'writeChecked').callsFake(async function <T>(
    this: UnitOfWork,
    scope: BatchScope,
    apply: (batch: BatchMemory) => Promise<T>,
  ) {
    if (locked.has((this as unknown as { database: Database }).database)) return null;
    let applied = false;
    const done = await writeChecked.call(this, scope, async (batch: BatchMemory) => {
      const value = await apply(batch);
      applied = true;
      await runPending();
      return value;
    });
    if (!applied) await runPending();
    outcomes.push(done ? 'written' : applied ? 'moved' : 'none');
    return done;
  });
  return outcomes;
}

const sqlite = (h: Harness) => h.engine.name === 'sqlite';

const propagation: PropagationActivity = {
  attributeName: 'Unsubscribed',
  reason: 'propagated',
  source: 'test',
  actor: 'test',
  causeLeadId: null,
};

for (const engine of testEngines()) {
  describe(`syncMany's checked batch (${engine.name})`, () => {
    let checked: Harness;
    let reference: Harness;

    beforeEach(async () => {
      checked = await openHarness(engine);
      reference = await openHarness(engine);
    });
    afterEach(async () => {
      sinon.restore();
      await checked.drop();
      await reference.drop();
    });

    async function seed(s: Services) {
      const ctx = { path: web, matchByEmail: false };
      const ids: number[] = [];
      for (const [email, fid] of [
        ['one@example.com', null],
        ['ONE@example.com ', null],
        ['two@example.com', 'fid-1'],
        ['three@example.com', 'fid-2'],
      ] as const) {
        const input: LeadInput = fid ? { email, foreignSysPersonId: fid } : { email };
        ids.push((await s.leads.sync(input, ctx)).leadId);
      }
      return ids;
    }

    async function expectSame(got: unknown[], want: unknown[]) {
      expect(got.map(outcome), 'answers').to.deep.equal(want.map(outcome));
      expect(await state(checked.db), 'stored rows').to.deep.equal(await state(reference.db));
      await expectNoViolations(checked.services);
    }

    it('writes what the locked batch writes: the same answers, rows, statuses and activities', async () => {
      const outcomes = watchChecked(new Set([reference.db]));
      const ids = await seed(checked.services);
      expect(await seed(reference.services)).to.deep.equal(ids);
      const foreignIds = ['fid-1', 'fid-2', 'fid-new-1'];
      const r = random(5);
      for (let n = 0; n < 10; n++) {
        const records = Array.from({ length: 1 + r.int(30) }, () => record(r, ids, foreignIds));
        const got = await checked.services.leads.syncMany(records, { path: web });
        const want = await reference.services.leads.syncMany(records, { path: web });
        await expectSame(got, want);
      }
      // Every batch went the checked way on SQLite, none on PostgreSQL.
      expect(outcomes).to.deep.equal(Array(10).fill(sqlite(checked) ? 'written' : 'none'));
    });

    it('is read on the writer connection, not by a reader thread', async () => {
      const ids = await seed(checked.services);
      if (!sqlite(checked) || checked.db.readKnex === checked.db.knex) return;
      const outcomes = watchChecked(new Set());
      const readerQueries = sinon.spy(checked.db.readKnex.client, 'query');
      const records = [
        { email: 'two@example.com', attributes: [{ name: 'FirstName', value: 'Ann' }] },
        { id: ids[3]!, attributes: [{ name: 'LastName', value: 'Lee' }] },
      ];
      const got = await checked.services.leads.syncMany(records, { path: web });
      expect(got.map(outcome)).to.deep.equal([
        { leadId: ids[2], status: 'UPDATED' },
        { leadId: ids[3], status: 'UPDATED' },
      ]);
      expect(outcomes).to.deep.equal(['written']);
      expect(readerQueries.callCount, "the reader threads' queries").to.equal(0);
    });

    /**
     * Holds a write transaction of the writer open (one unit of the group commit) until the
     * returned `release` is called: `inside` runs in it first; the unit then fails (rolled back)
     * when `release` is given an error, else commits.
     */
    function holdGroup(inside: (repos: Repositories) => Promise<unknown>) {
      let release!: (error?: Error) => void;
      const released = new Promise<Error | undefined>((resolve) => (release = resolve));
      let opened!: () => void;
      const open = new Promise<void>((resolve) => (opened = resolve));
      const done = new UnitOfWork(checked.db).write(async (repos) => {
        await inside(repos);
        opened();
        const error = await released;
        if (error) throw error;
      });
      return {
        open,
        release,
        done: done.then(
          () => 'committed',
          (e: Error) => e.message,
        ),
      };
    }

    it("is read while the writer's group is open, without waiting for its COMMIT", async () => {
      const ids = await seed(checked.services);
      if (!sqlite(checked)) return;
      let readMeanwhile = false;
      const group = holdGroup((repos) => repos.leads.findById(ids[0]!));
      await group.open;
      const outcomes = watchChecked(new Set(), async () => {
        // Between the batch's rules and its write: it was read with the group still open.
        readMeanwhile = true;
        group.release();
      });
      const batch = checked.services.leads.syncMany(
        [{ email: 'two@example.com', attributes: [{ name: 'FirstName', value: 'Ann' }] }],
        { path: web },
      );
      // Through the pool the read waited for the group to end: nothing ends it but the batch.
      const waited = await Promise.race([
        batch.then(() => false),
        new Promise((r) => setTimeout(() => r(true), 2000)),
      ]);
      group.release();
      await batch;
      expect(waited, 'the batch waited for the open group').to.equal(false);
      expect(readMeanwhile).to.equal(true);
      expect(await group.done).to.equal('committed');
      expect(outcomes).to.deep.equal(['written']);
    });

    it('read inside an open group whose writes are then rolled back: the locked path writes', async () => {
      const ids = await seed(checked.services);
      await seed(reference.services);
      if (!sqlite(checked)) return;
      const records: LeadInput[] = [
        { email: 'two@example.com', attributes: [{ name: 'FirstName', value: 'Ann' }] },
        { email: 'new@example.com', attributes: [] },
      ];
      // Not committed: the address unsubscribed and its holder following it, then undone.
      const group = holdGroup(async (repos) => {
        await repos.setStatusAndPropagate(
          {
            emailKey: 'two@example.com',
            unsubscribed: true,
            reason: 'asked by phone',
            source: 'test',
            leadId: null,
            changedAt: Date.now(),
          },
          null,
          { ...propagation, causeLeadId: ids[2]! },
        );
        await repos.leads.findById(ids[2]!);
      });
      await group.open;
      const outcomes = watchChecked(new Set(), async () => {
        group.release(new Error('rolled back'));
        expect(await group.done).to.equal('rolled back');
      });
      // A build whose read waits for the group would never end it: ended here after a while.
      const unstick = setTimeout(() => group.release(new Error('rolled back')), 3000);
      const got = await checked.services.leads.syncMany(records, { path: web });
      clearTimeout(unstick);
      sinon.restore();
      const want = await reference.services.leads.syncMany(records, { path: web });
      await expectSame(got, want);
      // Read inside the group: what it read was then undone, and the check found it.
      expect(outcomes).to.deep.equal(['moved']);
    });

    /**
     * `records` in a batch while `meanwhile` changes the store between the batch's read and its
     * write, against `meanwhile` and then the batch: the same answers and rows.
     */
    async function moved(
      records: (ids: number[]) => LeadInput[],
      meanwhile: (s: Services, ids: number[]) => Promise<unknown>,
    ) {
      const ids = await seed(checked.services);
      await seed(reference.services);
      const outcomes = watchChecked(new Set(), () =>
        meanwhile(checked.services, ids).then(() => undefined),
      );
      const got = await checked.services.leads.syncMany(records(ids), { path: web });
      sinon.restore();
      await meanwhile(reference.services, ids);
      const want = await reference.services.leads.syncMany(records(ids), { path: web });
      await expectSame(got, want);
      // The check found it, and only the locked path wrote (nothing of the checked one).
      expect(outcomes).to.deep.equal(sqlite(checked) ? ['moved'] : ['none']);
    }

    const unsubscribe = { name: 'Unsubscribed', value: 'true' };
    const batchOf = (ids: number[]): LeadInput[] => [
      { email: 'one@example.com', attributes: [unsubscribe] },
      { id: ids[2]!, attributes: [{ name: 'FirstName', value: 'Bob' }] },
      { email: 'new@example.com', attributes: [] },
      { foreignSysPersonId: 'fid-2', attributes: [unsubscribe] },
      { foreignSysPersonId: 'fid-new', email: 'four@example.com', attributes: [] },
      { email: 'not-an-address', attributes: [] },
    ];

    it('a person it read changed meanwhile: the locked path writes over the change', async () => {
      await moved(batchOf, (s, ids) =>
        s.leads.sync(
          { id: ids[1]!, attributes: [{ name: 'FirstName', value: 'Zed' }] },
          { path: web },
        ),
      );
    });

    it('a person it read deleted meanwhile: that record not found, the others written', async () => {
      await moved(batchOf, (s, ids) =>
        s.leads.delete({ keyType: 'IDNUM', keyValue: String(ids[2]) }, web),
      );
    });

    it('a new holder of one of its addresses: the unsubscribe reaches it too', async () => {
      await moved(batchOf, (s) =>
        s.leads.sync({ email: 'One@Example.com' }, { path: web, matchByEmail: false }),
      );
    });

    it('a new holder of one of its foreign ids: the record updates it, creates nobody', async () => {
      await moved(batchOf, (s) =>
        s.leads.sync({ foreignSysPersonId: 'fid-new' }, { path: web, matchByEmail: false }),
      );
    });

    it('the master status of one of its addresses changed: its new person is unsubscribed', async () => {
      await moved(batchOf, (s) =>
        s.durableStatus.setAddressStatus({
          address: 'new@example.com',
          unsubscribed: true,
          path: ChangePaths.webService(),
          reason: 'asked by phone',
          confirmProtected: false,
        }),
      );
    });

    it('one of its addresses marked meanwhile (a Salesforce record of it opted out): its repeated opt-out is recorded', async () => {
      for (const h of [checked, reference]) {
        await seed(h.services);
        await h.services.leads.sync(
          { email: 'one@example.com', attributes: [unsubscribe] },
          {
            path: web,
          },
        );
      }
      // What a Salesforce record's opt-out sets on the address's status: opt-outs recorded from then.
      const mark = (h: Harness) =>
        h.db.knex('email_status').where('email_key', 'one@example.com').update({
          opt_outs_recorded_since: 0,
        });
      const records: LeadInput[] = [
        {
          email: 'one@example.com',
          attributes: [unsubscribe, { name: 'FirstName', value: 'Ann' }],
        },
      ];
      const historyOf = async (h: Harness) =>
        (await h.db.knex('email_status_history').where('email_key', 'one@example.com')).length;
      const outcomes = watchChecked(new Set(), () => mark(checked).then(() => undefined));
      const got = await checked.services.leads.syncMany(records, { path: web });
      sinon.restore();
      await mark(reference);
      const want = await reference.services.leads.syncMany(records, { path: web });
      await expectSame(got, want);
      expect(await historyOf(checked)).to.equal(2);
      expect(outcomes).to.deep.equal(sqlite(checked) ? ['moved'] : ['none']);
    });

    it('people created elsewhere took the ids it would give: its new people take the next', async () => {
      await moved(batchOf, (s) =>
        s.leads.sync({ email: 'else@example.com' }, { path: web, matchByEmail: false }),
      );
    });

    it('two batches on one address: the one written last wins, every holder agrees', async () => {
      const ids = await seed(checked.services);
      await seed(reference.services);
      const s = checked.services;
      const first: LeadInput[] = [{ id: ids[0]!, attributes: [unsubscribe] }];
      const second: LeadInput[] = [
        { id: ids[1]!, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        { id: ids[0]!, attributes: [{ name: 'FirstName', value: 'Ann' }] },
      ];
      await s.leads.sync({ id: ids[1]!, attributes: [unsubscribe] }, { path: web });
      await reference.services.leads.sync(
        { id: ids[1]!, attributes: [unsubscribe] },
        { path: web },
      );
      // The first batch read the address unsubscribed (its record then changes nothing), the
      // second re-subscribes it and writes before the first does.
      // From another process (another Database): in this one the second would wait for the
      // first (batch-gate.ts).
      const other = checked.openAnother();
      const outcomes = watchChecked(new Set(), () => other.leads.syncMany(second, { path: web }));
      const got = await s.leads.syncMany(first, { path: web });
      sinon.restore();
      await reference.services.leads.syncMany(second, { path: web });
      const want = await reference.services.leads.syncMany(first, { path: web });
      await expectSame(got, want);
      expect(outcomes).to.deep.equal(sqlite(checked) ? ['written', 'moved'] : ['none', 'none']);
      const [status] = await checked.db.knex('email_status').where('email_key', 'one@example.com');
      expect(Boolean(status.unsubscribed)).to.equal(true);
    });

    it('a batch sharing an address with one in flight waits for it, and both are written', async () => {
      const ids = await seed(checked.services);
      const s = checked.services;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      // The first batch is held between its rules and its write until the second has asked.
      const outcomes = watchChecked(new Set(), () => held);
      const first = s.leads.syncMany([{ id: ids[0]!, attributes: [unsubscribe] }], { path: web });
      await new Promise((r) => setTimeout(r, 50));
      const second = s.leads.syncMany(
        [{ email: 'one@example.com', attributes: [{ name: 'FirstName', value: 'Ann' }] }],
        { path: web },
      );
      await new Promise((r) => setTimeout(r, 50));
      release();
      await Promise.all([first, second]);
      // Read after the first was written, the second found nothing moved.
      expect(outcomes).to.deep.equal(sqlite(checked) ? ['written', 'written'] : ['none', 'none']);
      await expectNoViolations(s);
    });

    it('after a miss the next batches take the locked path straight away, then try again', async () => {
      await moved(batchOf, (s) =>
        s.leads.sync({ email: 'else@example.com' }, { path: web, matchByEmail: false }),
      );
      const outcomes = watchChecked(new Set());
      for (let n = 0; n <= MISS_PAUSE; n++)
        await checked.services.leads.syncMany([{ email: `p${n}@example.com` }], { path: web });
      const none = Array<Outcome>(MISS_PAUSE).fill('none');
      expect(outcomes).to.deep.equal(sqlite(checked) ? [...none, 'written'] : [...none, 'none']);
    });

    it('concurrent batches over shared addresses keep every holder agreeing with its address', async () => {
      const outcomes = watchChecked(new Set());
      const s = checked.services;
      const other = checked.openAnother();
      const addresses = ['c1@example.com', 'c2@example.com'];
      for (const email of addresses)
        for (let i = 0; i < 3; i++)
          await s.leads.sync({ email }, { path: web, matchByEmail: false });
      const r = random(11);
      await Promise.all(
        Array.from({ length: 16 }, (_, k) =>
          (k % 2 ? other : s).leads.syncMany(
            Array.from({ length: 4 }, () => ({
              email: r.pick(addresses),
              attributes: [{ name: 'Unsubscribed', value: String(r.next() < 0.5) }],
            })),
            { path: web },
          ),
        ),
      );
      await expectNoViolations(s);
      if (sqlite(checked))
        expect(outcomes.filter((o) => o === 'written').length).to.be.greaterThan(0);
    });
  });
}
