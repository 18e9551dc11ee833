import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { ALICE, AdminClient, csrfOf } from './support.js';

const BOB = { name: 'bob', password: 'another long passphrase' };

/**
 * The login form shown to an operator who is logged in read as if the session had ended: a
 * bookmark of /admin/login, or the browser's back button after logging in, showed it. It leads
 * to the console (or to where `next` says) instead. Log out, on every page, is the way to log
 * in as another operator: it ends this session and leads to the form.
 */
for (const engine of testEngines()) {
  describe(`operator console: the login page while logged in (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;
    let client: AdminClient;

    beforeEach(async () => {
      svc = await startTestService(engine, { adminUsers: [ALICE, BOB] });
      client = new AdminClient(svc.base);
      expect((await client.logIn()).status).to.equal(303);
    });
    afterEach(() => svc.stop());

    it('leads to the start page, or to a safe next page, not to the form', async () => {
      const start = await client.get('/admin/login');
      expect(start.status).to.equal(303);
      expect(start.location).to.equal('/admin/');
      const next = await client.get('/admin/login?next=%2Fadmin%2Fsuppressions');
      expect(next.status).to.equal(303);
      expect(next.location).to.equal('/admin/suppressions');
      const away = await client.get('/admin/login?next=%2F%2Fevil.example%2F');
      expect(away.location).to.equal('/admin/');
    });

    it('shows the form without a session, and with one that has ended', async () => {
      expect((await new AdminClient(svc.base).get('/admin/login')).status).to.equal(200);
      const other = new AdminClient(svc.base);
      for (const [k, v] of client.cookies) other.cookies.set(k, v);
      expect((await other.post('/admin/logout', { _csrf: client.csrf })).status).to.equal(303);
      const ended = await client.get('/admin/login?ended=1');
      expect(ended.status).to.equal(200);
      expect(ended.body).to.include('Your session has ended');
    });

    it('switches operator through Log out, which leads to the form', async () => {
      const out = await client.post('/admin/logout', { _csrf: client.csrf });
      expect(out.location).to.equal('/admin/login?out=1');
      const form = await client.get(out.location!);
      expect(form.status).to.equal(200);
      const bob = await client.post('/admin/login', {
        _csrf: csrfOf(form.body),
        name: BOB.name,
        password: BOB.password,
        next: '/admin/',
      });
      expect(bob.status).to.equal(303);
      expect((await client.get('/admin/')).body).to.include('Signed in as <strong>bob</strong>');
    });
  });
}
