import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import type { TestService } from '../support/service.js';
import { AdminClient, consolePerTest } from './support.js';

/** The spellings Express routes to one path: its own, upper case, a trailing slash, both. */
const spellings = (path: string): string[] => {
  const upper = `/admin${path.slice('/admin'.length).toUpperCase()}`;
  return [path, upper, `${path}/`, `${upper}/`];
};

/**
 * Express routes a console path in any case and with a trailing slash. Every form is refused
 * in each spelling without a session or without its token; and the forms the console singles
 * out (the CSV upload, Log out, the large Change Data Value form) are answered in each spelling
 * as in their own, not refused for a token they carry or a session they no longer need.
 */
for (const engine of testEngines()) {
  describe(`operator console: a form's path in another spelling (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ svc, services, client } = c));

    const uploadTo = async (path: string, csv: string, csrf: string | null) => {
      const form = new FormData();
      if (csrf !== null) form.append('_csrf', csrf);
      form.append('file', new Blob([csv], { type: 'text/csv' }), 'list.csv');
      const res = await fetch(svc.base + path, {
        method: 'POST',
        body: form,
        headers: { Cookie: client.cookieHeader },
        redirect: 'manual',
      });
      return { status: res.status, location: res.headers.get('location'), body: await res.text() };
    };

    it('refuses every form in every spelling without a session or its token, storing nothing', async () => {
      const stranger = new AdminClient(svc.base);
      const forms: Array<[string, Record<string, string>]> = [
        ['/admin/address/status', { email: 'x@example.com', unsubscribed: 'true', reason: 'r' }],
        ['/admin/bulk/preview', { list: 'x@example.com', field: 'Unsubscribed', value: 'true' }],
        ['/admin/bulk/start', { list: 'x@example.com', field: 'Unsubscribed', value: 'true' }],
        ['/admin/people/1/unsubscribed', { unsubscribed: 'true', reason: 'r', confirm: 'yes' }],
        ['/admin/sessions/end', { session: '0'.repeat(32) }],
      ];
      for (const [path, form] of forms) {
        for (const spelled of spellings(path)) {
          const alone = await stranger.post(spelled, { ...form, _csrf: client.csrf });
          expect(alone.status, `${spelled} without a session`).to.equal(401);
          expect((await client.post(spelled, form)).status, `${spelled} without a token`).to.equal(
            403,
          );
        }
      }
      for (const spelled of spellings('/admin/suppressions/import'))
        expect((await uploadTo(spelled, 'email\nx@example.com\n', null)).status).to.equal(403);
      expect(await services.durableStatus.explain('x@example.com')).to.include({ status: null });
      expect(await services.bulkChanges.recent()).to.deep.equal([]);
      expect(await services.suppressionImports.recent()).to.deep.equal([]);
    });

    it('takes the CSV upload with its token in any spelling of its path', async () => {
      for (const [i, spelled] of spellings('/admin/suppressions/import').entries()) {
        const address = `up${i}@example.com`;
        const reply = await uploadTo(spelled, `email\n${address}\n`, client.csrf);
        expect(reply.status, `${spelled}: ${reply.body}`).to.equal(303);
        const id = Number(/imports\/(\d+)$/.exec(reply.location!)![1]);
        await services.suppressionImports.settled(id);
        expect((await services.durableStatus.explain(address)).status, spelled).to.include({
          unsubscribed: true,
        });
      }
    });

    it('logs out in any spelling, a session already ended included', async () => {
      for (const spelled of spellings('/admin/logout')) {
        const stale = client.csrf;
        expect((await client.post(spelled, { _csrf: stale })).location, spelled).to.equal(
          '/admin/login?out=1',
        );
        // The same browser's Log out again (another tab): the session has ended already.
        const ended = new AdminClient(svc.base);
        await ended.logIn();
        const cookies = new Map(ended.cookies);
        await ended.post('/admin/logout', { _csrf: ended.csrf });
        for (const [k, v] of cookies) ended.cookies.set(k, v);
        const again = await ended.post(spelled, { _csrf: ended.csrf });
        expect([again.status, again.location], `${spelled} once ended`).to.deep.equal([
          303,
          '/admin/login?out=1',
        ]);
        // A Log out from a page opened before the latest login: refused, saying so.
        await client.logIn();
        const old = await client.post(spelled, { _csrf: stale });
        expect(old.status, spelled).to.equal(403);
        expect(old.body, spelled).to.include('opened before your latest login');
      }
    });

    it('reads a Change Data Value list up to its own limit in any spelling', async () => {
      const list = Array.from({ length: 2000 }, (_, i) => `person${i}@example.com`).join('\n');
      const form = { _csrf: client.csrf, list, field: 'Unsubscribed', value: 'true' };
      expect(list.length).to.be.above(16 * 1024);
      const own = await client.post('/admin/bulk/preview', form);
      expect(own.status).to.not.equal(413);
      for (const spelled of spellings('/admin/bulk/preview'))
        expect((await client.post(spelled, form)).status, spelled).to.equal(own.status);
    });
  });
}
