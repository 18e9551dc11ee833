import cluster from 'node:cluster';
import { CallLimits, type CallAdmission, type CallLimitOptions } from '../limits/call-limits.js';
import { AppError, ErrorCode } from '../errors.js';
import { AuthFailureLimiter, type AuthFailureOptions } from '../limits/auth-failures.js';
import { LoginThrottle, type LoginThrottleOptions } from '../limits/login-throttle.js';
import {
  LendingCallLimits,
  answerLoan,
  isLoanMessage,
  type LoanMessage,
} from './concurrency-loans.js';

/**
 * Limits of the instance, not of one worker process. Each worker keeps its own limiter (the full
 * budget, checked synchronously as in a single process) and reports what it counted to the
 * primary, which holds the instance's counters and tells every worker when a client has spent
 * the instance's budget. A client spreading its calls over N workers therefore gets one budget,
 * not N; the overshoot is bounded by what is in flight while a report travels (below a
 * millisecond for a failure, REPORT_EVERY_MS for admitted calls).
 */

/** Admitted calls are reported in batches: one message per worker per interval, not per call. */
export const REPORT_EVERY_MS = 20;

/** Messages between the primary and its workers about limits (`du` tells them from others). */
export type LimitMessage =
  | { du: 'auth-failure'; address: string }
  | { du: 'calls'; scope: RateScope; counts: Array<[string, number]> }
  | { du: 'login'; client: string; account: string | null; ok: boolean }
  | { du: 'blocked'; limit: BlockedLimit; key: string; until: number }
  /** An operator's login succeeded from `client`, through any worker (the primary tells all). */
  | { du: 'known'; client: string; account: string };

/**
 * The rate limits kept for the instance: SOAP calls per user; per client address, /u/ POSTs
 * (`link`: one-click unsubscribes, the page's buttons) and, apart, reads of the page
 * (`link-page`: GET, HEAD), so that no amount of reads refuses a POST; per link (its id), the
 * unsubscribes posted to it (`link-token`).
 */
export type RateScope = 'soap' | 'link' | 'link-page' | 'link-token';
export type BlockedLimit = 'auth' | RateScope | 'login-client' | 'login-account';

export function isLimitMessage(message: unknown): message is LimitMessage {
  const du = (message as { du?: unknown } | null)?.du;
  return (
    du === 'auth-failure' || du === 'calls' || du === 'login' || du === 'blocked' || du === 'known'
  );
}

/** Where a worker sends its reports (process.send in a cluster worker; a stub in tests). */
export type Report = (message: LimitMessage) => void;

/** Keys the primary said are out of budget until a time; bounded, oldest forgotten first. */
class BlockedUntil {
  private readonly until = new Map<string, number>();
  // The latest end of a block received: none is in force from then on.
  private latest = -Infinity;
  constructor(
    private readonly now: () => number,
    private readonly max = 100000,
  ) {}

  set(key: string, until: number): void {
    this.until.delete(key); // re-inserted last: the map stays in the order blocks were received
    this.until.set(key, until);
    this.latest = Math.max(this.latest, until);
    const now = this.now();
    for (const [k, u] of this.until) {
      if (u > now && this.until.size <= this.max) break;
      this.until.delete(k);
    }
  }

  /** False when no key can be blocked now. */
  any(): boolean {
    return this.now() < this.latest;
  }

  /** Milliseconds `key` stays blocked, 0 when it is not. */
  left(key: string): number {
    const u = this.until.get(key);
    if (u === undefined) return 0;
    const left = u - this.now();
    if (left > 0) return left;
    this.until.delete(key);
    return 0;
  }
}

/** A worker's authentication-failure limiter: its own count, plus the instance's verdicts. */
export class SharedAuthFailureLimiter extends AuthFailureLimiter {
  private readonly blocked: BlockedUntil;

  constructor(
    options: AuthFailureOptions,
    private readonly report: Report,
  ) {
    super(options);
    this.blocked = new BlockedUntil(options.now ?? Date.now, options.maxAddresses);
  }

  override retryAfterSeconds(address: string): number {
    const local = super.retryAfterSeconds(address);
    if (local > 0) return local;
    return Math.ceil(this.blocked.left(address) / 1000);
  }

  override mayRefuse(): boolean {
    return super.mayRefuse() || this.blocked.any();
  }

  override record(address: string): void {
    super.record(address);
    this.report({ du: 'auth-failure', address });
  }

  /** The primary's verdict: `address` spent the instance's budget until `until`. */
  block(address: string, until: number): void {
    this.blocked.set(address, until);
  }
}

/** A worker's per-user call limits: its own, plus the instance's rate verdicts. */
export class SharedCallLimits extends CallLimits {
  private readonly blocked: BlockedUntil;
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly shared: CallLimitOptions,
    readonly scope: RateScope,
    private readonly report: Report,
  ) {
    super(shared);
    this.blocked = new BlockedUntil(shared.now ?? Date.now);
  }

  override admit(userId: string): () => void {
    if (this.shared.rateLimitCalls > 0 && this.blocked.left(userId) > 0) {
      throw new AppError(
        ErrorCode.RATE_LIMIT_EXCEEDED,
        `More than ${this.shared.rateLimitCalls} calls in ${this.shared.rateWindowMs / 1000} s`,
      );
    }
    const release = super.admit(userId);
    if (this.shared.rateLimitCalls > 0) this.count(userId);
    return release;
  }

  /** The primary's verdict: `userId` spent the instance's call budget until `until`. */
  block(userId: string, until: number): void {
    this.blocked.set(userId, until);
  }

  private count(userId: string): void {
    this.pending.set(userId, (this.pending.get(userId) ?? 0) + 1);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const counts = [...this.pending];
      this.pending = new Map();
      this.report({ du: 'calls', scope: this.scope, counts });
    }, REPORT_EVERY_MS);
    this.timer.unref();
  }
}

/** A worker's /admin login throttle: its own, plus the instance's verdicts. */
export class SharedLoginThrottle extends LoginThrottle {
  private readonly blockedClients: BlockedUntil;
  private readonly blockedAccounts: BlockedUntil;

  constructor(
    options: LoginThrottleOptions,
    private readonly report: Report,
  ) {
    super(options);
    this.blockedClients = new BlockedUntil(options.now ?? Date.now, options.maxTracked);
    this.blockedAccounts = new BlockedUntil(options.now ?? Date.now, options.maxTracked);
  }

  override admit(client: string, account: string | null): number {
    // An address the account logged in from, through any worker (the primary tells each of
    // every success), is not held by the account's wait (LoginThrottle.admit), the
    // instance's verdict on it included.
    const accountBlocked =
      account === null || this.isKnownClient(client, account)
        ? 0
        : this.blockedAccounts.left(account.toLowerCase());
    const shared = Math.max(this.blockedClients.left(client), accountBlocked);
    if (shared > 0) return Math.ceil(shared / 1000);
    const wait = super.admit(client, account);
    if (wait === 0) this.report({ du: 'login', client, account, ok: false });
    return wait;
  }

  override succeed(client: string, account: string | null = null): void {
    super.succeed(client, account);
    this.report({ du: 'login', client, account, ok: true });
  }

  /** The primary's verdict on a client address or (lower-cased) account name. */
  block(limit: BlockedLimit, key: string, until: number): void {
    (limit === 'login-client' ? this.blockedClients : this.blockedAccounts).set(key, until);
  }
}

/** The worker's limiters, listening for the primary's verdicts (one listener per process). */
const listening = {
  auth: [] as SharedAuthFailureLimiter[],
  calls: [] as SharedCallLimits[],
  logins: [] as SharedLoginThrottle[],
  loans: [] as LendingCallLimits[],
  any: false,
};

function inWorker(): Report | null {
  if (!cluster.isWorker || !process.send) return null;
  if (!listening.any) {
    listening.any = true;
    process.on('message', (message: unknown) => {
      if (isLoanMessage(message)) return answerLoan(listening.loans, message, report);
      if (!isLimitMessage(message)) return;
      if (message.du === 'known') {
        for (const l of listening.logins) l.rememberClient(message.client, message.account);
        return;
      }
      if (message.du !== 'blocked') return;
      const { limit, key, until } = message;
      if (limit === 'auth') for (const l of listening.auth) l.block(key, until);
      else if (
        limit === 'soap' ||
        limit === 'link' ||
        limit === 'link-page' ||
        limit === 'link-token'
      ) {
        for (const l of listening.calls) if (l.scope === limit) l.block(key, until);
      } else for (const l of listening.logins) l.block(limit, key, until);
    });
  }
  return report;
}

/** Sends to the primary; a worker whose primary is gone is about to exit: nothing to report to. */
function report(message: LimitMessage | LoanMessage): void {
  if (process.connected) process.send!(message);
}

/** The authentication-failure limiter: the instance's when this is a worker process. */
export function instanceAuthFailures(options: AuthFailureOptions): AuthFailureLimiter {
  const report = inWorker();
  if (!report || options.limit <= 0) return new AuthFailureLimiter(options);
  const limiter = new SharedAuthFailureLimiter(options, report);
  listening.auth.push(limiter);
  return limiter;
}

/**
 * Call limits (per SOAP user, or per client address on /u/): the instance's rate when this is a
 * worker process; the concurrency limit kept in this process.
 */
export function instanceCallLimits(scope: RateScope, options: CallLimitOptions): CallLimits {
  const report = inWorker();
  if (!report) return new CallLimits(options);
  const limits = new SharedCallLimits(options, scope, report);
  listening.calls.push(limits);
  return limits;
}

/**
 * The SOAP call limits. A set concurrency limit is the instance's when this is one of several
 * worker processes: each admits its share at once, and borrows beyond it (concurrency-loans.ts).
 * The default one (the pool's size) stays per process, as each process has its own pool.
 */
export function instanceSoapLimits(
  options: CallLimitOptions & { concurrencyConfigured: boolean; workers: number },
): CallAdmission {
  const { concurrencyLimit, workers } = options;
  if (!inWorker() || !options.concurrencyConfigured || concurrencyLimit <= 0 || workers <= 1)
    return instanceCallLimits('soap', options);
  const limits = new LendingCallLimits(
    {
      scope: 'soap',
      limit: concurrencyLimit,
      share: Math.ceil(concurrencyLimit / workers),
      rate: instanceCallLimits('soap', { ...options, concurrencyLimit: 0 }),
    },
    report,
    () => process.connected,
  );
  listening.loans.push(limits);
  return limits;
}

/** The /admin login throttle: the instance's when this is a worker process. */
export function instanceLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const report = inWorker();
  if (!report) return new LoginThrottle(options);
  const throttle = new SharedLoginThrottle(options, report);
  listening.logins.push(throttle);
  return throttle;
}
