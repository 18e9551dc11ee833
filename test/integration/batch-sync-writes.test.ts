/**
 * What syncMany's set-based batch must do on its own: new ids above every id ever used, changes
 * that cancel out, an unsubscribe reaching holders it did not load, the fallback to one
 * transaction per record, and the invariant under concurrent batches and single changes.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { BatchSession, BatchUnsupported } from '../../src/data-access/batch/batch-session.js';
import { LeadBatchSync } from '../../src/domain/lead-batch.js';
import { AppError } from '../../src/errors.js';
import { outcome, random } from '../support/batch-records.js';
import { testEngines } from '../support/database.js';
import { expectNoViolations, openHarness, web, type Harness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`syncMany as one set-based batch: its own writes (${engine.name})`, () => {
    let batched: Harness;

    beforeEach(async () => {
      batched = await openHarness(engine);
    });
    afterEach(async () => {
      sinon.restore();
      await batched.drop();
    });

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
