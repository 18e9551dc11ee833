import { expect } from 'chai';
import { ErrorCode } from '../../src/errors.js';
import { CallLimits } from '../../src/limits/call-limits.js';
import { FixedWindows } from '../../src/limits/fixed-windows.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('CallLimits', () => {
  it('admits rateLimitCalls per window per user, then 20023 until the window turns', () => {
    let now = 0;
    const limits = new CallLimits({
      rateLimitCalls: 2,
      rateWindowMs: 1000,
      concurrencyLimit: 0,
      now: () => now,
    });
    limits.admit('a')();
    limits.admit('a')();
    expect(codeOf(() => limits.admit('a'))).to.equal(ErrorCode.RATE_LIMIT_EXCEEDED);
    expect(codeOf(() => limits.admit('b'))).to.equal(undefined);
    now = 1000;
    expect(codeOf(() => limits.admit('a'))).to.equal(undefined);
  });

  it('admits concurrencyLimit calls in flight per user, and one more once one ends', () => {
    const limits = new CallLimits({ rateLimitCalls: 0, rateWindowMs: 1000, concurrencyLimit: 2 });
    const r1 = limits.admit('a');
    limits.admit('a');
    expect(codeOf(() => limits.admit('a'))).to.equal(ErrorCode.CONCURRENCY_LIMIT_EXCEEDED);
    r1();
    r1(); // releasing twice must not free a second slot
    expect(codeOf(() => limits.admit('a'))).to.equal(undefined);
    expect(codeOf(() => limits.admit('a'))).to.equal(ErrorCode.CONCURRENCY_LIMIT_EXCEEDED);
  });

  // The /u/ rate limit is kept per client address (IPv6: per /64): a client holding a /48 has
  // 65,536 of them, each a key of its own. Past 10,000 keys in one window, every new one walked
  // all the others (quadratic: 60,000 addresses in a minute cost the main thread seconds).
  it('a flood from many client addresses costs each request the same, however many are remembered', () => {
    const requestsPastFull = (remembered: number): number => {
      const limits = new CallLimits({
        rateLimitCalls: 1,
        rateWindowMs: 60000,
        concurrencyLimit: 0,
        now: () => 0,
        maxKeys: remembered,
      });
      for (let i = 0; i < remembered; i++) limits.admit(`a${i}`);
      // CPU time, not wall time: another process taking the core does not count.
      const started = process.cpuUsage();
      for (let i = 0; i < 20000; i++) limits.admit(`b${i}`);
      const spent = process.cpuUsage(started);
      // The newest address is limited all the same.
      expect(codeOf(() => limits.admit('b19999'))).to.equal(ErrorCode.RATE_LIMIT_EXCEEDED);
      return spent.user + spent.system;
    };
    requestsPastFull(1000); // warm-up
    // The best of several runs each, the two sizes taking turns: a garbage collection in one
    // run is not the limiter's cost, and a burst of load elsewhere lands on both sizes alike.
    const small: number[] = [];
    const large: number[] = [];
    for (let round = 0; round < 5; round++) {
      small.push(requestsPastFull(1000));
      large.push(requestsPastFull(128000));
    }
    const ratio = Math.min(...large) / Math.min(...small);
    // As for the authentication failures' limiter (auth-failures.test.ts): a walk over the
    // table per request costs about 128 times as much (118× measured with it reintroduced), a
    // constant-time step 14–15× with both cores taken by other work: the bound sits near the
    // geometric middle, some 3× from each.
    expect(ratio, `${Math.min(...small)} µs vs ${Math.min(...large)} µs of CPU`).to.be.below(40);
  });

  it('remembers at most maxKeys client addresses within a window, the oldest forgotten first', () => {
    const limits = new CallLimits({
      rateLimitCalls: 1,
      rateWindowMs: 60000,
      concurrencyLimit: 0,
      now: () => 0,
      maxKeys: 100,
    });
    for (let i = 0; i < 150; i++) limits.admit(`a${i}`);
    // The 100 newest are still counted; the 50 oldest start a window of their own again.
    expect(codeOf(() => limits.admit('a149'))).to.equal(ErrorCode.RATE_LIMIT_EXCEEDED);
    expect(codeOf(() => limits.admit('a50'))).to.equal(ErrorCode.RATE_LIMIT_EXCEEDED);
    expect(codeOf(() => limits.admit('a0'))).to.equal(undefined);
  });

  it('limits nothing when both are 0', () => {
    const limits = new CallLimits({ rateLimitCalls: 0, rateWindowMs: 1000, concurrencyLimit: 0 });
    for (let i = 0; i < 1000; i++) limits.admit('a');
  });
});

describe('CallLimits with many clients in one window', () => {
  it('still refuses a client past its rate while fewer than the most remembered came after it', () => {
    let now = 0;
    const limits = new CallLimits({
      rateLimitCalls: 2,
      rateWindowMs: 60000,
      concurrencyLimit: 0,
      now: () => now,
    });
    limits.admit('spent');
    limits.admit('spent');
    for (let i = 0; i < 50000; i++) limits.admit(`other-${i}`);
    now = 59999;
    expect(codeOf(() => limits.admit('spent'))).to.equal(ErrorCode.RATE_LIMIT_EXCEEDED);
    now = 60000;
    expect(codeOf(() => limits.admit('spent'))).to.equal(undefined);
  });
});

describe('FixedWindows', () => {
  it('forgets ended windows first, then the oldest past the most it remembers', () => {
    const windows = new FixedWindows(1000, 3);
    windows.current('a', 0).count = 5;
    windows.current('b', 500).count = 5;
    windows.current('c', 600).count = 5;
    // a's window has ended: it goes, b and c stay.
    windows.current('d', 1000).count = 5;
    expect(windows.current('b', 1001).count).to.equal(5);
    expect(windows.current('c', 1002).count).to.equal(5);
    // A fourth window in force: the oldest one (b) is forgotten, c and d kept.
    windows.current('e', 1003).count = 5;
    expect(windows.current('c', 1004).count).to.equal(5);
    expect(windows.current('d', 1005).count).to.equal(5);
    expect(windows.current('b', 1006).count).to.equal(0);
  });
});
