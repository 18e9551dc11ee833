import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { testEngines } from '../support/database.js';
import { startLinkService, type LinkService } from '../one-click/support.js';
import { ALICE, AdminClient } from './support.js';

const web = ChangePaths.webService();

interface Asked {
  what: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sent with the logged-in operator's cookies. */
  session?: boolean;
}

/**
 * No answer of the console or of an unsubscribe link may show inside another site's frame
 * (clickjacking: a framed login form, a framed confirmation button), be kept by a cache (they
 * hold addresses and people), or carry its URL to another site: whatever its status, and
 * however its path is spelled. Asserted on the answers themselves, not on a browser's timing.
 */
for (const engine of testEngines()) {
  describe(`console and link answers: never framed, cached or referred (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    let alice: AdminClient;
    let person: number;

    before(async () => {
      svc = await startLinkService(engine, { adminUsers: [ALICE] });
      person = (await svc.services.leads.sync({ email: 'fay@example.com' }, { path: web })).leadId;
      alice = new AdminClient(svc.base);
      expect((await alice.logIn()).status).to.equal(303);
    });
    after(() => svc?.stop());

    const ask = async ({ method = 'GET', path, headers = {}, body, session }: Asked) => {
      const sent = { ...headers, ...(session ? { Cookie: alice.cookieHeader } : {}) };
      return fetch(svc.base + path, { method, headers: sent, body, redirect: 'manual' });
    };

    it('every console answer, page or refusal, in any spelling of its path', async () => {
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
      const asked: Asked[] = [
        { what: 'login form', path: '/admin/login' },
        {
          what: 'login refused',
          method: 'POST',
          path: '/admin/login',
          headers: form,
          body: 'name=x',
        },
        { what: 'no session', path: '/admin/' },
        { what: 'search', path: '/admin/?q=fay', session: true },
        { what: 'person', path: `/admin/people/${person}`, session: true },
        { what: 'address', path: '/admin/address?email=fay%40example.com', session: true },
        { what: 'suppressions', path: '/admin/suppressions', session: true },
        { what: 'export', path: '/admin/suppressions/export.csv', session: true },
        { what: 'bulk', path: '/admin/bulk', session: true },
        { what: 'upper case', path: `/admin/PEOPLE/${person}`, session: true },
        { what: 'trailing slash', path: `/admin/people/${person}/`, session: true },
        { what: 'encoded', path: `/admin/%70eople/${person}`, session: true },
        { what: 'broken escape', path: '/admin/people/%ZZ', session: true },
        { what: 'not found', path: '/admin/nothing', session: true },
        { what: 'no job', path: '/admin/bulk/jobs/999999', session: true },
        { what: '401', method: 'POST', path: '/admin/address/status', headers: form, body: 'a=1' },
        {
          what: '403',
          method: 'POST',
          path: '/admin/address/status',
          headers: form,
          body: 'a=1',
          session: true,
        },
        { what: '405', method: 'PUT', path: '/admin/', session: true },
        { what: 'OPTIONS', method: 'OPTIONS', path: '/admin/' },
        {
          what: '415',
          method: 'POST',
          path: '/admin/address/status',
          headers: { ...form, 'Content-Encoding': 'gzip' },
          body: gzipSync('a=1'),
          session: true,
        },
        {
          what: '413',
          method: 'POST',
          path: '/admin/address/status',
          headers: form,
          body: 'a='.padEnd(64 * 1024, 'x'),
          session: true,
        },
      ];
      for (const request of asked) {
        const res = await ask(request);
        await res.arrayBuffer();
        const where = `${request.what}: ${request.method ?? 'GET'} ${request.path} → ${res.status}`;
        expect(res.headers.get('x-frame-options'), where).to.equal('DENY');
        expect(res.headers.get('content-security-policy'), where).to.include(
          "frame-ancestors 'none'",
        );
        expect(res.headers.get('cache-control'), where).to.equal('no-store');
        expect(res.headers.get('referrer-policy'), where).to.be.oneOf([
          'same-origin',
          'no-referrer',
        ]);
      }
    });

    it('every unsubscribe link answer: its page, its confirmation, a bad link', async () => {
      const url = svc.linkUrl('fay@example.com').slice(svc.base.length);
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
      const asked: Asked[] = [
        { what: 'page', path: url },
        {
          what: 'done',
          method: 'POST',
          path: url,
          headers: form,
          body: 'List-Unsubscribe=One-Click&via=page',
        },
        { what: 'bad link', path: '/u/not-a-token' },
        { what: 'bad post', method: 'POST', path: '/u/not-a-token', headers: form, body: 'x=1' },
        { what: 'upper case', path: url.replace('/u/', '/U/') },
        { what: 'trailing slash', path: `${url}/` },
        { what: 'PUT', method: 'PUT', path: url },
      ];
      for (const request of asked) {
        const res = await ask(request);
        await res.arrayBuffer();
        const where = `${request.what}: ${request.method ?? 'GET'} ${request.path} → ${res.status}`;
        expect(res.headers.get('x-frame-options'), where).to.equal('DENY');
        expect(res.headers.get('cache-control'), where).to.equal('no-store');
        expect(res.headers.get('referrer-policy'), where).to.equal('no-referrer');
        const type = res.headers.get('content-type') ?? '';
        if (type.startsWith('text/html'))
          expect(res.headers.get('content-security-policy'), where).to.include(
            "frame-ancestors 'none'",
          );
      }
    });
  });
}
