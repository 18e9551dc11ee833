import { AuthFailureLimiter, type AuthFailureOptions } from '../limits/auth-failures.js';
import type { CallLimitOptions } from '../limits/call-limits.js';
import { FixedWindows } from '../limits/fixed-windows.js';
import { LoginThrottle, type LoginThrottleOptions } from '../limits/login-throttle.js';
import type { BlockedLimit, LimitMessage, RateScope } from './instance-limits.js';

/**
 * The primary's side of the instance's limits (instance-limits.ts has the workers' side and
 * the messages between them).
 */

/** Users (or client addresses, for links) whose rate windows the primary remembers at most. */
const MOST_COUNTED_USERS = 100000;

/** The instance's limits, as the configuration sets them. */
export interface InstanceLimitOptions {
  auth: AuthFailureOptions;
  rates: Record<RateScope, CallLimitOptions>;
  logins: LoginThrottleOptions;
}

/**
 * The instance's counters, held by the primary: failures per client address and admitted calls
 * per user, each in fixed windows. `broadcast` tells every worker of a spent budget.
 */
export class InstanceLimits {
  private readonly authFailures: AuthFailureLimiter;
  private readonly logins: LoginThrottle;
  private readonly calls: Record<RateScope, FixedWindows>;
  private readonly now: () => number;
  private readonly blocks: Array<Extract<LimitMessage, { du: 'blocked' }>> = [];

  constructor(
    private readonly options: InstanceLimitOptions,
    private readonly broadcast: (message: LimitMessage) => void,
  ) {
    this.authFailures = new AuthFailureLimiter(options.auth);
    this.logins = new LoginThrottle(options.logins);
    this.now = options.rates.soap.now ?? Date.now;
    this.calls = {
      soap: new FixedWindows(options.rates.soap.rateWindowMs, MOST_COUNTED_USERS),
      link: new FixedWindows(options.rates.link.rateWindowMs, MOST_COUNTED_USERS),
      'link-page': new FixedWindows(options.rates['link-page'].rateWindowMs, MOST_COUNTED_USERS),
      'link-token': new FixedWindows(options.rates['link-token'].rateWindowMs, MOST_COUNTED_USERS),
    };
  }

  receive(message: LimitMessage): void {
    if (message.du === 'auth-failure') this.authFailure(message.address);
    else if (message.du === 'calls')
      for (const [key, n] of message.counts) this.called(message.scope, key, n);
    else if (message.du === 'login') this.login(message.client, message.account, message.ok);
  }

  private login(client: string, account: string | null, ok: boolean): void {
    if (ok) {
      this.logins.succeed(client, account);
      // Every worker exempts the address from the account's wait, whichever one it next reaches.
      if (account !== null) this.broadcast({ du: 'known', client, account });
      return;
    }
    this.logins.admit(client, account);
    const now = this.now();
    const clientWait = this.logins.retryAfterSeconds(client);
    if (clientWait > 0) this.block('login-client', client, now + clientWait * 1000);
    const accountWait = this.logins.accountRetryAfterSeconds(account);
    if (accountWait > 0 && account !== null)
      this.block('login-account', account.toLowerCase(), now + accountWait * 1000);
  }

  /** The verdicts still in force, for a worker that starts after they were given. */
  current(): LimitMessage[] {
    const now = this.now();
    while (this.blocks.length > 0 && this.blocks[0]!.until <= now) this.blocks.shift();
    return this.blocks.filter((b) => b.until > now);
  }

  private authFailure(address: string): void {
    this.authFailures.record(address);
    const seconds = this.authFailures.retryAfterSeconds(address);
    if (seconds > 0) this.block('auth', address, this.now() + seconds * 1000);
  }

  private called(scope: RateScope, user: string, n: number): void {
    const { rateLimitCalls, rateWindowMs } = this.options.rates[scope];
    if (rateLimitCalls <= 0) return;
    const w = this.calls[scope].current(user, this.now());
    w.count += n;
    if (w.count >= rateLimitCalls) this.block(scope, user, w.start + rateWindowMs);
  }

  private block(limit: BlockedLimit, key: string, until: number): void {
    const message = { du: 'blocked' as const, limit, key, until };
    this.blocks.push(message);
    if (this.blocks.length > 100000) this.blocks.shift();
    this.broadcast(message);
  }
}
