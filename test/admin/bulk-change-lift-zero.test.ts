import { expect } from 'chai';
import { createServices, type Services } from '../../src/compose.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { testEngines } from '../support/database.js';
import { listRows } from '../support/suppression-list.js';

/**
 * Change Data Value lifting the Unsubscribed box with "0" (what the field takes as false, as
 * it takes "false") is a lift like "false": the preview counts the complaint suppressions it
 * reaches, and the start asks for the confirmation.
 */
for (const engine of testEngines()) {
  describe(`Change Data Value: Unsubscribed 0 lifts as false does (${engine.name})`, function () {
    this.timeout(60000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let services: Services;

    beforeEach(async function () {
      made = await engine.create();
      services = createServices(made.db, { customFields: [], defaultPartition: 'Default' });
      await services.leads.sync(
        { email: 'complained@example.com', attributes: [{ name: 'FirstName', value: 'C' }] },
        { path: ChangePaths.webService(), partition: 'lift', matchByEmail: false },
      );
      await services.suppressions.import(
        listRows([{ email: 'complained@example.com', reason: 'spam complaint' }]),
      );
    });

    afterEach(async function () {
      await made.drop();
    });

    for (const value of ['0', ' 0 ', 'FALSE']) {
      it(`"${value}": the preview counts the protected address and an unconfirmed start is refused`, async () => {
        // Before: only "false" was taken for a lift; "0" previewed no complaint, started
        // unconfirmed, and each protected person then failed without the operator being asked.
        const change = { field: 'Unsubscribed', value };
        const preview = await services.bulkChanges.preview({ partition: 'lift' }, change);
        expect(preview.protectedAddresses).to.equal(1);
        let refused: unknown;
        try {
          await services.bulkChanges.start({ partition: 'lift' }, change, 'alice', {
            confirmProtected: false,
          });
        } catch (error) {
          refused = error;
        }
        expect((refused as Error | undefined)?.message).to.equal(
          'The selection lifts complaint suppressions: confirm that explicitly',
        );
        expect(
          (await services.durableStatus.explain('complained@example.com')).status?.unsubscribed,
        ).to.equal(true);
        expect(await services.bulkChanges.recent()).to.deep.equal([]);
      });
    }
  });
}
