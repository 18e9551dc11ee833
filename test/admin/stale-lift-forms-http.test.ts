/**
 * A console lift form (the address page's, a person's confirmation) lifts the suppression it
 * showed, never a newer one: an opt-out acknowledged after the operator's page was shown (the
 * recipient's own, an integration's) is not lifted by that form posted late or twice. Over
 * HTTP, as a browser posts the forms.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { consolePerTest, formOf, statusFormOf, type AdminClient } from './support.js';

const web = ChangePaths.webService();

for (const engine of testEngines()) {
  describe(`a console lift form is bound to the suppression it showed (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;
    consolePerTest(engine, (c) => ({ services, client } = c));

    const optOut = (reason: string) =>
      services.leads.sync(
        {
          email: 'ann@example.com',
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: reason },
          ],
        },
        { path: web },
      );
    const unsubscribed = async () =>
      (await services.durableStatus.explain('ann@example.com')).status?.unsubscribed;

    it('posted twice, the second post does not lift an opt-out made between the two', async () => {
      await optOut('bounced');
      const page = await client.get('/admin/address?email=ann%40example.com');
      const form = statusFormOf(page.body, 'mailbox fixed');
      expect(form.unsubscribed).to.equal('false');
      const first = await client.post('/admin/address/status', form);
      expect(first.location).to.match(/saved=resubscribed$/);
      expect(await unsubscribed()).to.equal(false);
      // The recipient opts out again, and is told so.
      await optOut('asked to stop');
      const second = await client.post('/admin/address/status', form);
      expect(second.status, second.body).to.equal(409);
      expect(second.body).to.include('asked to stop');
      expect(await unsubscribed()).to.equal(true);
      // The page shown again lifts the opt-out it now shows, when the operator means it.
      const again = await client.post('/admin/address/status', statusFormOf(second.body, 'sure'));
      expect(again.location).to.match(/saved=resubscribed$/);
      expect(await unsubscribed()).to.equal(false);
    });

    it('a page left open does not lift the opt-out that replaced the one it showed', async () => {
      await optOut('bounced');
      const page = await client.get('/admin/address?email=ann%40example.com');
      const form = statusFormOf(page.body, 'mailbox fixed');
      // Lifted elsewhere, then unsubscribed again by the recipient, while the page stood open.
      await services.leads.sync(
        { email: 'ann@example.com', attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        { path: web },
      );
      await optOut('asked to stop');
      const stale = await client.post('/admin/address/status', form);
      expect(stale.status, stale.body).to.equal(409);
      expect(await unsubscribed()).to.equal(true);
      const history = await services.durableStatus.explain('ann@example.com');
      expect(history.status).to.include({ reason: 'asked to stop', unsubscribed: true });
    });

    it('a suppress form posted late still suppresses (an opt-out is never refused as stale)', async () => {
      const page = await client.get('/admin/address?email=ann%40example.com');
      const form = statusFormOf(page.body, 'asked by phone');
      expect(form.unsubscribed).to.equal('true');
      await optOut('bounced');
      await services.leads.sync(
        { email: 'ann@example.com', attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        { path: web },
      );
      const late = await client.post('/admin/address/status', form);
      expect(late.location).to.match(/saved=unsubscribed$/);
      expect(await unsubscribed()).to.equal(true);
    });

    it("the person page's confirmed re-subscribe, posted twice, does not lift an opt-out made between", async () => {
      const person = await optOut('bounced');
      const url = `/admin/people/${person.leadId}/unsubscribed`;
      // Saving the unticked box shows the confirmation: its form is what the second post repeats.
      const asked = await client.post(url, { _csrf: client.csrf, reason: 'mailbox fixed' });
      expect(asked.status).to.equal(200);
      const confirm = formOf(asked.body, url, {});
      expect(confirm.confirm).to.equal('yes');
      const first = await client.post(url, confirm);
      expect(first.location).to.match(/saved=resubscribed$/);
      expect(await unsubscribed()).to.equal(false);
      await optOut('asked to stop');
      const second = await client.post(url, confirm);
      expect(second.status, second.body).to.equal(409);
      expect(await unsubscribed()).to.equal(true);
      // Its confirmation shown again lifts the opt-out there now, when the operator means it.
      const again = await client.post(url, formOf(second.body, url, {}));
      expect(again.location).to.match(/saved=resubscribed$/);
      expect(await unsubscribed()).to.equal(false);
    });
  });
}
