/**
 * A Change Data Value that re-subscribes runs after it was started, batch by batch: an opt-out
 * recorded at an address after the operator started it (the recipient unsubscribing again) is
 * not lifted by it. That person fails, saying why; the rest of the selection is lifted.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { testEngines } from '../support/database.js';
import { flagsByEmail, harnessPerSuite, type Harness } from '../support/harness.js';

const web = ChangePaths.webService();
const LIFT = { field: 'Unsubscribed', value: 'false' };

for (const engine of testEngines()) {
  describe(`a re-subscribing Change Data Value and opt-outs recorded after its start (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });
    let n = 0;

    const optOut = (email: string, reason: string) =>
      h.services.leads.sync(
        {
          email,
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: reason },
          ],
        },
        { path: web },
      );
    const flagOf = (email: string) => flagsByEmail(h.services, email);

    it('lifts what was there at the start, not an opt-out recorded since', async () => {
      const again = `again${++n}@example.com`;
      const stays = `stays${n}@example.com`;
      const late = await optOut(again, 'bounced');
      await optOut(stays, 'bounced');
      h.clock.set(h.clock.t + 1000);
      const bulk = h.services.bulkChanges;
      const id = await bulk.start({ emailKeys: [again, stays] }, LIFT, 'alice', {
        confirmProtected: false,
      });
      // Before the job reaches it: lifted elsewhere, then unsubscribed again by the recipient.
      h.clock.set(h.clock.t + 1000);
      await h.services.leads.sync(
        { email: again, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        { path: web },
      );
      h.clock.set(h.clock.t + 1000);
      await optOut(again, 'asked to stop');
      h.clock.set(h.clock.t + 1000);
      expect(await bulk.run(id)).to.equal(true);
      const status = await bulk.status(id);
      expect(status.totals).to.include({ changed: 1, unchanged: 0 });
      expect(status.failures.map((f) => f.id)).to.deep.equal([late.leadId]);
      expect(await flagOf(again)).to.deep.equal([true]);
      expect(await flagOf(stays)).to.deep.equal([false]);
      expect((await h.services.durableStatus.explain(again)).status).to.include({
        unsubscribed: true,
        reason: 'asked to stop',
      });
    });

    it('reads which addresses were written after the start once per batch, not once per person', async () => {
      const emails = Array.from({ length: 30 }, (_, i) => `batch${i}-${++n}@example.com`);
      const ids: number[] = [];
      for (const email of emails) ids.push((await optOut(email, 'bounced')).leadId);
      const t0 = h.clock.t;
      const bulk = h.services.bulkChanges;
      const id = await bulk.start({ emailKeys: emails }, LIFT, 'alice', {
        confirmProtected: false,
      });
      // One address is lifted elsewhere and unsubscribed again on a clock stepped back: only the
      // history's order tells it came after the start.
      h.clock.set(t0 - 10000);
      await h.services.leads.sync(
        { email: emails[7]!, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        { path: web },
      );
      await optOut(emails[7]!, 'asked to stop');
      h.clock.set(t0 + 60000);
      const reads: string[] = [];
      const listen = (q: { sql: string }) => {
        if (/email_status_history.+email_key.+\bid\W? >/i.test(q.sql)) reads.push(q.sql);
      };
      h.db.knex.on('query', listen);
      try {
        expect(await bulk.run(id)).to.equal(true);
      } finally {
        h.db.knex.off('query', listen);
      }
      const status = await bulk.status(id);
      expect(status.totals).to.include({ applied: 1, changed: 29, failed: 1 });
      expect(status.failures.map((f) => f.id)).to.deep.equal([ids[7]]);
      expect(await flagOf(emails[7]!)).to.deep.equal([true]);
      expect(reads, reads.join('\n')).to.have.length(1);
    });
  });
}
