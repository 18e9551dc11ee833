import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { ALICE, AdminClient, csrfOf } from './support.js';

// Over HTTPS the console's cookies are `__Host-` ones (Secure, Path=/, no Domain): a page of a
// sibling subdomain can set a cookie for the whole parent domain, and so planted a session of
// its choosing, or the login form's double-submit token (logging the operator in as someone
// else), under the unprefixed names. Over plain HTTP (development) the names stay unprefixed.

const HTTPS = { 'X-Forwarded-Proto': 'https' };

for (const engine of testEngines()) {
  describe(`console cookies over HTTPS are __Host- cookies (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;

    before(async () => {
      svc = await startTestService(engine, { adminUsers: [ALICE], trustProxy: 1 });
    });
    after(() => svc?.stop());

    it('sets the login and session cookies Secure, for Path=/, with no Domain', async () => {
      const client = new AdminClient(svc.base, HTTPS);
      const form = await client.get('/admin/login');
      expect(form.setCookies).to.have.length(1);
      expect(form.setCookies[0]).to.match(
        /^__Host-du_admin_login=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
      );
      const ok = await client.logIn();
      expect(ok.status, ok.body).to.equal(303);
      const session = ok.setCookies.find((c) => c.startsWith('__Host-du_admin_session='));
      expect(session, ok.setCookies.join('\n')).to.match(
        /^__Host-du_admin_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
      );
      for (const c of ok.setCookies) expect(c).to.not.match(/Domain=/i);
      expect((await client.get('/admin/')).status).to.equal(200);
      // Logging out removes the prefixed session.
      const out = await client.post('/admin/logout', { _csrf: client.csrf });
      expect(out.setCookies.join('\n')).to.match(
        /^__Host-du_admin_session=; Path=\/; .*Max-Age=0$/m,
      );
      expect((await client.get('/admin/')).status).to.equal(303);
    });

    it('opens no session from an unprefixed cookie, even one holding a live token', async () => {
      const operator = new AdminClient(svc.base, HTTPS);
      expect((await operator.logIn()).status).to.equal(303);
      const token = operator.cookies.get('__Host-du_admin_session')!;
      expect(token).to.be.a('string').and.not.equal('');
      const planted = new AdminClient(svc.base, HTTPS);
      planted.cookies.set('du_admin_session', token);
      const page = await planted.get('/admin/');
      expect(page.status).to.equal(303);
      expect(page.location).to.equal('/admin/login?next=%2Fadmin%2F');
    });

    it('refuses a login whose double-submit token is an unprefixed cookie', async () => {
      const attacker = new AdminClient(svc.base, HTTPS);
      const csrf = csrfOf((await attacker.get('/admin/login')).body);
      const victim = new AdminClient(svc.base, HTTPS);
      // The attacker's own form token (under whichever name it was given), planted as the
      // unprefixed cookie a sibling subdomain can set.
      const token = [...attacker.cookies].find(([name]) => name.endsWith('du_admin_login'))![1];
      victim.cookies.set('du_admin_login', token);
      const reply = await victim.post('/admin/login', {
        _csrf: csrf,
        name: ALICE.name,
        password: ALICE.password,
      });
      expect(reply.status).to.equal(403);
      expect(reply.setCookies.some((c) => c.includes('du_admin_session='))).to.equal(false);
    });

    it('removes the unprefixed session of an earlier version at the next login', async () => {
      const client = new AdminClient(svc.base, HTTPS);
      client.cookies.set('du_admin_session', 'B'.repeat(43));
      expect((await client.get('/admin/')).status).to.equal(303);
      const ok = await client.logIn();
      expect(ok.status).to.equal(303);
      expect(ok.setCookies).to.include(
        'du_admin_session=; Path=/admin; HttpOnly; SameSite=Lax; Secure; Max-Age=0',
      );
      expect(client.cookies.has('du_admin_session')).to.equal(false);
      expect((await client.get('/admin/')).status).to.equal(200);
    });

    it('keeps unprefixed cookies for /admin over plain HTTP', async () => {
      const client = new AdminClient(svc.base);
      const ok = await client.logIn();
      expect(ok.status).to.equal(303);
      const session = ok.setCookies.find((c) => c.startsWith('du_admin_session='));
      expect(session).to.match(/^du_admin_session=[^;]+; Path=\/admin; HttpOnly; SameSite=Lax$/);
      expect((await client.get('/admin/')).status).to.equal(200);
    });
  });
}
