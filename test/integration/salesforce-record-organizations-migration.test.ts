/**
 * Upgrading keeps each Salesforce record's state with the organisation that reported it
 * (salesforce_records.organization_id, migration 20261205100000): the organisation of the
 * notification that last changed it while salesforce_notifications holds it, else unknown
 * (null), and then the first organisation to report the record takes the state over.
 */
import { expect } from 'chai';
import * as orgMigration from '../../migrations/20261205100000_salesforce_record_organizations.js';
import { id15 } from '../../src/formats/salesforce-id.js';
import {
  ORG_ID,
  OTHER_ORG_ID,
  leadNotification,
  leadRecordId,
  notificationId,
} from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { openHarness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`upgrading to Salesforce records kept per organisation (${engine.name})`, function () {
    this.timeout(60000);
    it('fills the organisation from the last notification, unknown once forgotten', async () => {
      const h = await openHarness(engine);
      try {
        const t0 = h.clock.t;
        const knex = h.db.knex;
        // Sent with the organisation's 15-character id: kept in its 18-character form.
        await h.services.salesforce.apply(id15(ORG_ID), [
          leadNotification(1, 1, { Email: 'kept@example.com', Unsubscribed: 'true' }, t0),
          leadNotification(2, 2, { Email: 'forgotten@example.com', Unsubscribed: 'true' }, t0),
        ]);
        const rows = async (): Promise<Array<Record<string, unknown>>> =>
          (
            (await knex('salesforce_records')
              .select('organization_id', 'record_id', 'changed_at', 'reported_fields', 'email_key')
              .orderBy('record_id')
              .orderBy('organization_id')) as Array<Record<string, unknown>>
          ).map((r) => ({ ...r, changed_at: Number(r.changed_at) }));
        const before = await rows();
        expect(before.map((r) => r.organization_id)).to.deep.equal([ORG_ID, ORG_ID]);
        // A week later, record 2's notification is forgotten.
        await knex('salesforce_notifications').where('notification_id', notificationId(2)).delete();
        await orgMigration.down(knex);
        await orgMigration.up(knex);
        expect(await rows()).to.deep.equal([before[0], { ...before[1], organization_id: null }]);

        // The first organisation to report record 2 takes its state over: its untick is
        // seen going from ticked to unticked, and re-subscribes.
        const lead2 = () =>
          h.services.leads.find({ keyType: 'SFDCLEADID', keyValue: leadRecordId(2) });
        expect((await lead2())[0]!.unsubscribed).to.equal(true);
        await h.services.salesforce.apply(OTHER_ORG_ID, [
          leadNotification(
            3,
            2,
            { Email: 'forgotten@example.com', Unsubscribed: 'false' },
            t0 + 120_000,
          ),
        ]);
        expect((await lead2())[0]!.unsubscribed).to.equal(false);
        // Another organisation's report of it starts a state of its own.
        await h.services.salesforce.apply(ORG_ID, [
          leadNotification(4, 2, { FirstName: 'Prod' }, t0 + 500),
        ]);
        const after = (await rows()).filter((r) => r.record_id === leadRecordId(2));
        expect(after.map((r) => [r.organization_id, r.changed_at])).to.have.deep.members([
          [OTHER_ORG_ID, t0 + 120_000],
          [ORG_ID, t0 + 500],
        ]);

        // Down again: one row per record id, the last updated.
        await orgMigration.down(knex);
        const ids = (await knex('salesforce_records')
          .select('record_id', 'changed_at')
          .orderBy('record_id')) as Array<{ record_id: string; changed_at: unknown }>;
        expect(ids.map((r) => [r.record_id, Number(r.changed_at)])).to.deep.equal([
          [leadRecordId(1), t0],
          [leadRecordId(2), t0 + 500],
        ]);
        await orgMigration.up(knex);
      } finally {
        await h.drop();
      }
    });
  });
}
