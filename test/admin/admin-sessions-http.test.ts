import { expect } from 'chai';
import { start, type Running } from '../../src/main.js';
import { createLogger } from '../../src/logger.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import {
  ALICE,
  AdminClient,
  addressFlags,
  addressPerTest,
  csrfOf,
  operatorServiceFor,
  postPersonFlag,
} from './support.js';
import { SESSION_COOKIE } from '../../src/admin/router.js';

/**
 * Who gets in: sessions and their cookies, logins and their limits, CSRF tokens, where a login
 * leads, logging out, sessions across instances, and the headers every page carries.
 */
for (const engine of testEngines()) {
  describe(`operator pages over HTTP: sessions and logins (${engine.name})`, function () {
    // A service per test (a fresh database) and several logins, each a password hashed: up to
    // 8 s a test seen on a loaded 2-core machine, too close to mocha's 20 s default.
    this.timeout(60000);
    let svc: TestService;
    let services: Services;
    let ids: { a: number; b: number };
    addressPerTest(engine, (page) => ({ svc, services, ids } = page));

    it('sends every page to the login form without a session, and refuses every POST', async () => {
      const client = new AdminClient(svc.base);
      for (const path of [
        '/admin',
        '/admin/',
        '/admin/?q=ann%40example.com',
        `/admin/people/${ids.a}`,
        '/admin/address?email=ann%40example.com',
        '/admin/no-such-page',
      ]) {
        const reply = await client.get(path);
        expect(reply.status, path).to.equal(303);
        expect(reply.location, path).to.equal(`/admin/login?next=${encodeURIComponent(path)}`);
        expect(reply.body, path).to.not.include('ann@example.com');
      }
      const post = await client.post(`/admin/people/${ids.b}/unsubscribed`, { _csrf: 'x' });
      expect(post.status).to.equal(401);
      // A forged cookie is no session either.
      client.cookies.set('du_admin_session', 'A'.repeat(43));
      expect((await client.get('/admin/')).status).to.equal(303);
      expect(await addressFlags(services)).to.deep.equal([true, true]);
    });

    it('logs in with HttpOnly SameSite cookies and refuses a wrong password', async () => {
      const client = new AdminClient(svc.base);
      const wrong = await client.logIn({ name: 'alice', password: 'not the password' });
      expect(wrong.status).to.equal(401);
      expect(wrong.body).to.include('Wrong operator name or password.');
      const ok = await client.logIn();
      expect(ok.status).to.equal(303);
      expect(ok.location).to.equal('/admin/');
      const session = ok.setCookies.find((c) => c.startsWith('du_admin_session='));
      expect(session).to.match(/; Path=\/admin; HttpOnly; SameSite=Lax$/);
      const page = await client.get('/admin/');
      expect(page.status).to.equal(200);
      expect(page.body).to.include('Signed in as <strong>alice</strong>');
      // Logging in again replaces the session: the first token stops working.
      const first = client.cookies.get('du_admin_session')!;
      expect((await client.logIn()).status).to.equal(303);
      expect(client.cookies.get('du_admin_session')).to.not.equal(first);
      const stale = new AdminClient(svc.base);
      stale.cookies.set('du_admin_session', first);
      expect((await stale.get('/admin/')).status).to.equal(303);
      expect(page.body).to.not.include('correct horse battery');
    });

    it('marks cookies Secure behind an HTTPS proxy', async () => {
      const proxied = await startTestService(engine, { adminUsers: [ALICE], trustProxy: 1 });
      try {
        const client = new AdminClient(proxied.base, { 'X-Forwarded-Proto': 'https' });
        const ok = await client.logIn();
        expect(ok.status).to.equal(303);
        // The session cookie at least: none set would pass the loop below without a look.
        expect(ok.setCookies.some((c) => c.startsWith(`__Host-${SESSION_COOKIE}=`))).to.equal(true);
        for (const c of ok.setCookies) expect(c).to.match(/; Secure/);
      } finally {
        await proxied.stop();
      }
    });

    it('refuses a login form without its CSRF token', async () => {
      const client = new AdminClient(svc.base);
      await client.get('/admin/login');
      const reply = await client.post('/admin/login', {
        name: ALICE.name,
        password: ALICE.password,
      });
      expect(reply.status).to.equal(403);
      expect(reply.setCookies.some((c) => c.startsWith('du_admin_session='))).to.equal(false);
      // A token that is not the one of the browser's login cookie fails too.
      const forged = await new AdminClient(svc.base).post('/admin/login', {
        _csrf: csrfOf((await client.get('/admin/login')).body),
        name: ALICE.name,
        password: ALICE.password,
      });
      expect(forged.status).to.equal(403);
    });

    it('refuses a POST without the session CSRF token, and changes nothing', async () => {
      const client = new AdminClient(svc.base);
      await client.logIn();
      const path = `/admin/people/${ids.b}/unsubscribed`;
      const before = await services.activities.listForLead({
        keyType: 'IDNUM',
        keyValue: String(ids.b),
      });
      const forms: Array<Record<string, string>> = [
        { unsubscribed: 'false' },
        { unsubscribed: 'false', _csrf: '' },
        { unsubscribed: 'false', _csrf: client.csrf + 'x' },
      ];
      for (const form of forms) {
        const reply = await client.post(path, form);
        expect(reply.status).to.equal(403);
        expect(reply.body).to.include('did not carry a valid token');
      }
      const other = new AdminClient(svc.base);
      await other.logIn();
      expect(other.csrf).to.not.equal(client.csrf);
      expect((await client.post(path, { _csrf: other.csrf })).status).to.equal(403);
      expect((await client.post('/admin/logout', {})).status).to.equal(403);
      expect(await addressFlags(services)).to.deep.equal([true, true]);
      const after = await services.activities.listForLead({
        keyType: 'IDNUM',
        keyValue: String(ids.b),
      });
      expect(after.returnCount).to.equal(before.returnCount);
    });

    it('only redirects to its own pages after login', async () => {
      const client = new AdminClient(svc.base);
      const form = await client.get(
        '/admin/login?next=' + encodeURIComponent('https://evil.example/'),
      );
      expect(form.body).to.include('name="next" value="/admin/"');
      for (const next of [
        'https://evil.example/',
        '//evil.example/',
        '/admin\\@evil',
        '/adminx',
        // Dot segments: a browser resolves each of these to a path outside /admin (`//x`).
        '/admin/..//evil.example/',
        '/admin/%2e%2E//evil.example/',
        '/admin/.%2e/u/x',
        '/admin/./../x?next=/admin/',
      ]) {
        const c = new AdminClient(svc.base);
        const token = csrfOf((await c.get('/admin/login')).body);
        const reply = await c.post('/admin/login', {
          _csrf: token,
          name: ALICE.name,
          password: ALICE.password,
          next,
        });
        expect(reply.location, next).to.equal('/admin/');
      }
      const c = new AdminClient(svc.base);
      const token = csrfOf((await c.get('/admin/login')).body);
      const wanted = `/admin/people/${ids.b}`;
      const reply = await c.post('/admin/login', {
        _csrf: token,
        name: ALICE.name,
        password: ALICE.password,
        next: wanted,
      });
      expect(reply.location).to.equal(wanted);
    });

    it('refuses logins after too many failures from one client, even with the right password', async () => {
      const client = new AdminClient(svc.base);
      for (let i = 0; i < 3; i++)
        expect(
          (await client.logIn({ name: 'alice', password: `wrong password ${i}` })).status,
        ).to.equal(401);
      const blocked = await client.logIn();
      expect(blocked.status).to.equal(429);
      expect(blocked.body).to.include('Too many failed logins');
      expect(blocked.setCookies.some((c) => c.startsWith('du_admin_session='))).to.equal(false);
    });

    it('logs out: the old cookie no longer opens a page', async () => {
      const client = new AdminClient(svc.base);
      await client.logIn();
      const token = client.cookies.get('du_admin_session')!;
      const out = await client.post('/admin/logout', { _csrf: client.csrf });
      expect(out.status).to.equal(303);
      expect(out.location).to.equal('/admin/login?out=1');
      expect(client.cookies.has('du_admin_session')).to.equal(false);
      client.cookies.set('du_admin_session', token);
      expect((await client.get('/admin/')).status).to.equal(303);
    });

    it('serves a session from any instance sharing the database, and stored operators log in', async () => {
      const { operators, db } = operatorServiceFor(svc.config);
      let second: Running | null = null;
      try {
        await operators.add('carol', 'carol password 1');
        second = await start({ ...svc.config, port: 0 }, createLogger('silent'));
        const one = new AdminClient(svc.base);
        expect((await one.logIn({ name: 'carol', password: 'carol password 1' })).status).to.equal(
          303,
        );
        const two = new AdminClient(`http://127.0.0.1:${second.port}`);
        for (const [k, v] of one.cookies) two.cookies.set(k, v);
        two.csrf = one.csrf;
        const page = await two.get(`/admin/people/${ids.a}`);
        expect(page.status).to.equal(200);
        expect(page.body).to.include('Signed in as <strong>carol</strong>');
        const saved = await postPersonFlag(two, ids.a, { unsubscribed: false });
        expect(saved.status).to.equal(303);
        expect(await addressFlags(services)).to.deep.equal([false, false]);
        // Removing the operator (as the CLI does) ends its sessions on every instance.
        await operators.remove('carol');
        expect((await one.get('/admin/')).status).to.equal(303);
        expect((await two.get('/admin/')).status).to.equal(303);
      } finally {
        await second?.close();
        await db.close();
      }
    });

    it('sets security headers and keeps pages out of caches', async () => {
      const client = new AdminClient(svc.base);
      await client.logIn();
      const res = await fetch(`${svc.base}/admin/`, {
        headers: { Cookie: `du_admin_session=${client.cookies.get('du_admin_session')}` },
      });
      expect(res.headers.get('content-security-policy')).to.include("default-src 'none'");
      expect(res.headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const css = await fetch(`${svc.base}/admin/admin.css`);
      expect(css.status).to.equal(200);
      expect(css.headers.get('content-type')).to.match(/^text\/css/);
    });
  });
}
