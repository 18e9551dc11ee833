import { FixedWindows, type FixedWindow } from './fixed-windows.js';

export interface AuthFailureOptions {
  /** Failures one address may cause per window; 0 turns the limit off. */
  limit: number;
  windowMs: number;
  now?: () => number;
  /** Addresses remembered at most (default MAX_ADDRESSES). */
  maxAddresses?: number;
}

/** Addresses remembered at most; past this the oldest windows are forgotten first. */
const MAX_ADDRESSES = 100000;

/**
 * Authentication failures per client address, in fixed windows, kept in this process. Past the
 * limit an address is refused before its request is read, until its window ends.
 */
export class AuthFailureLimiter {
  // Forgotten in the order they started (a flood from many addresses would otherwise cost
  // every failure a walk over all of them).
  private readonly windows: FixedWindows;
  // No address can be refused from this instant on: every window that reached the limit
  // ends by then (the latest end of one that did).
  private refusingUntil = -Infinity;
  private readonly now: () => number;

  constructor(private readonly options: AuthFailureOptions) {
    this.now = options.now ?? Date.now;
    this.windows = new FixedWindows(options.windowMs, options.maxAddresses ?? MAX_ADDRESSES);
  }

  /**
   * False when no address can be refused now (nobody is locked out), so that a call need not
   * work out its client's address to ask retryAfterSeconds, which would answer 0.
   */
  mayRefuse(): boolean {
    return this.options.limit > 0 && this.now() < this.refusingUntil;
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
    const w = this.windows.current(address, this.now());
    w.count++;
    this.refusing(w);
  }

  private refusing(w: FixedWindow): void {
    if (w.count >= this.options.limit)
      this.refusingUntil = Math.max(this.refusingUntil, w.start + this.options.windowMs);
  }
}
