import crypto from 'node:crypto';
import { expect } from 'chai';
import sinon from 'sinon';
import { OperatorService } from '../../src/domain/operator.service.js';
import { testEngines } from '../support/database.js';
import {
  getLeadByEmailXml,
  rawCall,
  startTestService,
  type TestService,
} from '../support/service.js';
import { ALICE, AdminClient } from './support.js';

/**
 * A session cookie is looked up in the database: a client sending made-up ones made the service
 * read the database once per request, unauthenticated and without bound (a flood of them took
 * the PostgreSQL pool from the SOAP calls). A cookie that opens no session is a refused
 * authentication, counted in the SOAP endpoint's budget per client address
 * (AUTH_FAILURE_LIMIT); past it, the address's requests carrying a session cookie are answered
 * 429 without a lookup until the window ends.
 */

const LIMIT = 3;
const madeUp = () => `du_admin_session=${crypto.randomBytes(32).toString('base64url')}`;
const GET_LEAD = getLeadByEmailXml('nobody@example.com');

for (const engine of testEngines()) {
  describe(`operator console: made-up session cookies (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;
    let lookups: sinon.SinonSpy;

    beforeEach(async () => {
      lookups = sinon.spy(OperatorService.prototype, 'session');
      svc = await startTestService(engine, {
        adminUsers: [ALICE],
        authFailureLimit: LIMIT,
        authFailureWindowSeconds: 60,
      });
    });
    afterEach(async () => {
      lookups.restore();
      await svc.stop();
    });

    const get = (path: string, cookie: string) =>
      fetch(svc.base + path, { headers: { Cookie: cookie }, redirect: 'manual' });

    it('answers 429 without a lookup once an address has sent AUTH_FAILURE_LIMIT of them', async () => {
      for (let i = 0; i < LIMIT; i++) {
        const res = await get('/admin/', madeUp());
        expect(res.status).to.equal(303);
        expect(res.headers.get('location')).to.match(/^\/admin\/login\?next=/);
      }
      expect(lookups.callCount).to.equal(LIMIT);

      const refused = await get('/admin/', madeUp());
      expect(refused.status).to.equal(429);
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
      expect(await refused.text()).to.include('Too many');
      const post = await fetch(`${svc.base}/admin/logout`, {
        method: 'POST',
        headers: { Cookie: madeUp(), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: '_csrf=x',
      });
      expect(post.status).to.equal(429);
      expect(lookups.callCount, 'no lookup past the limit').to.equal(LIMIT);

      // One budget with the SOAP endpoint's refused authentications.
      const soap = await rawCall(svc.url, GET_LEAD);
      expect(soap.status).to.equal(429);
    });

    it('counts a cookie the login page looks up in vain, and looks up none it was sent with as ended', async () => {
      // Sent by the gate (ended) or by Log out (out): known to be gone, neither read nor counted.
      for (let i = 0; i < LIMIT + 2; i++) {
        expect((await get('/admin/login?ended=1', madeUp())).status).to.equal(200);
        expect((await get('/admin/login?out=1', madeUp())).status).to.equal(200);
      }
      expect(lookups.callCount).to.equal(0);
      // Otherwise each one is a database read: a refusal, in the one budget.
      for (let i = 0; i < LIMIT; i++)
        expect((await get('/admin/login', madeUp())).status).to.equal(200);
      expect(lookups.callCount).to.equal(LIMIT);
      expect((await get('/admin/login', madeUp())).status).to.equal(200);
      expect(lookups.callCount, 'no lookup past the limit').to.equal(LIMIT);
      expect((await get('/admin/', madeUp())).status).to.equal(429);
    });

    it('keeps the login page, the stylesheet and requests without a cookie as they were', async () => {
      for (let i = 0; i <= LIMIT; i++) await get('/admin/', madeUp());
      expect((await get('/admin/login', madeUp())).status).to.equal(200);
      expect((await get('/admin/admin.css', madeUp())).status).to.equal(200);
      const bare = await fetch(`${svc.base}/admin/`, { redirect: 'manual' });
      expect(bare.status).to.equal(303);
    });

    it('counts nothing for a live session, nor for a stale cookie beside a login', async () => {
      const operator = new AdminClient(svc.base);
      expect((await operator.logIn()).status).to.equal(303);
      for (let i = 0; i < LIMIT + 2; i++)
        expect((await operator.get('/admin/')).status).to.equal(200);
      // A session that ended (logged out elsewhere): one refusal, then the login page.
      const stale = await get('/admin/', madeUp());
      expect(stale.status).to.equal(303);
      expect((await operator.get('/admin/')).status).to.equal(200);
    });
  });
}
