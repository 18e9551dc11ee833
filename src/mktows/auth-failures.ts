export interface AuthFailureOptions {
  /** Failures one address may cause per window; 0 turns the limit off. */
  limit: number;
  windowMs: number;
  now?: () => number;
  /** Addresses remembered at most (default MAX_ADDRESSES). */
  maxAddresses?: number;
}

interface FailureWindow {
  start: number;
  count: number;
}

/** Addresses remembered at most; past this the oldest windows are forgotten first. */
const MAX_ADDRESSES = 100000;

/**
 * Authentication failures per client address, in fixed windows, kept in this process. Past the
 * limit an address is refused before its request is read, until its window ends.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, FailureWindow>();
  // The windows in the order they started, to forget the oldest first without scanning the map
  // (a flood from many addresses would otherwise cost every failure a walk over all of them).
  // An entry whose window was replaced or dropped since is skipped.
  private readonly started: Array<[string, FailureWindow]> = [];
  private head = 0;
  // No address can be refused from this instant on: every window that reached the limit
  // ends by then (the latest end of one that did).
  private refusingUntil = -Infinity;
  private readonly now: () => number;

  constructor(private readonly options: AuthFailureOptions) {
    this.now = options.now ?? Date.now;
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
    const now = this.now();
    const w = this.windows.get(address);
    if (w && now - w.start < this.options.windowMs) {
      w.count++;
      this.refusing(w);
      return;
    }
    const fresh = { start: now, count: 1 };
    this.windows.set(address, fresh);
    this.started.push([address, fresh]);
    this.refusing(fresh);
    this.forget(now);
  }

  private refusing(w: FailureWindow): void {
    if (w.count >= this.options.limit)
      this.refusingUntil = Math.max(this.refusingUntil, w.start + this.options.windowMs);
  }

  /** Drops ended windows, then the oldest while more addresses are remembered than allowed. */
  private forget(now: number): void {
    const max = this.options.maxAddresses ?? MAX_ADDRESSES;
    while (this.head < this.started.length) {
      const [address, w] = this.started[this.head]!;
      const current = this.windows.get(address) === w;
      if (current && now - w.start < this.options.windowMs && this.windows.size <= max) break;
      if (current) this.windows.delete(address);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.started.length) {
      this.started.splice(0, this.head);
      this.head = 0;
    }
  }
}
