/**
 * Upgrading records, from then on, every later opt-out by another path of the addresses whose
 * Salesforce records are reported opted out already (migration 20261204000200).
 */
import { expect } from 'chai';
import * as markMigration from '../../migrations/20261204000200_salesforce_opt_out_watch.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { ORG_ID, leadNotification } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { openHarness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`upgrading to the Salesforce opt-out mark (${engine.name})`, function () {
    this.timeout(60000);
    it('marks the addresses of records reported opted out, and only those', async () => {
      const h = await openHarness(engine);
      try {
        const t0 = h.clock.t;
        await h.services.salesforce.apply(ORG_ID, [
          leadNotification(1, 1, { Email: 'ticked@mark.example', Unsubscribed: 'true' }, t0),
          leadNotification(2, 2, { Email: 'unticked@mark.example', Unsubscribed: 'true' }, t0),
          leadNotification(3, 2, { Unsubscribed: 'false' }, t0 + 1000),
        ]);
        // Unsubscribed by a web service, no Salesforce record of it.
        await h.services.leads.sync(
          {
            email: 'elsewhere@mark.example',
            attributes: [{ name: 'Unsubscribed', value: 'true' }],
          },
          { path: ChangePaths.webService() },
        );
        const knex = h.db.knex;
        await markMigration.down(knex);
        await markMigration.up(knex);
        const rows = (await knex('email_status')
          .select('email_key', 'opt_outs_recorded_since')
          .orderBy('email_key')) as Array<{ email_key: string; opt_outs_recorded_since: unknown }>;
        const set = (r: { opt_outs_recorded_since: unknown }) => r.opt_outs_recorded_since !== null;
        expect(rows.map((r) => [r.email_key, set(r)])).to.deep.equal([
          ['elsewhere@mark.example', false],
          ['ticked@mark.example', true],
          ['unticked@mark.example', false],
        ]);
      } finally {
        await h.drop();
      }
    });
  });
}
