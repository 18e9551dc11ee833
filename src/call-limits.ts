import { AppError, ErrorCode } from './errors.js';

export interface CallLimitOptions {
  /** Calls a user may make per window; 0 turns the rate limit off. */
  rateLimitCalls: number;
  rateWindowMs: number;
  /** Calls a user may have in flight at once; 0 turns the concurrency limit off. */
  concurrencyLimit: number;
  now?: () => number;
}

/** Ends an admitted call: its place is free again (a second call does nothing). */
export type Release = () => void;

/**
 * What admits a user's call: at once, or (a worker beyond its share of the instance's limit)
 * once another worker lent a slot. Throws, or rejects, with 20023 or 20024.
 */
export interface CallAdmission {
  admit(userId: string): Release | Promise<Release>;
}

/** The most windows a RateWindows remembers (some 10 MB): past it the oldest are forgotten. */
export const MOST_RATE_WINDOWS = 100000;

/** Calls of one key (a user, a client address) counted since `start`. */
export interface RateWindow {
  start: number;
  count: number;
}

/**
 * Fixed windows of `windowMs` per key, kept in the order they started (a new window goes to
 * the end), so that ended ones are found at the front: opening a window forgets those, then
 * the oldest while more than `most` are remembered, at a cost that does not grow with how many
 * are. Keys come from clients (one-click links count per client address): memory and work per
 * call stay bounded whatever their number.
 */
export class RateWindows {
  private readonly windows = new Map<string, RateWindow>();

  constructor(
    private readonly windowMs: number,
    private readonly most = MOST_RATE_WINDOWS,
  ) {}

  /** The window of `key` at `now`: its current one, else a new one with no calls. */
  at(key: string, now: number): RateWindow {
    const current = this.windows.get(key);
    if (current && now - current.start < this.windowMs) return current;
    const fresh = { start: now, count: 0 };
    this.windows.delete(key);
    this.windows.set(key, fresh);
    for (const [oldKey, old] of this.windows) {
      if (now - old.start < this.windowMs && this.windows.size <= this.most) break;
      this.windows.delete(oldKey);
    }
    return fresh;
  }
}

/**
 * Calls one user may have in flight: as configured, else the database pool's size, so that one
 * user can never queue more calls than there are connections.
 */
export function perUserConcurrency(config: {
  concurrencyLimit: number | null;
  dbPoolMax: number;
}): number {
  return config.concurrencyLimit ?? config.dbPoolMax;
}

/**
 * Per-user rate (20023) and concurrency (20024) limits, kept in this process: with several
 * instances behind a load balancer each enforces its own share.
 */
export class CallLimits implements CallAdmission {
  private readonly windows: RateWindows;
  private readonly inFlight = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: CallLimitOptions) {
    this.now = options.now ?? Date.now;
    this.windows = new RateWindows(options.rateWindowMs);
  }

  /** Admits one call or throws; the returned function must be called when the call ends. */
  admit(userId: string): Release {
    const { rateLimitCalls, rateWindowMs, concurrencyLimit } = this.options;
    if (rateLimitCalls > 0) {
      const w = this.windows.at(userId, this.now());
      if (w.count >= rateLimitCalls) {
        throw new AppError(
          ErrorCode.RATE_LIMIT_EXCEEDED,
          `More than ${rateLimitCalls} calls in ${rateWindowMs / 1000} s`,
        );
      }
      w.count++;
    }
    if (concurrencyLimit > 0) {
      const current = this.inFlight.get(userId) ?? 0;
      if (current >= concurrencyLimit) {
        throw new AppError(
          ErrorCode.CONCURRENCY_LIMIT_EXCEEDED,
          `More than ${concurrencyLimit} calls at once`,
        );
      }
      this.inFlight.set(userId, current + 1);
    }
    let released = false;
    return () => {
      if (released || concurrencyLimit <= 0) return;
      released = true;
      const n = (this.inFlight.get(userId) ?? 1) - 1;
      if (n <= 0) this.inFlight.delete(userId);
      else this.inFlight.set(userId, n);
    };
  }
}
