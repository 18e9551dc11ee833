import { expect } from 'chai';
import sinon from 'sinon';
import { CallLimits, type Release } from '../../src/limits/call-limits.js';
import {
  BORROW_TIMEOUT_MS,
  LendingCallLimits,
  LoanBroker,
  answerLoan,
  type LoanMessage,
} from '../../src/cluster/concurrency-loans.js';
import { ErrorCode, isAppError } from '../../src/errors.js';

const noRate = () => new CallLimits({ rateLimitCalls: 0, rateWindowMs: 1000, concurrencyLimit: 0 });

/**
 * A primary and its workers wired by fake channels: messages are delivered when `deliver()` runs
 * (or at once with `instant`), and a worker marked dead neither receives nor sends.
 */
function instance(limit: number, workers: number, options: { rateLimitCalls?: number } = {}) {
  const queue: Array<() => void> = [];
  const dead = new Set<number>();
  let instant = true;
  const post = (run: () => void) => (instant ? run() : queue.push(run));
  const ids = Array.from({ length: workers }, (_, i) => i + 1);
  const limiters = new Map<number, LendingCallLimits>();
  const broker = new LoanBroker(
    (id, message) => {
      if (dead.has(id)) return false;
      post(() => {
        if (!dead.has(id)) answerLoan([limiters.get(id)!], message, sendFrom(id));
      });
      return true;
    },
    () => ids.filter((id) => !dead.has(id)),
  );
  const sent: Array<[number, LoanMessage]> = [];
  const sendFrom = (id: number) => (message: LoanMessage) => {
    sent.push([id, message]);
    post(() => {
      if (!dead.has(id)) broker.receive(id, message);
    });
  };
  for (const id of ids) {
    const rate = options.rateLimitCalls
      ? new CallLimits({
          rateLimitCalls: options.rateLimitCalls,
          rateWindowMs: 60000,
          concurrencyLimit: 0,
        })
      : noRate();
    limiters.set(
      id,
      new LendingCallLimits(
        { scope: 'soap', limit, share: Math.ceil(limit / workers), rate },
        sendFrom(id),
      ),
    );
  }
  return {
    broker,
    sent,
    worker: (id: number) => limiters.get(id)!,
    queued: (yes: boolean) => (instant = !yes),
    deliver: () => {
      while (queue.length > 0) queue.shift()!();
    },
    drop: () => queue.splice(0),
    kill: (id: number) => {
      dead.add(id);
      broker.exited(id);
    },
  };
}

/** The admission's outcome: 'now' (synchronous), 'waited' (asked for a slot, and admitted) or the fault code. */
async function admit(limits: LendingCallLimits, user: string, held: Release[]): Promise<string> {
  try {
    const admitted = limits.admit(user);
    if (typeof admitted === 'function') {
      held.push(admitted);
      return 'now';
    }
    held.push(await admitted);
    return 'waited';
  } catch (e) {
    if (isAppError(e)) return String(e.code);
    throw e;
  }
}

const REFUSED = String(ErrorCode.CONCURRENCY_LIMIT_EXCEEDED);
const RATE = String(ErrorCode.RATE_LIMIT_EXCEEDED);

describe('concurrency loans (a set limit kept for the instance by lending slots between workers)', () => {
  it('admits the limit however the calls are spread, and refuses only the call beyond it', async () => {
    const { worker, broker } = instance(6, 2);
    const held: Release[] = [];
    const outcomes = [];
    // 5 of the 6 calls on worker 1 (its share is 3): two slots borrowed from worker 2.
    for (let i = 0; i < 5; i++) outcomes.push(await admit(worker(1), 'alice', held));
    outcomes.push(await admit(worker(2), 'alice', held));
    expect(outcomes).to.deep.equal(['now', 'now', 'now', 'waited', 'waited', 'now']);
    expect(broker.outstanding()).to.deep.equal({ loans: 2, asking: 0 });
    // The limit is in flight: one more is refused on either worker.
    expect(await admit(worker(2), 'alice', held)).to.equal(REFUSED);
    expect(await admit(worker(1), 'alice', held)).to.equal(REFUSED);
    // Another user has a limit of their own.
    expect(await admit(worker(2), 'bob', [])).to.equal('now');
    // A borrowed call ends: its slot goes back to worker 2, whose own calls may use it.
    held[3]!();
    held[3]!(); // a second release does nothing
    expect(broker.outstanding().loans).to.equal(1);
    expect(await admit(worker(2), 'alice', held)).to.equal('now');
    expect(await admit(worker(2), 'alice', held)).to.equal(REFUSED);
    for (const release of held) release();
    expect(broker.outstanding()).to.deep.equal({ loans: 0, asking: 0 });
    const again = [];
    for (let i = 0; i < 3; i++) again.push(await admit(worker(2), 'alice', []));
    expect(again).to.deep.equal(['now', 'now', 'now']);
  });

  it('admits on its own share when a slot it lent came back while it asked for one', async () => {
    const { worker, queued, deliver } = instance(4, 2);
    const held: Release[] = [];
    for (let i = 0; i < 3; i++) await admit(worker(1), 'alice', held); // the 3rd lent by worker 2
    await admit(worker(2), 'alice', held);
    queued(true);
    held[2]!(); // the borrowed call ends: its slot is on its way back to worker 2 …
    const next = admit(worker(2), 'alice', held); // … when worker 2 asks for one (3 in flight)
    deliver();
    expect(await next).to.equal('waited');
  });

  it('asks the workers in turn for a slot, with three workers', async () => {
    const { worker } = instance(9, 3);
    const held: Release[] = [];
    const outcomes = [];
    for (let i = 0; i < 3; i++) await admit(worker(2), 'alice', held);
    for (let i = 0; i < 7; i++) outcomes.push(await admit(worker(1), 'alice', held));
    expect(outcomes).to.deep.equal(['now', 'now', 'now', 'waited', 'waited', 'waited', REFUSED]);
  });

  it('checks the rate limit first (20023), as a single process does', async () => {
    const { worker } = instance(2, 2, { rateLimitCalls: 1 });
    expect(await admit(worker(1), 'alice', [])).to.equal('now');
    expect(await admit(worker(1), 'alice', [])).to.equal(RATE);
  });

  it('refuses a call whose slot does not come in time, and gives back a slot granted late', async () => {
    const timers = sinon.useFakeTimers();
    try {
      const { worker, broker, queued, deliver, sent } = instance(2, 2);
      const held: Release[] = [];
      await admit(worker(1), 'alice', held);
      queued(true);
      const waiting = admit(worker(1), 'alice', held);
      await timers.tickAsync(BORROW_TIMEOUT_MS);
      expect(await waiting).to.equal(REFUSED);
      deliver(); // the borrow, the lend, the grant: too late, so returned at once
      expect(sent.map(([id, m]) => [id, m.du])).to.deep.equal([
        [1, 'borrow'],
        [2, 'lent'],
        [1, 'return'],
      ]);
      deliver();
      expect(broker.outstanding()).to.deep.equal({ loans: 0, asking: 0 });
      queued(false);
      expect(await admit(worker(2), 'alice', [])).to.equal('now');
    } finally {
      timers.restore();
    }
  });

  it("returns a dead borrower's slots to their lender, and forgets a dead lender's", async () => {
    const { worker, broker, kill } = instance(4, 2);
    const held: Release[] = [];
    for (let i = 0; i < 4; i++) await admit(worker(1), 'alice', held);
    expect(await admit(worker(2), 'alice', held)).to.equal(REFUSED);
    kill(1);
    expect(broker.outstanding()).to.deep.equal({ loans: 0, asking: 0 });
    expect(await admit(worker(2), 'alice', [])).to.equal('now');
    expect(await admit(worker(2), 'alice', [])).to.equal('now');

    const other = instance(4, 2);
    for (let i = 0; i < 3; i++) await admit(other.worker(1), 'alice', []);
    other.kill(2);
    expect(other.broker.outstanding().loans).to.equal(0);
    // No worker left to lend: refused at once.
    expect(await admit(other.worker(1), 'alice', [])).to.equal(REFUSED);
  });

  it('asks the next worker when the one asked dies before it answers', async () => {
    const { worker, queued, deliver, kill } = instance(6, 3);
    const held: Release[] = [];
    for (let i = 0; i < 2; i++) await admit(worker(1), 'alice', held);
    queued(true);
    const waiting = admit(worker(1), 'alice', held);
    deliver(); // the borrow reaches the primary, which asks worker 2
    kill(2); // … which dies before it answers: worker 3 is asked
    deliver();
    expect(await waiting).to.equal('waited');
  });
});
