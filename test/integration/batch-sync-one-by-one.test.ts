/**
 * syncMany writes a batch set-based from memory; the reference is the same records synced one
 * by one. Random batches (creates, matches by email and by foreign id, address changes, flag
 * flips on shared addresses, refused records) must leave both databases identical: people,
 * master statuses and their history, activities in order, and the per-record answers.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import type { LeadInput } from '../../src/domain/lead.types.js';
import { LeadBatchSync } from '../../src/domain/lead-batch.js';
import type { SyncContext } from '../../src/domain/lead.service.js';
import type { Services } from '../../src/domain/services.js';
import { AppError } from '../../src/errors.js';
import {
  compareBatches as compareWith,
  compareRandom,
  type Seeded,
} from '../support/batch-compare.js';
import { outcome, state } from '../support/batch-records.js';
import { testEngines } from '../support/database.js';
import { expectNoViolations, openHarness, web, type Harness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`syncMany as one set-based batch, against one by one (${engine.name})`, () => {
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

    const compare = (seedNumber: number, batches: number, ctx: Partial<SyncContext>) =>
      compareRandom(batched, reference, seedNumber, batches, ctx);
    const compareBatches = (
      ctx: Partial<SyncContext>,
      batchesOf: (seeded: Seeded) => LeadInput[][],
    ) => compareWith(batched, reference, ctx, batchesOf);

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
  });
}
