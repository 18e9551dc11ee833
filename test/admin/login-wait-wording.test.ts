import { expect } from 'chai';
import { ACCOUNT_FREE_FAILURES } from '../../src/limits/login-throttle.js';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { ALICE, AdminClient, csrfOf } from './support.js';

/** The wait a refused login names, in words that match its Retry-After. */
function expectedWait(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

for (const engine of testEngines()) {
  describe(`console login: the throttle's wait in words (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService | undefined;
    afterEach(() => svc?.stop());

    it('says the wait as Retry-After does: seconds under a minute, no "minute(s)"', async () => {
      svc = await startTestService(engine, { adminUsers: [ALICE] });
      const client = new AdminClient(svc.base);
      const attempt = async (i: number) => {
        const token = csrfOf((await client.get('/admin/login')).body);
        const res = await fetch(`${svc!.base}/admin/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            cookie: client.cookieHeader,
          },
          body: new URLSearchParams({ _csrf: token, name: 'alice', password: `wrong ${i}` }),
        });
        return {
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: await res.text(),
        };
      };
      for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++)
        expect((await attempt(i)).status).to.equal(401);
      // The account's backoff now: attempts within its first second are refused.
      const refused: Array<Awaited<ReturnType<typeof attempt>>> = [];
      for (let i = 0; i < 3; i++) {
        const a = await attempt(100 + i);
        if (a.status === 429 && a.body.includes('Too many failed logins')) refused.push(a);
      }
      expect(refused.length).to.be.greaterThan(0);
      for (const r of refused) {
        expect(r.body).to.not.include('(s)');
        expect(r.body).to.include(
          `Too many failed logins. Try again in ${expectedWait(Number(r.retryAfter))}.`,
        );
      }
    });
  });
}
