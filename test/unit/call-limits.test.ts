import { expect } from 'chai';
import { ErrorCode } from '../../src/errors.js';
import { CallLimits, RateWindows } from '../../src/call-limits.js';

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

  it('limits nothing when both are 0', () => {
    const limits = new CallLimits({ rateLimitCalls: 0, rateWindowMs: 1000, concurrencyLimit: 0 });
    for (let i = 0; i < 1000; i++) limits.admit('a');
  });
});

describe('CallLimits with many clients in one window', () => {
  it('admits each new one at a cost that does not grow with those already counted', function () {
    this.timeout(120000);
    const limits = new CallLimits({
      rateLimitCalls: 5,
      rateWindowMs: 60000,
      concurrencyLimit: 0,
      now: () => 0,
    });
    const before = process.cpuUsage();
    for (let i = 0; i < 100000; i++) limits.admit(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    const cpu = process.cpuUsage(before);
    // Before: past 10,000 windows in force, each new client's window read every one of them
    // to find ended ones (none, in one window): some 5 billion steps for these 100,000
    // addresses, many seconds of CPU; one-click links are counted so per client address.
    expect((cpu.user + cpu.system) / 1000, 'ms of CPU').to.be.below(2000);
  });

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

describe('RateWindows', () => {
  it('forgets ended windows first, then the oldest past the most it remembers', () => {
    const windows = new RateWindows(1000, 3);
    windows.at('a', 0).count = 5;
    windows.at('b', 500).count = 5;
    windows.at('c', 600).count = 5;
    // a's window has ended: it goes, b and c stay.
    windows.at('d', 1000).count = 5;
    expect(windows.at('b', 1001).count).to.equal(5);
    expect(windows.at('c', 1002).count).to.equal(5);
    // A fourth window in force: the oldest one (b) is forgotten, c and d kept.
    windows.at('e', 1003).count = 5;
    expect(windows.at('c', 1004).count).to.equal(5);
    expect(windows.at('d', 1005).count).to.equal(5);
    expect(windows.at('b', 1006).count).to.equal(0);
  });
});
