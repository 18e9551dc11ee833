/**
 * A batch undoes a refused record alone (BatchSession: savepoint / rollbackTo). The lists a
 * record only appends to (its activities, its new people) are cut back to their lengths at the
 * record's savepoint rather than undone append by append: a record undone after it created a
 * person and logged must leave neither behind, and the next record takes the id it gave back.
 * (Through the rules such a record is rare: the batch tests compare whole batches.)
 */
import { expect } from 'chai';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { emailKey } from '../../src/domain/email-key.js';
import type { NewActivity } from '../../src/domain/records.js';
import { testEngines } from '../support/database.js';
import { openHarness, type Harness } from '../support/harness.js';
import { newLeadAt } from '../support/records.js';

const logOf = (leadId: number): NewActivity => ({
  leadId,
  activityType: 'New Lead',
  createdAt: 7,
});

for (const engine of testEngines()) {
  describe(`a batch's undo of one record (${engine.name})`, () => {
    let h: Harness;
    before(async () => {
      h = await openHarness(engine);
    });
    after(() => h.drop());

    it('a record undone after it created a person and logged leaves neither behind', async () => {
      const emailKeys = ['undone@x.example', 'kept@x.example'].map(emailKey);
      const ids = await new UnitOfWork(h.db).write(async (repos) => {
        const batch = await repos.openBatch({ ids: [], foreignIds: [], emailKeys });
        // complete() may ask for a second pass (PostgreSQL reserves the new people's ids).
        for (;;) {
          let mark = batch.savepoint();
          const undone = await batch.repos.leads.insert(newLeadAt('undone@x.example'));
          await batch.repos.activities.insert([logOf(undone)]);
          batch.rollbackTo(mark);
          mark = batch.savepoint();
          const kept = await batch.repos.leads.insert(newLeadAt('kept@x.example'));
          await batch.repos.activities.insert([logOf(kept)]);
          if (await batch.complete()) return { undone, kept };
        }
      });
      expect(ids.kept, 'the id the undone record gave back').to.equal(ids.undone);
      const leads = await h.db.knex('leads').select('id', 'email');
      expect(leads.map((l) => [Number(l.id), l.email])).to.deep.equal([
        [ids.kept, 'kept@x.example'],
      ]);
      const activities = await h.db.knex('activities').select('lead_id');
      expect(activities.map((a) => Number(a.lead_id))).to.deep.equal([ids.kept]);
    });
  });
}
