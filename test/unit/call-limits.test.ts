import { expect } from 'chai';
import { ErrorCode } from '../../src/errors.js';
import { CallLimits } from '../../src/call-limits.js';

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
