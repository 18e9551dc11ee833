/**
 * remainingCount (getLeadActivity, getLeadChanges, getMultipleLeads) is exact up to
 * REMAINING_COUNT_CAP and then says "at least that many": counting a long history or stream
 * exactly on every page would make pages slower as it grows.
 */
import { expect } from 'chai';
import {
  ActivityRepository,
  type NewActivity,
} from '../../src/data-access/sql/activity.repository.js';
import { REMAINING_COUNT_CAP } from '../../src/domain/activity.service.js';
import { testEngines } from '../support/database.js';
import { createLead, idKey, openHarness, type Harness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`remainingCount on a long history or stream (${engine.name})`, () => {
    let h: Harness;

    before(async () => {
      h = await openHarness(engine);
    });
    after(() => h.drop());

    it('counts exactly up to the cap, then reports the cap, and paging still ends', async () => {
      const s = h.services;
      const id = await createLead(s, 'long-history@example.com');
      const repo = new ActivityRepository(h.db.knex, h.db.engine);
      const extra = REMAINING_COUNT_CAP + 150;
      const batch: NewActivity[] = [];
      for (let i = 0; i < extra; i++) {
        batch.push({
          leadId: id,
          activityType: 'Change Data Value',
          createdAt: Date.UTC(2026, 0, 1) + i,
          attributeName: 'First Name',
          oldValue: `F${i}`,
          newValue: `F${i + 1}`,
        });
      }
      for (let i = 0; i < batch.length; i += 400) await repo.insert(batch.slice(i, i + 400));

      // 1 New Lead + `extra` changes; the first page returns 100.
      const first = await s.activities.listForLead(idKey(id));
      expect(first.returnCount).to.equal(100);
      expect(first.remainingCount).to.equal(REMAINING_COUNT_CAP);

      // Two pages further the rest is below the cap: exact again.
      const second = await s.activities.listForLead(idKey(id), {
        start: { offset: first.newStartPosition.offset },
      });
      const third = await s.activities.listForLead(idKey(id), {
        start: { offset: second.newStartPosition.offset },
      });
      expect(third.remainingCount).to.equal(extra + 1 - 300);

      // getLeadChanges over the same stream: capped at first, exact once below the cap.
      const changes = await s.activities.changes({ offset: 'ID:0' }, { batchSize: 100 });
      expect(changes.returnCount).to.equal(100);
      expect(changes.remainingCount).to.equal(REMAINING_COUNT_CAP);
      const total = await h.db.knex('activities').count({ n: '*' });
      const all = Number(total[0]!.n);
      const late = await s.activities.changes({ offset: `ID:${all - 250}` }, { batchSize: 100 });
      expect(late.remainingCount).to.equal(150);
    });

    it('caps getMultipleLeads remainingCount the same way', async () => {
      const at = Date.UTC(2026, 1, 1);
      const rows = Array.from({ length: REMAINING_COUNT_CAP + 150 }, (_, i) => ({
        email: `bulk${i}@example.com`,
        email_key: `bulk${i}@example.com`,
        created_at: at + i,
        updated_at: at + i,
      }));
      for (let i = 0; i < rows.length; i += 500)
        await h.db.knex('leads').insert(rows.slice(i, i + 500));
      // A page serves the changes stamped before the call: the clock is past every row.
      h.clock.set(at + rows.length + 1000);
      const first = await h.services.leads.listUpdated({ oldest: at, latest: null }, null, 100);
      expect(first.leads).to.have.length(100);
      expect(first.remaining).to.equal(REMAINING_COUNT_CAP);
      const near = await h.services.leads.listUpdated(
        { oldest: at, latest: null },
        { updatedAt: at + REMAINING_COUNT_CAP - 1, id: 2 ** 31 - 1 },
        100,
      );
      expect(near.remaining).to.equal(150 - 100);
    });
  });
}
