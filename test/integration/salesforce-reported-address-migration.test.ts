/**
 * Upgrading records the address each Salesforce record was last reported with
 * (salesforce_records.email_key, migration 20261205000100), as its key.
 */
import { expect } from 'chai';
import * as addressMigration from '../../migrations/20261205000100_salesforce_reported_address.js';
import { ORG_ID, leadNotification, leadRecordId } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { openHarness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`upgrading to the reported address of Salesforce records (${engine.name})`, function () {
    this.timeout(60000);
    it('keys each record by the Email it was last reported with, and none without one', async () => {
      const h = await openHarness(engine);
      try {
        const t0 = h.clock.t;
        await h.services.salesforce.apply(ORG_ID, [
          leadNotification(1, 1, { Email: ' Ann@Example.COM ', Unsubscribed: 'true' }, t0),
          leadNotification(2, 2, { Email: 'old@moved.example' }, t0),
          leadNotification(3, 2, { Email: 'New@Moved.example' }, t0 + 1000),
          leadNotification(4, 3, { FirstName: 'No address' }, t0),
          leadNotification(5, 4, { Email: 'cleared@moved.example' }, t0),
          leadNotification(6, 4, { Email: null }, t0 + 1000),
        ]);
        const knex = h.db.knex;
        const keys = async () =>
          (await knex('salesforce_records')
            .select('record_id', 'email_key')
            .orderBy('record_id')) as Array<{ record_id: string; email_key: string | null }>;
        const expected = [
          { record_id: leadRecordId(1), email_key: 'ann@example.com' },
          { record_id: leadRecordId(2), email_key: 'new@moved.example' },
          { record_id: leadRecordId(3), email_key: null },
          { record_id: leadRecordId(4), email_key: null },
        ];
        // As the listener writes it...
        expect(await keys()).to.deep.equal(expected);
        // ...and as the upgrade fills it from what was reported.
        await addressMigration.down(knex);
        await addressMigration.up(knex);
        expect(await keys()).to.deep.equal(expected);
      } finally {
        await h.drop();
      }
    });
  });
}
