import { AppError, ErrorCode } from '../errors.js';
import type { CallAdmission, Release } from '../limits/call-limits.js';

/**
 * A set concurrency limit for the instance, exact although its workers admit calls without asking
 * anyone. Each worker admits a user's calls synchronously up to its share (the limit over the
 * workers, rounded up); only a call beyond its share waits: the worker asks the primary to borrow
 * a slot, the primary asks the other workers in turn, and the first with unused share reserves a
 * slot of it (its own calls then see one slot fewer) until the borrowed call ends. A call is thus
 * refused only when every worker's share is used, that is with the limit in flight (or one slot
 * on its way back); the instance admits at most the sum of the shares, the limit + WORKERS − 1.
 */

/** Longest a call beyond its worker's share waits for a slot lent by another worker. */
export const BORROW_TIMEOUT_MS = 2000;

/** Messages between the workers and the primary about lent slots (`du` tells them from others). */
export type LoanMessage =
  // worker → primary: a call of `user` beyond this worker's share wants a slot.
  | { du: 'borrow'; scope: string; request: number; user: string }
  // primary → a worker: may it reserve a slot of its share for `user`?
  | { du: 'lend'; scope: string; loan: number; user: string }
  // worker → primary: its answer.
  | { du: 'lent'; loan: number; ok: boolean }
  // primary → the borrower: the slot (`loan`), or none anywhere (null).
  | { du: 'grant'; request: number; loan: number | null }
  // borrower → primary: the borrowed call ended.
  | { du: 'return'; loan: number }
  // primary → the lender: the slot is its own again.
  | { du: 'returned'; loan: number };

const LOAN_MESSAGES = new Set(['borrow', 'lend', 'lent', 'grant', 'return', 'returned']);

export function isLoanMessage(message: unknown): message is LoanMessage {
  const du = (message as { du?: unknown } | null)?.du;
  return typeof du === 'string' && LOAN_MESSAGES.has(du);
}

function refusal(limit: number): AppError {
  return new AppError(ErrorCode.CONCURRENCY_LIMIT_EXCEEDED, `More than ${limit} calls at once`);
}

function once(release: () => void): Release {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}

function add(counts: Map<string, number>, key: string, n: number): void {
  const value = (counts.get(key) ?? 0) + n;
  if (value <= 0) counts.delete(key);
  else counts.set(key, value);
}

// Unique in the process, so that a grant finds the limiter that asked.
let lastRequest = 0;

/**
 * A worker's per-user calls in flight: its share admitted at once, beyond it a slot borrowed
 * through the primary (asynchronous admission). `rate` checks the rate limit first.
 */
export class LendingCallLimits implements CallAdmission {
  // Calls admitted on this worker's own share, per user.
  private readonly local = new Map<string, number>();
  // Slots of this worker's share reserved for other workers' calls: per user, and per loan.
  private readonly lentPerUser = new Map<string, number>();
  private readonly lent = new Map<number, string>();
  private readonly waiting = new Map<
    number,
    {
      user: string;
      resolve: (release: Release) => void;
      reject: (e: Error) => void;
      timer: NodeJS.Timeout;
    }
  >();

  constructor(
    private readonly options: {
      scope: string;
      limit: number;
      share: number;
      rate: { admit(userId: string): Release };
      timeoutMs?: number;
    },
    private readonly report: (message: LoanMessage) => void,
    private readonly connected: () => boolean = () => true,
  ) {}

  get scope(): string {
    return this.options.scope;
  }

  admit(userId: string): Release | Promise<Release> {
    this.options.rate.admit(userId);
    const own = this.admitOwn(userId);
    if (own) return own;
    if (!this.connected()) throw refusal(this.options.limit);
    const request = ++lastRequest;
    return new Promise<Release>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(request);
        const ownNow = this.admitOwn(userId);
        if (ownNow) resolve(ownNow);
        else reject(refusal(this.options.limit));
      }, this.options.timeoutMs ?? BORROW_TIMEOUT_MS);
      this.waiting.set(request, { user: userId, resolve, reject, timer });
      this.report({ du: 'borrow', scope: this.options.scope, request, user: userId });
    });
  }

  /** The primary's question: reserves a slot of this worker's share for `userId` if one is free. */
  lend(userId: string, loan: number): boolean {
    if (this.used(userId) >= this.options.share) return false;
    add(this.lentPerUser, userId, 1);
    this.lent.set(loan, userId);
    return true;
  }

  /** A lent slot came back. */
  returned(loan: number): void {
    const user = this.lent.get(loan);
    if (user === undefined) return;
    this.lent.delete(loan);
    add(this.lentPerUser, user, -1);
  }

  /** The primary's answer to a borrow; false when the request is not (or no longer) this one's. */
  granted(request: number, loan: number | null): boolean {
    const waiting = this.waiting.get(request);
    if (!waiting) return false;
    this.waiting.delete(request);
    clearTimeout(waiting.timer);
    if (loan !== null) {
      waiting.resolve(once(() => this.report({ du: 'return', loan })));
      return true;
    }
    // No other worker could lend; a slot this one lent may have come back meanwhile (its
    // borrowed call ended while this call asked): the primary sent it back before this answer.
    const own = this.admitOwn(waiting.user);
    if (own) waiting.resolve(own);
    else waiting.reject(refusal(this.options.limit));
    return true;
  }

  /** Admits a call on this worker's own share, or null when the share is used. */
  private admitOwn(userId: string): Release | null {
    if (this.used(userId) >= this.options.share) return null;
    add(this.local, userId, 1);
    return once(() => add(this.local, userId, -1));
  }

  private used(userId: string): number {
    return (this.local.get(userId) ?? 0) + (this.lentPerUser.get(userId) ?? 0);
  }
}

/** A worker's answer to the primary about slots: its limiters' (one per process in service). */
export function answerLoan(
  limiters: LendingCallLimits[],
  message: LoanMessage,
  send: (message: LoanMessage) => void,
): void {
  if (message.du === 'lend') {
    const { scope, user, loan } = message;
    const ok = limiters.some((l) => l.scope === scope && l.lend(user, loan));
    send({ du: 'lent', loan, ok });
  } else if (message.du === 'grant') {
    const taken = limiters.some((l) => l.granted(message.request, message.loan));
    // A grant that came after its call gave up waiting: the slot goes back at once.
    if (!taken && message.loan !== null) send({ du: 'return', loan: message.loan });
  } else if (message.du === 'returned') {
    for (const l of limiters) l.returned(message.loan);
  }
}

interface Asking {
  borrower: number;
  request: number;
  scope: string;
  user: string;
  // Workers not asked yet, and the one asked now.
  candidates: number[];
  asked: number | null;
}

/**
 * The primary's side: finds a lender for each borrow, and gives the slot back to its lender when
 * the borrowed call ends or its borrower dies. A dead lender's loans are forgotten (its share
 * died with it; the borrowed calls run to their end, the bound exceeded by them meanwhile).
 */
export class LoanBroker {
  private lastLoan = 0;
  private readonly asking = new Map<number, Asking>();
  private readonly loans = new Map<number, { borrower: number; lender: number }>();

  constructor(
    /** Sends to a worker by id; false when it cannot be reached. */
    private readonly send: (worker: number, message: LoanMessage) => boolean,
    /** The workers that serve (and so can lend). */
    private readonly workers: () => number[],
  ) {}

  /** Loans outstanding and borrows being answered (for tests and metrics). */
  outstanding(): { loans: number; asking: number } {
    return { loans: this.loans.size, asking: this.asking.size };
  }

  receive(from: number, message: LoanMessage): void {
    if (message.du === 'borrow') {
      const loan = ++this.lastLoan;
      const { scope, request, user } = message;
      const candidates = this.workers().filter((w) => w !== from);
      this.asking.set(loan, { borrower: from, request, scope, user, candidates, asked: null });
      this.askNext(loan);
    } else if (message.du === 'lent') {
      const asking = this.asking.get(message.loan);
      if (!asking || asking.asked !== from) {
        // Its borrower died meanwhile: the slot is not needed.
        if (message.ok) this.send(from, { du: 'returned', loan: message.loan });
        return;
      }
      if (!message.ok) return this.askNext(message.loan);
      this.asking.delete(message.loan);
      this.loans.set(message.loan, { borrower: asking.borrower, lender: from });
      const sent = this.send(asking.borrower, {
        du: 'grant',
        request: asking.request,
        loan: message.loan,
      });
      if (!sent) this.giveBack(message.loan);
    } else if (message.du === 'return') {
      if (this.loans.get(message.loan)?.borrower === from) this.giveBack(message.loan);
    }
  }

  /** A worker died: its loans go back to their lenders, its questions to the next worker. */
  exited(worker: number): void {
    for (const [loan, asking] of this.asking) {
      if (asking.borrower === worker) this.asking.delete(loan);
      else if (asking.asked === worker) this.askNext(loan);
    }
    for (const [loan, { borrower, lender }] of this.loans) {
      if (borrower === worker) this.giveBack(loan);
      else if (lender === worker) this.loans.delete(loan);
    }
  }

  private askNext(loan: number): void {
    const asking = this.asking.get(loan)!;
    for (;;) {
      const next = asking.candidates.shift();
      if (next === undefined) {
        this.asking.delete(loan);
        this.send(asking.borrower, { du: 'grant', request: asking.request, loan: null });
        return;
      }
      asking.asked = next;
      const { scope, user } = asking;
      if (this.send(next, { du: 'lend', scope, loan, user })) return;
    }
  }

  private giveBack(loan: number): void {
    const held = this.loans.get(loan);
    if (!held) return;
    this.loans.delete(loan);
    this.send(held.lender, { du: 'returned', loan });
  }
}
