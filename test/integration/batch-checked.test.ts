/**
 * The checked batch (SQLite file: read outside the write transaction, written by one message
 * that first checks nothing it read has moved; data-access/batch/batch-checked.ts) against the
 * locked batch: the same answers and stored rows, and when something it read moves between its
 * read and its write, nothing of it written, then the locked path run over what moved. Where
 * and when it reads: batch-checked-reads.test.ts.
 * PostgreSQL has no checked batch: the same tests show it keeps the locked path.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { MISS_PAUSE } from '../../src/data-access/batch/batch-gate.js';
import type { LeadInput } from '../../src/domain/lead.types.js';
import type { Services } from '../../src/domain/services.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { random, record } from '../support/batch-records.js';
import {
  checkedAndReference,
  expectSame,
  seed,
  sqlite,
  watchChecked,
  type Outcome,
} from '../support/checked-batch.js';
import { testEngines } from '../support/database.js';
import { expectNoViolations, web, type Harness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`syncMany's checked batch (${engine.name})`, () => {
    let checked: Harness;
    let reference: Harness;
    checkedAndReference(engine, (c, r) => {
      checked = c;
      reference = r;
    });

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
        await expectSame(checked, reference, got, want);
      }
      // Every batch went the checked way on SQLite, none on PostgreSQL.
      expect(outcomes).to.deep.equal(Array(10).fill(sqlite(checked) ? 'written' : 'none'));
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
      await expectSame(checked, reference, got, want);
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
      await expectSame(checked, reference, got, want);
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
      await expectSame(checked, reference, got, want);
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
