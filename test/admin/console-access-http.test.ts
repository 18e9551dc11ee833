import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import type { TestService } from '../support/service.js';
import { AdminClient, consolePerTest, upload } from './support.js';

/** Without a session or without its CSRF token, no console page or form does anything. */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: sessions and CSRF tokens (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ svc, services, client } = c));

    it('sends every new page to the login form without a session and refuses every new POST', async () => {
      const stranger = new AdminClient(svc.base);
      for (const path of [
        '/admin/suppressions',
        '/admin/suppressions/export.csv',
        '/admin/suppressions/imports/1',
        '/admin/suppressions/imports/1/rejects.csv',
        '/admin/bulk',
        '/admin/bulk/jobs/1',
      ]) {
        const reply = await stranger.get(path);
        expect(reply.status, path).to.equal(303);
        expect(reply.location, path).to.match(/^\/admin\/login\?next=/);
      }
      for (const path of ['/admin/address/status', '/admin/bulk/preview', '/admin/bulk/start']) {
        const reply = await stranger.post(path, {
          _csrf: client.csrf,
          email: 'x@example.com',
          unsubscribed: 'true',
          reason: 'r',
          list: 'x@example.com',
          field: 'Unsubscribed',
          value: 'true',
        });
        expect(reply.status, path).to.equal(401);
      }
      expect((await upload(stranger, 'email\nx@example.com\n', client.csrf)).status).to.equal(401);
      expect(await services.durableStatus.explain('x@example.com')).to.include({ status: null });
    });

    it('refuses every new form without its CSRF token (and with another session’s), changing nothing', async () => {
      const other = new AdminClient(svc.base);
      await other.logIn();
      const forms: Array<[string, Record<string, string>]> = [
        ['/admin/address/status', { email: 'x@example.com', unsubscribed: 'true', reason: 'r' }],
        ['/admin/bulk/preview', { list: 'x@example.com', field: 'Unsubscribed', value: 'true' }],
        ['/admin/bulk/start', { list: 'x@example.com', field: 'Unsubscribed', value: 'true' }],
      ];
      for (const [path, form] of forms) {
        for (const token of [null, other.csrf, '']) {
          const reply = await client.post(path, token === null ? form : { ...form, _csrf: token });
          expect(reply.status, path).to.equal(403);
          expect(reply.body).to.include('did not carry a valid token');
        }
      }
      for (const token of [null, other.csrf, '']) {
        const reply = await upload(client, 'email\nx@example.com\n', token);
        expect(reply.status).to.equal(403);
      }
      // A multipart body does not carry a token to any other form either.
      const form = new FormData();
      form.append('_csrf', client.csrf);
      form.append('email', 'x@example.com');
      form.append('unsubscribed', 'true');
      form.append('reason', 'r');
      const sneaky = await fetch(`${svc.base}/admin/address/status`, {
        method: 'POST',
        body: form,
        headers: { Cookie: client.cookieHeader },
        redirect: 'manual',
      });
      expect(sneaky.status).to.equal(403);
      expect(await services.durableStatus.explain('x@example.com')).to.include({ status: null });
      expect(await services.bulkChanges.recent()).to.deep.equal([]);
      expect(await services.suppressionImports.recent()).to.deep.equal([]);
    });
  });
}
