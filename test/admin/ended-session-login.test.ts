import crypto from 'node:crypto';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { ALICE } from './support.js';

/**
 * A page opened with a session that has ended (expired, or logged out elsewhere) leads to the
 * login form, which says why; a first visit, without any session cookie, gets the form alone.
 */
for (const engine of testEngines()) {
  describe(`operator console: a page opened after the session ended (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;

    before(async () => {
      svc = await startTestService(engine, { adminUsers: [ALICE] });
    });
    after(async () => {
      await svc?.stop();
    });

    const open = async (path: string, cookie?: string) => {
      const res = await fetch(svc.base + path, {
        headers: cookie ? { Cookie: cookie } : {},
        redirect: 'manual',
      });
      expect(res.status, path).to.equal(303);
      const location = res.headers.get('location')!;
      const login = await fetch(svc.base + location);
      return { location, body: await login.text() };
    };

    it('says the session ended, and still leads back to the page', async () => {
      const ended = `du_admin_session=${crypto.randomBytes(32).toString('base64url')}`;
      const { location, body } = await open('/admin/people/1', ended);
      expect(location).to.include(`next=${encodeURIComponent('/admin/people/1')}`);
      expect(body).to.match(/<p class="notice" role="status">\s*Your session has ended/);
      expect(body).to.include('name="next" value="/admin/people/1"');
    });

    it('says nothing of a session to an operator who had none', async () => {
      const { body } = await open('/admin/people/1');
      expect(body).to.not.include('session has ended');
    });
  });
}
