export interface LoginThrottleOptions {
  maxFailures: number;
  windowMs: number;
  now?: () => number;
  /** Bounds memory when many addresses fail; the oldest entries are forgotten first. */
  maxTracked?: number;
}

/**
 * Failed logins per client address in a sliding window, in this process only: a light brake
 * on password guessing, on top of scrypt's cost per guess, not a shared lockout.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly maxTracked: number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.now = options.now ?? Date.now;
    this.maxTracked = options.maxTracked ?? 10000;
  }

  /** Seconds until the client may try again, or 0 if it may try now. */
  retryAfterSeconds(client: string): number {
    const recent = this.recent(client);
    if (recent.length < this.options.maxFailures) return 0;
    const oldest = recent[recent.length - this.options.maxFailures]!;
    return Math.max(1, Math.ceil((oldest + this.options.windowMs - this.now()) / 1000));
  }

  fail(client: string): void {
    const recent = this.recent(client);
    recent.push(this.now());
    this.failures.delete(client);
    this.failures.set(client, recent);
    if (this.failures.size > this.maxTracked) {
      const oldest = this.failures.keys().next();
      if (!oldest.done) this.failures.delete(oldest.value);
    }
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }

  private recent(client: string): number[] {
    const since = this.now() - this.options.windowMs;
    return (this.failures.get(client) ?? []).filter((t) => t > since);
  }
}
