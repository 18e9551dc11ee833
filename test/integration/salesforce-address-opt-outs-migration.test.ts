/**
 * Upgrading keeps, per address, the newest change order at which a Salesforce record was
 * reported opted out with it (salesforce_address_opt_outs, migration 20261205000200), from what
 * each record was last reported with.
 */
import { expect } from 'chai';
import * as optOutsMigration from '../../migrations/20261205000200_salesforce_address_opt_outs.js';
import { ORG_ID, leadNotification, leadRecordId } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { openHarness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`upgrading to the Salesforce opt-outs kept per address (${engine.name})`, function () {
    this.timeout(60000);
    it('keeps the newest opted-out report of each address; addresses left before, unknown', async () => {
      const h = await openHarness(engine);
      try {
        const t0 = h.clock.t - 60_000;
        await h.services.salesforce.apply(ORG_ID, [
          // Records opted out at one address: the newest order is kept, whatever the arrival order.
          leadNotification(1, 1, { Email: 'Ann@Example.com', Unsubscribed: 'true' }, t0),
          leadNotification(2, 2, { Email: 'ann@example.com', Unsubscribed: 'true' }, t0 + 2000),
          leadNotification(7, 6, { Email: 'ann@example.com', Unsubscribed: 'true' }, t0 + 1000),
          // Opted out at one address, then reported (still opted out) at another.
          leadNotification(3, 3, { Email: 'left@moved.example', Unsubscribed: 'true' }, t0),
          leadNotification(4, 3, { Email: 'new@moved.example' }, t0 + 1000),
          // Never opted out, and opted out without a modstamp.
          leadNotification(5, 4, { Email: 'never@example.com', Unsubscribed: 'false' }, t0),
          leadNotification(6, 5, { Email: 'unordered@example.com', Unsubscribed: 'true' }),
        ]);
        const knex = h.db.knex;
        const kept = async () =>
          (
            (await knex('salesforce_address_opt_outs')
              .select('email_key', 'changed_at')
              .orderBy('email_key')) as Array<{ email_key: string; changed_at: unknown }>
          ).map((r) => [r.email_key, Number(r.changed_at)]);
        const lastReported = [
          ['ann@example.com', t0 + 2000],
          ['new@moved.example', t0 + 1000],
        ];
        // As the listener writes it...
        expect(await kept()).to.deep.equal([
          lastReported[0],
          ['left@moved.example', t0],
          lastReported[1],
        ]);
        // ...and as the upgrade fills it: only what each record was last reported with.
        await optOutsMigration.down(knex);
        await optOutsMigration.up(knex);
        expect(await kept()).to.deep.equal(lastReported);
        // A change order ahead of the clock (stored by an older version) is left out.
        await knex('salesforce_records')
          .where('record_id', leadRecordId(1))
          .update({ email_key: 'ahead@example.com', changed_at: Date.now() + 3_600_000 });
        await optOutsMigration.down(knex);
        await optOutsMigration.up(knex);
        expect(await kept()).to.deep.equal(lastReported);
      } finally {
        await h.drop();
      }
    });
  });
}
