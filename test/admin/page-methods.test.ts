import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { exchangeUntilClosed, headersOf } from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';
import { ALICE, AdminClient } from './support.js';

// Which methods a page answers touches no storage: one engine is enough.
const engine = testEngines()[0]!;

/** A console path and the methods its routes answer. */
const PAGES: Array<[string, string]> = [
  ['/admin/', 'GET, HEAD, OPTIONS'],
  ['/admin/login', 'GET, HEAD, POST, OPTIONS'],
  ['/admin/logout', 'POST, OPTIONS'],
  ['/admin/people/1', 'GET, HEAD, OPTIONS'],
  ['/admin/address/status', 'POST, OPTIONS'],
  ['/admin/suppressions/import', 'POST, OPTIONS'],
  ['/admin/admin.css', 'GET, HEAD, OPTIONS'],
];

/**
 * OPTIONS, PUT, DELETE, TRACE… on a console page. Before: a page asked so with a session got
 * the 404 "No such page." (the page was there), and without one 401 "Log in first.", the login
 * form's own path included; neither said which methods the page answers.
 */
describe('operator console: the methods a page answers', function () {
  this.timeout(60000);
  let svc: TestService;
  let client: AdminClient;
  before(async () => {
    svc = await startTestService(engine, { adminUsers: [ALICE] });
    client = new AdminClient(svc.base);
    await client.logIn();
  });
  after(() => svc?.stop());

  const ask = (method: string, path: string, cookies: boolean, body?: string) =>
    fetch(`${svc.base}${path}`, {
      method,
      body,
      headers: {
        ...(cookies ? { Cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      },
      redirect: 'manual',
    });

  it('tells OPTIONS what each page allows, with a session or without', async () => {
    for (const cookies of [true, false])
      for (const [path, allow] of PAGES) {
        const what = `${path} (${cookies ? 'a session' : 'none'})`;
        const r = await ask('OPTIONS', path, cookies);
        expect(r.status, what).to.equal(200);
        expect(r.headers.get('allow'), what).to.equal(allow);
        expect(r.headers.get('content-type'), what).to.equal('text/plain; charset=utf-8');
        expect(r.headers.get('cache-control'), what).to.equal('no-store');
        expect(r.headers.get('x-frame-options'), what).to.equal('DENY');
        expect(await r.text(), what).to.equal(`${allow}\n`);
      }
  });

  it('refuses any other method 405 with the same Allow, on the console’s error page', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH', 'PROPFIND'])
      for (const [path, allow] of PAGES) {
        const what = `${method} ${path}`;
        const body = `_csrf=${client.csrf}&email=a@example.com`;
        const r = await ask(method, path, true, body);
        expect(r.status, what).to.equal(405);
        expect(r.headers.get('allow'), what).to.equal(allow);
        expect(r.headers.get('content-security-policy'), what).to.contain("frame-ancestors 'none'");
        const page = await r.text();
        expect(page, what).to.contain('<title>Not served · durable-unsubscribe</title>');
        expect(page, what).to.contain(`${method} is not served here: this page answers ${allow}.`);
      }
    // TRACE, which fetch refuses to send, as written.
    const trace = await exchangeUntilClosed(
      svc.running.port,
      'TRACE /admin/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(trace).to.match(/^HTTP\/1\.1 405 /);
    expect(headersOf(trace).get('allow')).to.equal('GET, HEAD, POST, OPTIONS');
    // None of them logged out (DELETE /admin/logout) or changed anything.
    expect((await client.get('/admin/')).status).to.equal(200);
    expect(await svc.running.services.durableStatus.explain('a@example.com')).to.deep.include({
      history: [],
    });
    // A path no route answers is as before: the login for a visitor, a 404 with a session.
    expect((await ask('PUT', '/admin/nowhere', false)).status).to.equal(401);
    expect((await ask('PUT', '/admin/nowhere', true)).status).to.equal(404);
  });
});
