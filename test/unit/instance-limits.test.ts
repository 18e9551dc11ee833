import { expect } from 'chai';
import sinon from 'sinon';
import { InstanceLimits } from '../../src/cluster/primary-limits.js';
import {
  REPORT_EVERY_MS,
  SharedAuthFailureLimiter,
  SharedCallLimits,
  SharedLoginThrottle,
  type LimitMessage,
} from '../../src/cluster/instance-limits.js';
import { ErrorCode, isAppError } from '../../src/errors.js';

describe('instance limits (the counters a primary holds for its workers)', () => {
  let now = 1_000_000;
  const clock = () => now;
  const rates = {
    soap: { rateLimitCalls: 5, rateWindowMs: 10000, concurrencyLimit: 0, now: clock },
    link: { rateLimitCalls: 2, rateWindowMs: 60000, concurrencyLimit: 0, now: clock },
    'link-page': { rateLimitCalls: 3, rateWindowMs: 60000, concurrencyLimit: 0, now: clock },
    'link-token': { rateLimitCalls: 4, rateWindowMs: 60000, concurrencyLimit: 0, now: clock },
  };
  let sent: LimitMessage[];
  let limits: InstanceLimits;
  beforeEach(() => {
    now = 1_000_000;
    sent = [];
    limits = new InstanceLimits(
      {
        auth: { limit: 3, windowMs: 60000, now: clock },
        rates,
        logins: { maxFailures: 2, windowMs: 60000, now: clock },
      },
      (m) => sent.push(m),
    );
  });

  it('blocks an address once the failures reported by all workers reach the limit', () => {
    limits.receive({ du: 'auth-failure', address: '198.51.100.7' });
    limits.receive({ du: 'auth-failure', address: '198.51.100.7' });
    expect(sent).to.deep.equal([]);
    limits.receive({ du: 'auth-failure', address: '198.51.100.7' });
    expect(sent).to.deep.equal([
      { du: 'blocked', limit: 'auth', key: '198.51.100.7', until: now + 60000 },
    ]);
    expect(limits.current()).to.deep.equal(sent);
    now += 60001;
    expect(limits.current()).to.deep.equal([]);
  });

  it('sums batched call counts per scope, each with its own window and limit', () => {
    limits.receive({ du: 'calls', scope: 'soap', counts: [['alice', 3]] });
    limits.receive({ du: 'calls', scope: 'link', counts: [['alice', 1]] });
    expect(sent).to.deep.equal([]);
    limits.receive({ du: 'calls', scope: 'soap', counts: [['alice', 2]] });
    expect(sent).to.deep.equal([
      { du: 'blocked', limit: 'soap', key: 'alice', until: now + 10000 },
    ]);
    now += 10000; // a new window
    sent = [];
    limits.receive({ du: 'calls', scope: 'soap', counts: [['alice', 4]] });
    expect(sent).to.deep.equal([]);
  });

  it('counts reads of the /u/ page apart from the POSTs to it: reads never block a POST', () => {
    limits.receive({ du: 'calls', scope: 'link-page', counts: [['203.0.113.9', 3]] });
    expect(sent).to.deep.equal([
      { du: 'blocked', limit: 'link-page', key: '203.0.113.9', until: now + 60000 },
    ]);
    sent = [];
    limits.receive({ du: 'calls', scope: 'link', counts: [['203.0.113.9', 1]] });
    expect(sent).to.deep.equal([]);
    limits.receive({ du: 'calls', scope: 'link', counts: [['203.0.113.9', 1]] });
    expect(sent).to.deep.equal([
      { du: 'blocked', limit: 'link', key: '203.0.113.9', until: now + 60000 },
    ]);
  });

  it("counts each link's unsubscribes for the instance, apart from its client addresses", () => {
    limits.receive({ du: 'calls', scope: 'link-token', counts: [['26342334f32d41a9', 3]] });
    limits.receive({ du: 'calls', scope: 'link-token', counts: [['0123456789abcdef', 3]] });
    expect(sent).to.deep.equal([]);
    limits.receive({ du: 'calls', scope: 'link-token', counts: [['26342334f32d41a9', 1]] });
    expect(sent).to.deep.equal([
      { du: 'blocked', limit: 'link-token', key: '26342334f32d41a9', until: now + 60000 },
    ]);
  });

  it('counts /admin login attempts, forgives a success, and blocks the client past the limit', () => {
    limits.receive({ du: 'login', client: '203.0.113.1', account: null, ok: false });
    limits.receive({ du: 'login', client: '203.0.113.1', account: null, ok: true });
    limits.receive({ du: 'login', client: '203.0.113.1', account: null, ok: false });
    expect(sent).to.deep.equal([]);
    limits.receive({ du: 'login', client: '203.0.113.1', account: null, ok: false });
    expect(sent.map((m) => m.du === 'blocked' && [m.limit, m.key])).to.deep.equal([
      ['login-client', '203.0.113.1'],
    ]);
  });
});

describe('instance limits: the addresses an operator logged in from', () => {
  it('tells every worker of an operator login that succeeded, through whichever worker', () => {
    const sent: LimitMessage[] = [];
    const limits = new InstanceLimits(
      {
        auth: { limit: 3, windowMs: 60000 },
        rates: {
          soap: { rateLimitCalls: 0, rateWindowMs: 1000, concurrencyLimit: 0 },
          link: { rateLimitCalls: 0, rateWindowMs: 1000, concurrencyLimit: 0 },
          'link-page': { rateLimitCalls: 0, rateWindowMs: 1000, concurrencyLimit: 0 },
          'link-token': { rateLimitCalls: 0, rateWindowMs: 1000, concurrencyLimit: 0 },
        },
        logins: { maxFailures: 10, windowMs: 60000 },
      },
      (m) => sent.push(m),
    );
    limits.receive({ du: 'login', client: '203.0.113.9', account: 'Alice', ok: true });
    limits.receive({ du: 'login', client: '203.0.113.10', account: null, ok: true });
    expect(sent).to.deep.equal([{ du: 'known', client: '203.0.113.9', account: 'Alice' }]);
  });

  it("a worker told of it holds that address apart from the account's wait, and no other", () => {
    const throttle = new SharedLoginThrottle({ maxFailures: 10, windowMs: 60000 }, () => {});
    throttle.block('login-account', 'alice', Date.now() + 4000);
    expect(throttle.admit('203.0.113.9', 'Alice')).to.be.within(3, 4);
    // What the worker does with the primary's 'known' message (another worker's login).
    throttle.rememberClient('203.0.113.9', 'Alice');
    expect(throttle.admit('203.0.113.9', 'Alice')).to.equal(0);
    expect(throttle.admit('203.0.113.10', 'Alice')).to.be.within(3, 4);
    expect(throttle.admit('203.0.113.9', 'Bob')).to.equal(0);
  });
});

describe('shared limiters (a worker: its own limit, plus the instance verdicts)', () => {
  it('the auth-failure limiter reports each failure and refuses a blocked address', () => {
    const reports: LimitMessage[] = [];
    const limiter = new SharedAuthFailureLimiter({ limit: 10, windowMs: 60000 }, (m) =>
      reports.push(m),
    );
    limiter.record('198.51.100.9');
    expect(reports).to.deep.equal([{ du: 'auth-failure', address: '198.51.100.9' }]);
    expect(limiter.retryAfterSeconds('198.51.100.9')).to.equal(0);
    expect(limiter.mayRefuse(), 'nobody blocked yet').to.equal(false);
    limiter.block('198.51.100.9', Date.now() + 30000);
    expect(limiter.mayRefuse(), "the instance's verdict").to.equal(true);
    expect(limiter.retryAfterSeconds('198.51.100.9')).to.be.within(29, 30);
    expect(limiter.retryAfterSeconds('198.51.100.10')).to.equal(0);
  });

  it('the call limits report admitted calls in one batch and refuse a blocked user (20023)', () => {
    const timers = sinon.useFakeTimers();
    try {
      const reports: LimitMessage[] = [];
      const limits = new SharedCallLimits(
        { rateLimitCalls: 100, rateWindowMs: 10000, concurrencyLimit: 0 },
        'soap',
        (m) => reports.push(m),
      );
      for (let i = 0; i < 3; i++) limits.admit('alice')();
      limits.admit('bob')();
      expect(reports).to.deep.equal([]);
      timers.tick(REPORT_EVERY_MS);
      expect(reports).to.deep.equal([
        {
          du: 'calls',
          scope: 'soap',
          counts: [
            ['alice', 3],
            ['bob', 1],
          ],
        },
      ]);
      limits.block('alice', Date.now() + 5000);
      expect(() => limits.admit('alice'))
        .to.throw()
        .that.satisfies((e: unknown) => isAppError(e) && e.code === ErrorCode.RATE_LIMIT_EXCEEDED);
      expect(() => limits.admit('bob')).to.not.throw();
    } finally {
      timers.restore();
    }
  });

  it('the login throttle refuses a blocked client or account, and reports what it admits', () => {
    const reports: LimitMessage[] = [];
    const throttle = new SharedLoginThrottle({ maxFailures: 10, windowMs: 60000 }, (m) =>
      reports.push(m),
    );
    expect(throttle.admit('203.0.113.5', 'Alice')).to.equal(0);
    expect(reports).to.deep.equal([
      { du: 'login', client: '203.0.113.5', account: 'Alice', ok: false },
    ]);
    throttle.block('login-account', 'alice', Date.now() + 4000);
    expect(throttle.admit('203.0.113.6', 'ALICE')).to.be.within(3, 4);
    throttle.block('login-client', '203.0.113.7', Date.now() + 2000);
    expect(throttle.admit('203.0.113.7', null)).to.be.within(1, 2);
    expect(reports).to.have.length(1);
  });
});
