export interface AuthFailureOptions {
  /** Failures one address may cause per window; 0 turns the limit off. */
  limit: number;
  windowMs: number;
  now?: () => number;
}

/** Addresses remembered at most; past this the oldest windows are forgotten first. */
const MAX_ADDRESSES = 100000;

/**
 * Authentication failures per client address, in fixed windows, kept in this process. Past the
 * limit an address is refused before its request is read, until its window ends.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly now: () => number;

  constructor(private readonly options: AuthFailureOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Seconds until `address` may try again, or 0 when it may now. */
  retryAfterSeconds(address: string): number {
    if (this.options.limit <= 0) return 0;
    const w = this.windows.get(address);
    if (!w || w.count < this.options.limit) return 0;
    const left = w.start + this.options.windowMs - this.now();
    if (left <= 0) {
      this.windows.delete(address);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  /** Counts one failure of `address`. */
  record(address: string): void {
    if (this.options.limit <= 0) return;
    const now = this.now();
    const w = this.windows.get(address);
    if (w && now - w.start < this.options.windowMs) {
      w.count++;
      return;
    }
    this.windows.delete(address);
    this.windows.set(address, { start: now, count: 1 });
    if (this.windows.size > MAX_ADDRESSES) this.forget(now);
  }

  private forget(now: number): void {
    for (const [address, w] of this.windows) {
      if (now - w.start >= this.options.windowMs) this.windows.delete(address);
    }
    // Still full (a flood from many addresses): drop the oldest windows (insertion order).
    for (const address of this.windows.keys()) {
      if (this.windows.size <= MAX_ADDRESSES) break;
      this.windows.delete(address);
    }
  }
}
