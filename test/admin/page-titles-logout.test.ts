import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { AdminClient, consolePerTest } from './support.js';

const titleOf = (page: string): string => /<title>([^<]*)<\/title>/.exec(page)?.[1] ?? '';

/**
 * An error page is titled by what went wrong, as its heading says, so that a tab or a screen
 * reader's first words tell a missing page from a refused form; logging out says it did.
 */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: error titles and logging out (${engine.name})`, function () {
    this.timeout(60000);
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ client } = c));

    it('titles each error page by its heading', async () => {
      const missing = await client.get('/admin/no-such-page');
      expect(missing.status).to.equal(404);
      expect(titleOf(missing.body)).to.equal('Not found · durable-unsubscribe');
      const bad = await client.get('/admin/?q=a%00b');
      expect(bad.status).to.equal(400);
      expect(titleOf(bad.body)).to.equal('Not understood · durable-unsubscribe');
      const refused = await client.post('/admin/address/status', { _csrf: 'forged' });
      expect(refused.status).to.equal(403);
      expect(titleOf(refused.body)).to.equal('Refused · durable-unsubscribe');
    });

    it('says "Logged out" on the login page logging out leads to, and only there', async () => {
      const out = await client.post('/admin/logout', { _csrf: client.csrf });
      expect(out.status).to.equal(303);
      const login = await client.get(out.location!);
      expect(login.status).to.equal(200);
      expect(login.body).to.include('role="status">You have logged out.</p>');
      const fresh = await new AdminClient(client.base).get('/admin/login');
      expect(fresh.body).to.not.include('logged out.');
    });

    it("a stale page's Log out is refused in words about logging out, not a change", async () => {
      const stale = client.csrf;
      // Logged in again (another tab): the session, and so its token, is a new one.
      expect((await client.logIn()).status).to.equal(303);
      const out = await client.post('/admin/logout', { _csrf: stale });
      expect(out.status).to.equal(403);
      expect(out.body).to.include('You are still logged in');
      expect(out.body).to.not.include('nothing was saved');
      expect((await client.get('/admin/')).status).to.equal(200);
    });

    it('logs out a page whose session had already ended, instead of "nothing was saved"', async () => {
      // The same session in a second tab, logged out there first.
      const other = new AdminClient(client.base);
      for (const [k, v] of client.cookies) other.cookies.set(k, v);
      expect((await other.post('/admin/logout', { _csrf: client.csrf })).status).to.equal(303);
      const out = await client.post('/admin/logout', { _csrf: client.csrf });
      expect(out.status, out.body).to.equal(303);
      expect(out.location).to.equal('/admin/login?out=1');
      expect(out.setCookies.join('\n')).to.match(/^du_admin_session=; .*Max-Age=0$/m);
      expect(client.cookies.has('du_admin_session')).to.equal(false);
      // Any other form posted without a session still says nothing was saved.
      const form = await client.post('/admin/address/status', { _csrf: client.csrf });
      expect(form.status).to.equal(401);
      expect(form.body).to.include('nothing was saved');
    });
  });
}
