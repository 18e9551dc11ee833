import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { consolePerTest, seedAddress, type AdminClient, postPersonFlag } from './support.js';

/**
 * The "Saved: …" notice of the person and address pages is the answer to the operator's own
 * change, never something a URL alone can make a page say: a link sent to an operator must not
 * have the console confirm a suppression (or a lift) that was never made.
 */
for (const engine of testEngines()) {
  describe(`operator console: the notice of a saved change (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    it('a crafted link shows no "Saved" notice: nothing was saved', async () => {
      const ids = await seedAddress(services);
      // Ann's address is suppressed (East unsubscribed it); Bob's is not.
      await services.leads.sync({ email: 'bob@example.com' }, { path: ChangePaths.webService() });
      const crafted = [
        '/admin/address?email=bob%40example.com&saved=unsubscribed',
        '/admin/address?email=ann%40example.com&saved=resubscribed',
        `/admin/people/${ids.a}?saved=resubscribed`,
        `/admin/people/${ids.b}?saved=unsubscribed`,
        `/admin/people/${ids.a}?saved=recorded`,
      ];
      for (const url of crafted) {
        const page = await client.get(url);
        expect(page.status, url).to.equal(200);
        expect(page.body, url).not.to.include('Saved:');
      }
      expect(
        (await services.durableStatus.explain('bob@example.com')).status?.unsubscribed ?? false,
      ).to.equal(false);
    });

    it('the change itself still leads to its notice, on its own page only', async () => {
      const ids = await seedAddress(services);
      const lift = await postPersonFlag(client, ids.b, { unsubscribed: false });
      expect(lift.status).to.equal(303);
      expect(lift.location).to.equal(`/admin/people/${ids.b}?saved=resubscribed`);
      const page = await client.get(lift.location!);
      expect(page.body).to.include('Saved: re-subscribed, and so is every person with');
      // The notice was for that page: another person's page with the same query says nothing.
      expect((await client.get(`/admin/people/${ids.a}?saved=resubscribed`)).body).not.to.include(
        'Saved:',
      );

      const suppress = await client.post('/admin/address/status', {
        _csrf: client.csrf,
        email: 'carl@example.com',
        unsubscribed: 'true',
        reason: 'asked by letter',
      });
      expect(suppress.location).to.equal(
        '/admin/address?email=carl%40example.com&saved=unsubscribed',
      );
      expect((await client.get(suppress.location!)).body).to.include(
        'Saved: the address is suppressed',
      );
    });
  });
}
