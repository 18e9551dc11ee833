import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { AdminClient, consolePerTest } from './support.js';

/**
 * A Log out that arrives without the session cookie: a form another site posts to
 * /admin/logout (SameSite=Lax keeps the cookie off a cross-site POST). Its answer deleted the
 * session cookie, which the browser applied: any site could log the operator out. Only a cookie
 * that was sent, and opens no session, is removed now.
 */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: a Log out without the session cookie (${engine.name})`, function () {
    this.timeout(60000);
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ client } = c));

    it('deletes no cookie and ends nothing: the browser that holds the session stays logged in', async () => {
      const crossSite = new AdminClient(client.base);
      for (const path of ['/admin/logout', '/admin/Logout/']) {
        const out = await crossSite.post(path, {});
        expect(out.status, path).to.equal(303);
        expect(out.setCookies, path).to.deep.equal([]);
        // Not "You have logged out." (no lookup there): the login page, which a browser
        // still holding its session passes on to the console.
        expect(out.location, path).to.equal('/admin/login');
        const login = await client.get(out.location!);
        expect([login.status, login.location], path).to.deep.equal([303, '/admin/']);
      }
      expect((await client.get('/admin/')).status).to.equal(200);
    });

    it('still removes a cookie that was sent and opens no session, saying so', async () => {
      const out = await client.post('/admin/logout', { _csrf: client.csrf });
      expect(out.location).to.equal('/admin/login?out=1');
      const ended = new AdminClient(client.base);
      ended.cookies.set('du_admin_session', 'x'.repeat(43));
      const again = await ended.post('/admin/logout', {});
      expect([again.status, again.location]).to.deep.equal([303, '/admin/login?out=1']);
      expect(again.setCookies.join('\n')).to.match(/^du_admin_session=; .*Max-Age=0$/m);
    });
  });
}
