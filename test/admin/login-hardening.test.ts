import { Writable } from 'node:stream';
import { expect } from 'chai';
import { ACCOUNT_FREE_FAILURES } from '../../src/limits/login-throttle.js';
import { createLogger } from '../../src/logger.js';
import { start, type Running } from '../../src/main.js';
import { testEngines } from '../support/database.js';
import { freshServiceConfig } from '../support/service.js';
import type { OperatorCredential } from '../../src/domain/operator.service.js';
import { ALICE, AdminClient, csrfOf } from './support.js';

const MAX_FAILURES = 10;
const PASSWORD_CHECKS = 2;
/**
 * An operator no test here fails a login for: the account backoff test leaves alice waiting
 * for seconds (more on a slow machine), so a test that then needs a login must not be alice.
 */
const CAROL: OperatorCredential = { name: 'carol', password: 'carol passes the burst' };

/** A login form's token and cookie, fetched by a client that then posts from `forwardedFor`. */
async function loginAttempt(
  base: string,
  forwardedFor: string,
  name: string,
  password: string,
): Promise<number> {
  const client = new AdminClient(base, { 'X-Forwarded-For': forwardedFor });
  const token = csrfOf((await client.get('/admin/login')).body);
  return (await client.post('/admin/login', { _csrf: token, name, password, next: '/admin/' }))
    .status;
}

for (const engine of testEngines()) {
  describe(`admin login hardening (${engine.name})`, function () {
    this.timeout(120000);
    let running: Running;
    let base: string;
    let drop: () => Promise<void>;
    const lines: string[] = [];

    before(async () => {
      const made = await engine.create();
      await made.db.close();
      drop = made.drop;
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          done();
        },
      });
      const config = freshServiceConfig(
        made,
        {
          // The test talks to the service directly, as the one proxy in front would.
          TRUST_PROXY: '1',
          ADMIN_LOGIN_MAX_FAILURES: String(MAX_FAILURES),
          ADMIN_LOGIN_CONCURRENCY: String(PASSWORD_CHECKS),
        },
        { adminUsers: [ALICE, CAROL] },
      );
      running = await start(config, createLogger('info', sink));
      base = `http://127.0.0.1:${running.port}`;
    });
    after(async () => {
      await running.close();
      await drop();
    });

    it('checks at most the limit of 60 parallel wrong passwords from one address', async () => {
      const statuses = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          loginAttempt(base, '198.51.100.1', `someone${i}`, `wrong password ${i}`),
        ),
      );
      const checked = statuses.filter((s) => s === 401).length;
      expect(checked).to.be.at.least(1).and.at.most(MAX_FAILURES);
      expect(statuses.filter((s) => s === 429)).to.have.length(60 - checked);
    });

    it('backs off one account tried from many addresses at once', async () => {
      const began = Date.now();
      const statuses = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          loginAttempt(base, `203.0.113.${i + 1}`, ALICE.name, `wrong password ${i}`),
        ),
      );
      const seconds = (Date.now() - began) / 1000;
      const checked = statuses.filter((s) => s === 401).length;
      // The free failures, then one more each time the doubling wait (1 s, 2 s, 4 s…) ran out
      // while the requests were still arriving: a slow machine lets a few more through.
      const bound = ACCOUNT_FREE_FAILURES + Math.floor(Math.log2(seconds + 1));
      expect(checked).to.be.at.least(1).and.at.most(bound);
      expect(statuses.filter((s) => s === 429)).to.have.length(60 - checked);
    });

    it('counts failures by the address the proxy saw, whatever the client puts left of it', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        statuses.push(
          await loginAttempt(base, `10.66.${i}.1, 198.51.100.2`, `guess${i}`, 'wrong password'),
        );
      }
      expect(statuses.slice(0, MAX_FAILURES).every((s) => s === 401)).to.equal(true);
      expect(statuses.slice(MAX_FAILURES).every((s) => s === 429)).to.equal(true);
    });

    it('counts an IPv6 client by its /64: the addresses of one subscriber share one limit', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < MAX_FAILURES + 5; i++) {
        statuses.push(
          await loginAttempt(base, `2001:db8:77:1:${i.toString(16)}::1`, `v6guess${i}`, 'wrong'),
        );
      }
      expect(statuses.slice(0, MAX_FAILURES).every((s) => s === 401)).to.equal(true);
      expect(statuses.slice(MAX_FAILURES).every((s) => s === 429)).to.equal(true);
      // Another /64 is another client.
      expect(await loginAttempt(base, '2001:db8:77:2::1', 'v6other', 'wrong')).to.equal(401);
    });

    it('checks at most ADMIN_LOGIN_CONCURRENCY passwords at once, whatever the addresses', async () => {
      // Each from an address and with a name of its own: no throttle holds any of them back.
      const burst = 30;
      const clients = Array.from(
        { length: burst },
        (_, i) => new AdminClient(base, { 'X-Forwarded-For': `192.0.2.${i + 1}` }),
      );
      const tokens = await Promise.all(
        clients.map(async (c) => csrfOf((await c.get('/admin/login')).body)),
      );
      const checksBefore = lines.filter((l) => l.includes('"admin login failed"')).length;
      const replies = await Promise.all(
        clients.map((c, i) =>
          c.post('/admin/login', {
            _csrf: tokens[i]!,
            name: `not an operator ${i}`,
            password: `wrong password ${i}`,
            next: '/admin/',
          }),
        ),
      );
      const checked = replies.filter((r) => r.status === 401).length;
      const refused = replies.filter((r) => r.status === 429);
      // Before: all 30 were checked, 30 scrypts queued on a 4-thread pool.
      expect(checked)
        .to.be.at.least(1)
        .and.below(burst / 2);
      expect(refused).to.have.length(burst - checked);
      expect(refused.every((r) => r.body.includes('Try again'))).to.equal(true);
      const checksAfter = lines.filter((l) => l.includes('"admin login failed"')).length;
      expect(checksAfter - checksBefore, 'passwords checked').to.equal(checked);
      // The burst over, an operator logs in, from an address the burst did not use.
      const operator = new AdminClient(base, { 'X-Forwarded-For': '192.0.2.200' });
      expect((await operator.logIn(CAROL)).status).to.equal(303);
    });

    it('logs a failed login name only when it could be an operator name', async () => {
      const typedPassword = 'my secret passphrase!';
      expect(await loginAttempt(base, '198.51.100.3', typedPassword, 'x')).to.equal(401);
      expect(await loginAttempt(base, '198.51.100.3', 'bob', 'wrong password')).to.equal(401);
      const failed = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === 'admin login failed' && l.client === '198.51.100.3');
      expect(failed).to.have.length(2);
      expect(failed[0]).to.not.have.property('operator');
      expect(failed[1]).to.include({ operator: 'bob' });
      expect(lines.join('\n')).to.not.contain('my secret passphrase');
    });

    it('does not give an address back the failures it spent on other names when it logs in to an account of its own', async () => {
      // An operator (or anyone holding one password) guessing the others' passwords: its own
      // login between the guesses must take back that one attempt, not the whole count.
      const from = '198.51.100.9';
      for (let i = 0; i < MAX_FAILURES - 1; i++)
        expect(await loginAttempt(base, from, `sprayed${i}`, 'wrong password')).to.equal(401);
      expect(await loginAttempt(base, from, CAROL.name, CAROL.password)).to.equal(303);
      expect(await loginAttempt(base, from, 'sprayed-last', 'wrong password')).to.equal(401);
      expect(await loginAttempt(base, from, 'sprayed-more', 'wrong password')).to.equal(429);
    });
  });
}
