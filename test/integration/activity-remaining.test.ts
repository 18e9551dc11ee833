/**
 * getLeadActivity's remainingCount is exact up to REMAINING_COUNT_CAP and then says "at least
 * that many": counting a long history exactly on every page would make pages slower as the
 * history grows.
 */
import { expect } from 'chai';
import { ActivityRepository, type NewActivity } from '../../src/data-access/activity.repository.js';
import { REMAINING_COUNT_CAP } from '../../src/domain/activity.service.js';
import { testEngines } from '../support/database.js';
import { createLead, idKey, openHarness, type Harness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`getLeadActivity remainingCount on a long history (${engine.name})`, () => {
    let h: Harness;

    before(async () => {
      h = await openHarness(engine);
    });
    after(() => h.drop());

    it('counts exactly up to the cap, then reports the cap, and paging still ends', async () => {
      const s = h.services;
      const id = await createLead(s, 'long-history@example.com');
      const repo = new ActivityRepository(h.db.knex);
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
    });
  });
}
