/**
 * syncMany writes a batch set-based from memory; the reference is the same records synced one
 * by one. Random batches (creates, matches by email and by foreign id, address changes, flag
 * flips on shared addresses, refused records) must leave both databases identical: people,
 * master statuses and their history, activities in order, and the per-record answers.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { BatchSession, BatchUnsupported } from '../../src/data-access/batch/batch-session.js';
import type { LeadInput } from '../../src/domain/lead.types.js';
import { LeadBatchSync } from '../../src/domain/lead-batch.js';
import type { SyncContext } from '../../src/domain/lead.service.js';
import type { Services } from '../../src/domain/services.js';
import { AppError } from '../../src/errors.js';
import { ADDRESSES, outcome, random, record, state } from '../support/batch-records.js';
import { testEngines } from '../support/database.js';
import { expectNoViolations, openHarness, web, type Harness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`syncMany as one set-based batch (${engine.name})`, () => {
    let batched: Harness;
    let reference: Harness;

    beforeEach(async () => {
      batched = await openHarness(engine);
      reference = await openHarness(engine);
    });
    afterEach(async () => {
      sinon.restore();
      await batched.drop();
      await reference.drop();
    });

    async function seed(s: Services): Promise<{ ids: number[]; foreignIds: string[] }> {
      const ids: number[] = [];
      const foreignIds = ['fid-1', 'fid-2', 'fid-3', 'fid-new-1', 'fid-new-2'];
      const seedCtx = { path: web, matchByEmail: false };
      for (const [i, email] of ADDRESSES.entries()) {
        ids.push(
          (await s.leads.sync({ email, attributes: [] }, { ...seedCtx, partition: `P${i % 2}` }))
            .leadId,
        );
      }
      for (const fid of foreignIds.slice(0, 3))
        ids.push(
          (await s.leads.sync({ foreignSysPersonId: fid, email: 'two@example.com' }, seedCtx))
            .leadId,
        );
      ids.push(
        (
          await s.leads.sync(
            {
              attributes: [
                { name: 'Unsubscribed', value: 'true' },
                { name: 'FirstName', value: 'NoAddr' },
              ],
            },
            seedCtx,
          )
        ).leadId,
      );
      await s.leads.sync(
        {
          id: ids[0]!,
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: 'complaint' },
          ],
        },
        { path: web },
      );
      return { ids, foreignIds };
    }

    async function compare(seedNumber: number, batches: number, ctx: Partial<SyncContext>) {
      const r = random(seedNumber);
      await compareBatches(ctx, (a) =>
        Array.from({ length: batches }, () =>
          Array.from({ length: 1 + r.int(25) }, () => record(r, a.ids, a.foreignIds)),
        ),
      );
    }

    /** Each batch of `batchesOf` through syncMany, and one by one: the same answers and state. */
    async function compareBatches(
      ctx: Partial<SyncContext>,
      batchesOf: (seeded: { ids: number[]; foreignIds: string[] }) => LeadInput[][],
    ) {
      const a = await seed(batched.services);
      const b = await seed(reference.services);
      expect(a).to.deep.equal(b);
      const fallback = sinon.spy(
        LeadBatchSync.prototype as unknown as { syncEach: () => unknown },
        'syncEach',
      );
      for (const [n, records] of batchesOf(a).entries()) {
        const context: SyncContext = { path: web, ...ctx };
        const got = await batched.services.leads.syncMany(records, context);
        const want: unknown[] = [];
        for (const rec of records) {
          try {
            want.push(await reference.services.leads.sync(rec, context));
          } catch (error) {
            if (!(error instanceof AppError)) throw error;
            want.push(error);
          }
        }
        // A batch answers ids and statuses (what syncMultipleLeads sends back), nothing more.
        expect(got.map(outcome), `batch ${n} answers`).to.deep.equal(want.map(outcome));
        for (const g of got)
          if (!(g instanceof AppError)) expect(g).to.have.keys('leadId', 'status');
        expect(await state(batched.db), `batch ${n} state`).to.deep.equal(
          await state(reference.db),
        );
      }
      expect(fallback.called, 'the batch fell back to one transaction per record').to.equal(false);
      await expectNoViolations(batched.services);
    }

    it('leaves the database exactly as syncing the records one by one would', async () => {
      await compare(1, 12, {});
    });

    it('matches the one-by-one result with dedup off and in another partition', async () => {
      await compare(7, 8, { matchByEmail: false, partition: 'East' });
    });

    it('matches one by one on every write the rules make, in one batch and in reverse', async () => {
      const unsubscribe = (reason: string) => [
        { name: 'Unsubscribed', value: 'true' },
        { name: 'UnsubscribedReason', value: reason },
      ];
      const resubscribe = [{ name: 'Unsubscribed', value: 'false' }];
      await compareBatches({}, ({ ids }) => {
        const writes: LeadInput[] = [
          // The master status changes; holders in other partitions follow (propagation).
          { id: ids[2]!, attributes: unsubscribe('asked') },
          // A person moves onto an unsubscribed address and takes its status.
          { id: ids[3]!, email: 'one@example.com', attributes: [] },
          // An unsubscribed person moves to a subscribed address.
          { id: ids[6]!, email: 'four@example.com', attributes: [] },
          // An address taken away.
          { id: ids[4]!, email: null, attributes: [] },
          // A new person on a new address, unsubscribed: a new master status.
          { email: 'five@example.com', attributes: unsubscribe('letter') },
          // Matched by email (another spelling), another field changed.
          { email: 'FIVE@example.com', attributes: [{ name: 'FirstName', value: 'Ann' }] },
          // A new person on an unsubscribed address inherits the status.
          { foreignSysPersonId: 'fid-new-1', email: 'two@example.com', attributes: [] },
          // A re-subscribe lifts an unprotected suppression across partitions.
          { id: ids[2]!, attributes: resubscribe },
          // A re-subscribe of a protected (complaint) suppression is refused, alone.
          { id: ids[1]!, attributes: resubscribe },
          // A foreign id given, another one taken over.
          { id: ids[8]!, foreignSysPersonId: 'fid-new-2', attributes: [] },
          { id: ids[5]!, attributes: [{ name: 'LeadScore', value: '5' }] },
          // Changes nothing: nothing written, nothing logged.
          { id: ids[5]!, attributes: [{ name: 'LeadScore', value: '5' }] },
          { id: ids[9]!, attributes: resubscribe },
        ];
        return [writes, [...writes].reverse(), writes.slice(0, 4)];
      });
    });

    it('matches again on other random batches', async () => {
      await compare(42, 12, {});
    });

    it('leaves every column no record names as it was (a batch reads only what its rules read)', async () => {
      // Every standard field set first (that batch reads them all), then batches naming only a
      // few: unsubscribes reaching other holders, an address change, a name. A column the later
      // batches did not read must keep its value, as one by one.
      const everything = [
        ['Salutation', 'Dr'],
        ['MiddleName', "O'Neil"],
        ['LastName', 'Zoë "Z" \\ Ünal'],
        ['Title', 'CTO'],
        ['Company', 'Acme, Inc.'],
        ['Address', '1 Main St\nSuite 2'],
        ['City', 'Zürich'],
        ['LeadScore', '42'],
        ['NumberOfEmployees', '0'],
        ['AnnualRevenue', '1234.5'],
        ['DateOfBirth', '1970-01-02'],
        ['DoNotCall', 'true'],
        ['UnsubscribedReason', 'earlier'],
      ].map(([name, value]) => ({ name: name!, value: value! }));
      await compareBatches({}, ({ ids }) => [
        ids.map((id) => ({ id, attributes: everything })),
        [
          { id: ids[2]!, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { email: 'two@example.com', attributes: [{ name: 'FirstName', value: 'Ann' }] },
          { id: ids[3]!, email: 'four@example.com', attributes: [] },
          { id: ids[4]!, attributes: [{ name: 'LastName', value: 'Other' }] },
        ],
      ]);
    });

    it('reads every value as one by one: a float of 17 digits, text that looks like JSON', async () => {
      // The batch reads its people as JSON text on SQLite (batch-load.ts): a value it read
      // otherwise than stored would be a change the one-by-one path does not see.
      const odd = [
        ['AnnualRevenue', String(0.1 + 0.2)],
        ['NumberOfEmployees', '2147483647'],
        ['FirstName', '[1, "two"]'],
        ['LastName', 'null'],
        ['Company', '{"a": "\\u00e9"} \u2028 Zoë'],
        ['City', '1e400'],
      ].map(([name, value]) => ({ name: name!, value: value! }));
      await compareBatches({}, ({ ids }) => [
        // Every record valid: a refused one would change nothing and prove nothing.
        ids.slice(0, 4).map((id) => ({ id, attributes: odd })),
        // The same values again: nothing changes, nothing is logged.
        ids.slice(0, 4).map((id) => ({ id, attributes: odd })),
        [{ id: ids[1]!, attributes: [...odd, { name: 'Title', value: 'New' }] }],
      ]);
    });

    it('"most recently updated" follows the order changes were applied, not the clock', async () => {
      // Every reading of these clocks is the same millisecond, as within one real batch.
      const frozen = () => Date.UTC(2026, 5, 1);
      const one = batched.openAnother(frozen);
      const ref = reference.openAnother(frozen);
      const people = async (s: Services) => {
        const ids: number[] = [];
        for (let i = 0; i < 2; i++)
          ids.push(
            (await s.leads.sync({ email: 'tie@example.com' }, { path: web, matchByEmail: false }))
              .leadId,
          );
        return ids;
      };
      const [lower, higher] = await people(one);
      expect(await people(ref)).to.deep.equal([lower, higher]);
      const name = (v: string) => [{ name: 'FirstName', value: v }];
      const records: LeadInput[] = [
        { id: higher!, attributes: name('H') },
        { id: lower!, attributes: name('L') },
        { email: 'tie@example.com', attributes: name('ByEmail') },
      ];
      const got = await one.leads.syncMany(records, { path: web });
      const want = [];
      for (const rec of records) want.push(await ref.leads.sync(rec, { path: web }));
      // The lower id was touched last: the Email-only record updates it, both ways.
      expect(got.map(outcome)).to.deep.equal(want.map(outcome));
      expect(outcome(got[2])).to.deep.equal({ leadId: lower, status: 'UPDATED' });
      expect(await state(batched.db)).to.deep.equal(await state(reference.db));
    });

    if (engine.name === 'sqlite') {
      it('two calls sharing one SQLite group commit answer as the same calls one after another', async () => {
        const frozen = () => Date.UTC(2026, 5, 2);
        // One reader thread answers the syncs' no-change reads in the order they were asked, so
        // the calls enter the group in call order (two readers may answer either first).
        const s = batched.openAnother(frozen, { sqliteReadThreads: 1 });
        const ids: number[] = [];
        for (let i = 0; i < 2; i++)
          ids.push(
            (await s.leads.sync({ email: 'group@example.com' }, { path: web, matchByEmail: false }))
              .leadId,
          );
        const [lower, higher] = ids;
        const touch = (id: number) =>
          s.leads.sync({ id, attributes: [{ name: 'FirstName', value: `T${id}` }] }, { path: web });
        // Not awaited one by one: both join the same group, higher first.
        await Promise.all([touch(higher!), touch(lower!)]);
        const r = await s.leads.sync(
          { email: 'group@example.com', attributes: [{ name: 'LastName', value: 'Latest' }] },
          { path: web },
        );
        expect(r.leadId).to.equal(lower);
      });
    }

    it('gives new people ids above every id ever used, the highest deleted one too', async () => {
      const s = batched.services;
      const made = await s.leads.syncMany(
        ['a', 'b', 'c'].map((n) => ({ email: `${n}@ids.example` })),
        { path: web, matchByEmail: false },
      );
      const ids = made.map((r) => (r as { leadId: number }).leadId);
      await s.leads.delete({ keyType: 'IDNUM', keyValue: String(ids[2]) }, web);
      const fallback = sinon.spy(
        LeadBatchSync.prototype as unknown as { syncEach: () => unknown },
        'syncEach',
      );
      const more = await s.leads.syncMany(
        [{ email: 'd@ids.example' }, { email: 'a@ids.example', attributes: [] }],
        { path: web, matchByEmail: false },
      );
      expect(fallback.called).to.equal(false);
      const fresh = more.map((r) => (r as { leadId: number }).leadId);
      expect(fresh[0]).to.be.greaterThan(ids[2]!);
      expect(fresh[1]).to.equal(fresh[0]! + 1);
      await expectNoViolations(s);
    });

    it('writes a batch whose changes cancel out (only the update time moves)', async () => {
      const s = batched.services;
      const fallback = sinon.spy(
        LeadBatchSync.prototype as unknown as { syncEach: () => unknown },
        'syncEach',
      );
      const a = (await s.leads.sync({ email: 'flip@example.com' }, { path: web })).leadId;
      const flip = (v: boolean) => ({
        id: a,
        attributes: [{ name: 'Unsubscribed', value: String(v) }],
      });
      const results = await s.leads.syncMany([flip(true), flip(false)], { path: web });
      expect(results.map(outcome)).to.deep.equal([
        { leadId: a, status: 'UPDATED' },
        { leadId: a, status: 'UPDATED' },
      ]);
      expect(fallback.called).to.equal(false);
      const [lead] = await s.leads.find({ keyType: 'IDNUM', keyValue: String(a) });
      expect(lead?.unsubscribed).to.equal(false);
      await expectNoViolations(s);
    });

    it('refuses a protected re-subscribe in a batch as one by one: that record alone, nothing changed', async () => {
      const fallback = sinon.spy(
        LeadBatchSync.prototype as unknown as { syncEach: () => unknown },
        'syncEach',
      );
      const results: unknown[][] = [];
      for (const h of [batched, reference]) {
        const s = h.services;
        const complained = (
          await s.leads.sync(
            {
              email: 'complained@example.com',
              attributes: [
                { name: 'Unsubscribed', value: 'true' },
                { name: 'UnsubscribedReason', value: 'Spam complaint' },
              ],
            },
            { path: web },
          )
        ).leadId;
        const asked = (
          await s.leads.sync(
            {
              email: 'asked@example.com',
              attributes: [{ name: 'Unsubscribed', value: 'true' }],
            },
            { path: web },
          )
        ).leadId;
        const records: LeadInput[] = [
          { id: complained, attributes: [{ name: 'FirstName', value: 'Before' }] },
          {
            id: complained,
            attributes: [
              { name: 'Unsubscribed', value: 'false' },
              { name: 'FirstName', value: 'Refused' },
            ],
          },
          {
            email: 'complained@example.com',
            attributes: [{ name: 'Unsubscribed', value: 'false' }],
          },
          { id: asked, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        ];
        let answers: unknown[] = [];
        if (h === batched) answers = await s.leads.syncMany(records, { path: web });
        // One by one, in order.
        else
          for (const rec of records)
            answers.push(await s.leads.sync(rec, { path: web }).catch((error: unknown) => error));
        results.push(answers.map(outcome));
        const [still] = await s.leads.find({ keyType: 'IDNUM', keyValue: String(complained) });
        expect(still!.unsubscribed).to.equal(true);
        expect(still!.attributes.find((a) => a.name === 'FirstName')?.value).to.equal('Before');
        const refused = answers[1] as AppError;
        expect(refused.message).to.contain('PROTECTED_REASONS');
        const report = await s.durableStatus.explain('asked@example.com');
        expect(report.status).to.include({ unsubscribed: false, liftedReason: 'Web service API' });
      }
      expect(results[0]).to.deep.equal(results[1]);
      expect(results[0]!.slice(1, 3)).to.deep.equal(['LEAD_SYNC_FAILED', 'LEAD_SYNC_FAILED']);
      expect(await state(batched.db)).to.deep.equal(await state(reference.db));
      expect(fallback.called).to.equal(false);
      await expectNoViolations(batched.services);
    });

    it('falls back to one transaction per record when the batch cannot be held', async () => {
      sinon.stub(BatchSession, 'open').rejects(new BatchUnsupported('test'));
      const s = batched.services;
      const [ok, bad] = await s.leads.syncMany(
        [{ email: 'fallback@example.com' }, { id: 987654, attributes: [] }],
        { path: web },
      );
      expect(ok).to.include({ status: 'CREATED' });
      expect(bad).to.be.instanceOf(AppError);
      await expectNoViolations(s);
    });

    it('one unsubscribe in a batch reaches every other holder of the address, loaded or not', async () => {
      const s = batched.services;
      const ids: number[] = [];
      for (let i = 0; i < 30; i++)
        ids.push(
          (await s.leads.sync({ email: 'many@example.com' }, { path: web, matchByEmail: false }))
            .leadId,
        );
      const results = await s.leads.syncMany(
        [
          { id: ids[3]!, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { email: 'other@example.com', attributes: [] },
        ],
        { path: web },
      );
      expect(results.map(outcome)).to.deep.equal(
        [
          { leadId: ids[3], status: 'UPDATED' },
          { leadId: ids[29]! + 1, status: 'CREATED' },
        ].map((x) => ({ ...x })),
      );
      const found = await s.leads.find({ keyType: 'EMAIL', keyValue: 'many@example.com' });
      expect(found.every((l) => l.unsubscribed)).to.equal(true);
      await expectNoViolations(s);
    });

    it('concurrent batches and single changes over shared addresses keep the invariant', async () => {
      const s = batched.services;
      const other = batched.openAnother();
      const addresses = ['c1@example.com', 'c2@example.com', 'c3@example.com'];
      for (const email of addresses)
        for (let i = 0; i < 3; i++)
          await s.leads.sync({ email }, { path: web, matchByEmail: false });
      const r = random(9);
      const work: Array<Promise<unknown>> = [];
      for (let k = 0; k < 12; k++) {
        const svc = k % 2 ? other : s;
        const recs = Array.from({ length: 5 }, () => ({
          email: r.pick(addresses),
          attributes: [{ name: 'Unsubscribed', value: String(r.next() < 0.5) }],
        }));
        work.push(
          k % 3 === 0
            ? svc.leads.sync(recs[0]!, { path: web })
            : svc.leads.syncMany(recs, { path: web }),
        );
      }
      await Promise.all(work);
      await expectNoViolations(s);
    });
  });
}
