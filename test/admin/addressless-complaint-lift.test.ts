import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { addresslessComplaint, unsubscribedNow } from './addressless-complaint.js';
import { consolePerTest, type AdminClient, postPersonFlag } from './support.js';

const web = ChangePaths.webService();

/**
 * A complaint held by a person without an address (its own reason keeps its opt-out) is lifted
 * by an operator only with the explicit tick, as an address's is: the console asks for it at
 * once. It asked for it only for addresses: the person page's first confirmation had no tick
 * (its Confirm was answered 409 "suppressed for a null suppression"), and Change Data Value
 * previewed no complaint, started unasked, and failed the person, with no page offering the tick.
 */
for (const engine of testEngines()) {
  describe(`console: lifting the complaint of a person without an address (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    it('the person page asks for the tick on its first confirmation, naming the reason', async () => {
      const id = await addresslessComplaint(services);
      const asked = await postPersonFlag(client, id, { unsubscribed: false, confirm: false });
      expect(asked.status).to.equal(200);
      expect(asked.body).to.include('name="liftProtected"');
      expect(asked.body).to.include('I confirm lifting a complaint suppression');
      expect(asked.body).to.include('This person, without an address, was unsubscribed for a');
      expect(asked.body).to.not.include('null');
      // Confirmed without the tick: asked again, nothing changed.
      const unticked = await postPersonFlag(client, id, { unsubscribed: false });
      expect(unticked.status).to.equal(200);
      expect(unticked.body).to.include('I confirm lifting a complaint suppression');
      expect(unticked.body).to.not.include('null');
      expect(await unsubscribedNow(services, id)).to.equal(true);
      const lifted = await postPersonFlag(client, id, {
        unsubscribed: false,
        reason: 'asked us by phone',
        liftProtected: true,
      });
      expect(lifted.status).to.equal(303);
      expect(lifted.location).to.equal(`/admin/people/${id}?saved=resubscribed`);
      expect(await unsubscribedNow(services, id)).to.equal(false);
    });

    it('Change Data Value previews the complaint, asks for the tick, and refuses an unticked start', async () => {
      const id = await addresslessComplaint(services);
      const change = { field: 'Unsubscribed', value: 'false' };
      const preview = await services.bulkChanges.preview({ ids: [id], emailKeys: [] }, change);
      expect(preview.protectedAddresses).to.equal(0);
      expect(preview.protectedWithoutAddress).to.equal(1);
      const form = { _csrf: client.csrf, list: String(id), field: 'Unsubscribed', value: 'false' };
      const page = await client.post('/admin/bulk/preview', form);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('name="liftProtected"');
      expect(page.body).to.include('1 person without an address was unsubscribed for a complaint');
      const unticked = await client.post('/admin/bulk/start', form);
      expect(unticked.status).to.equal(400);
      expect(unticked.body).to.include('confirm that explicitly');
      expect(await services.bulkChanges.recent()).to.deep.equal([]);
      const started = await client.post('/admin/bulk/start', { ...form, liftProtected: 'yes' });
      expect(started.status).to.equal(303);
      const jobId = Number(/\/admin\/bulk\/jobs\/(\d+)$/.exec(started.location!)![1]);
      for (let i = 0; i < 400; i++) {
        if ((await services.bulkChanges.status(jobId)).job.finishedAt !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const { totals, failures } = await services.bulkChanges.status(jobId);
      expect(failures).to.deep.equal([]);
      expect(totals).to.include({ changed: 1, failed: 0 });
      expect(await unsubscribedNow(services, id)).to.equal(false);
    });

    it('counts only unsubscribed people without an address whose own reason is protected', async () => {
      const complained = await addresslessComplaint(services);
      const bounced = await services.leads.sync(
        {
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: 'bounced' },
          ],
        },
        { path: web },
      );
      const addressed = await services.leads.sync(
        {
          email: 'held@example.com',
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: 'complaint' },
          ],
        },
        { path: web },
      );
      const preview = await services.bulkChanges.preview(
        { ids: [complained, bounced.leadId, addressed.leadId], emailKeys: [] },
        { field: 'Unsubscribed', value: '0' },
      );
      expect(preview).to.include({ protectedAddresses: 1, protectedWithoutAddress: 1 });
      // A change that lifts nothing asks nothing.
      const other = await services.bulkChanges.preview(
        { ids: [complained], emailKeys: [] },
        { field: 'City', value: 'Oslo' },
      );
      expect(other).to.include({ protectedAddresses: 0, protectedWithoutAddress: 0 });
    });
  });
}
