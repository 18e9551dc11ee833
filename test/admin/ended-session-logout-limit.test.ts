import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  getLeadByEmailXml,
  rawCall,
  startTestService,
  type TestService,
} from '../support/service.js';
import { ALICE, AdminClient } from './support.js';

const LIMIT = 2;

/**
 * Logging out of a session that has ended (expired, logged out in another tab) sends the
 * cookie the service gave: it guesses nothing, and was counted as a refused authentication
 * all the same, so an operator closing a few stale tabs was then refused the console and the
 * SOAP endpoint (AUTH_FAILURE_LIMIT is one budget per address).
 */
for (const engine of testEngines()) {
  describe(`operator console: Log out of an ended session (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;

    beforeEach(async () => {
      svc = await startTestService(engine, {
        adminUsers: [ALICE],
        authFailureLimit: LIMIT,
        authFailureWindowSeconds: 60,
      });
    });
    afterEach(() => svc.stop());

    it('does not count against the refused-authentication limit', async () => {
      const client = new AdminClient(svc.base);
      expect((await client.logIn()).status).to.equal(303);
      const tabs = Array.from({ length: LIMIT + 2 }, () => {
        const tab = new AdminClient(svc.base);
        for (const [k, v] of client.cookies) tab.cookies.set(k, v);
        return tab;
      });
      expect((await client.post('/admin/logout', { _csrf: client.csrf })).status).to.equal(303);
      for (const tab of tabs) {
        const out = await tab.post('/admin/logout', { _csrf: client.csrf });
        expect(out.status, out.body).to.equal(303);
        expect(out.location).to.equal('/admin/login?out=1');
      }
      // The address may still log in, and call the SOAP endpoint.
      const again = new AdminClient(svc.base);
      expect((await again.logIn()).status).to.equal(303);
      expect((await again.get('/admin/')).status).to.equal(200);
      const soap = await rawCall(svc.url, getLeadByEmailXml('nobody@example.com'));
      expect(soap.status).to.not.equal(429);
    });
  });
}
