import { expect } from 'chai';
import { SharedLoginThrottle } from '../../src/cluster/instance-limits.js';
import { ACCOUNT_FREE_FAILURES, LoginThrottle } from '../../src/limits/login-throttle.js';
import { createLogger } from '../../src/logger.js';
import { start, type Running } from '../../src/main.js';
import { testEngines } from '../support/database.js';
import { freshServiceConfig } from '../support/service.js';
import { ALICE, AdminClient, csrfOf } from './support.js';

/** A login from `forwardedFor` (the one proxy in front sets it): its status. */
async function loginFrom(
  base: string,
  forwardedFor: string,
  password: string,
): Promise<{ status: number; body: string }> {
  const client = new AdminClient(base, { 'X-Forwarded-For': forwardedFor });
  const token = csrfOf((await client.get('/admin/login')).body);
  const reply = await client.post('/admin/login', {
    _csrf: token,
    name: ALICE.name,
    password,
    next: '/admin/',
  });
  return { status: reply.status, body: reply.body };
}

describe('LoginThrottle: an account held back by guesses', () => {
  it('still admits the addresses it logged in from, each within its own limit', () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 900_000, now: () => now });
    expect(throttle.admit('192.0.2.10', 'alice')).to.equal(0);
    throttle.succeed('192.0.2.10', 'alice');
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++)
      expect(throttle.admit(`203.0.113.${i}`, 'alice')).to.equal(0);
    // Every other address waits, whoever it is; the operator's own does not.
    expect(throttle.admit('198.51.100.7', 'alice')).to.be.above(0);
    expect(throttle.admit('192.0.2.10', 'alice')).to.equal(0);
    // Not another spelling of the name (operator names are case-sensitive), nor past the
    // address's own limit (a neighbour behind the same address guesses no faster).
    expect(throttle.admit('192.0.2.10', 'ALICE')).to.be.above(0);
    expect(throttle.admit('192.0.2.10', 'alice')).to.equal(0);
    expect(throttle.admit('192.0.2.10', 'alice')).to.equal(0);
    expect(throttle.admit('192.0.2.10', 'alice')).to.be.above(0);
    now += 900_001;
    expect(throttle.admit('192.0.2.10', 'alice')).to.equal(0);
  });
});

describe('SharedLoginThrottle: the instance holding an account back', () => {
  it('admits an address the account logged in from through this worker', () => {
    const now = 1_000_000;
    const throttle = new SharedLoginThrottle(
      { maxFailures: 10, windowMs: 900_000, now: () => now },
      () => undefined,
    );
    throttle.succeed('192.0.2.10', 'alice');
    throttle.block('login-account', 'alice', now + 60_000);
    expect(throttle.admit('198.51.100.7', 'alice')).to.equal(60);
    expect(throttle.admit('192.0.2.10', 'alice')).to.equal(0);
    // The address's own verdict still holds.
    throttle.block('login-client', '192.0.2.10', now + 30_000);
    expect(throttle.admit('192.0.2.10', 'alice')).to.equal(30);
  });
});

for (const engine of testEngines()) {
  describe(`admin login: guesses do not lock the operator out (${engine.name})`, function () {
    this.timeout(120000);
    let running: Running;
    let base: string;
    let drop: () => Promise<void>;

    before(async () => {
      const made = await engine.create();
      await made.db.close();
      drop = made.drop;
      const config = freshServiceConfig(made, { TRUST_PROXY: '1' }, { adminUsers: [ALICE] });
      running = await start(config, createLogger('silent'));
      base = `http://127.0.0.1:${running.port}`;
    });
    after(async () => {
      await running.close();
      await drop();
    });

    it('lets the operator in from an address it logged in from while guesses hold the name back', async () => {
      expect((await loginFrom(base, '192.0.2.10', ALICE.password)).status).to.equal(303);
      // Guesses from many addresses, one each: the name's wait begins (1 s, 2 s, 4 s… up to
      // 15 minutes, as long as the guessing goes on).
      for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++)
        expect((await loginFrom(base, `203.0.113.${i + 1}`, 'wrong password')).status).to.equal(
          401,
        );
      const refused = await loginFrom(base, '198.51.100.9', ALICE.password);
      expect(refused.status).to.equal(429);
      expect(refused.body).to.include('Too many failed logins');
      // Before: 429 here as well, for as long as someone kept guessing.
      expect((await loginFrom(base, '192.0.2.10', ALICE.password)).status).to.equal(303);
    });
  });
}
