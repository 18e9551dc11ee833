import { AppError, ErrorCode } from '../errors.js';
import { FixedWindows } from './fixed-windows.js';

export interface CallLimitOptions {
  /** Calls a user may make per window; 0 turns the rate limit off. */
  rateLimitCalls: number;
  rateWindowMs: number;
  /** Calls a user may have in flight at once; 0 turns the concurrency limit off. */
  concurrencyLimit: number;
  now?: () => number;
  /** Keys (users, client addresses) whose rate windows are remembered at most (MAX_KEYS). */
  maxKeys?: number;
}

/**
 * Keys whose rate windows are remembered at most; past this the oldest are forgotten first. On
 * `/u/` a key is a client address (IPv6: its /64), which a client holding many spends freely.
 */
const MAX_KEYS = 100000;

/** Ends an admitted call: its place is free again (a second call does nothing). */
export type Release = () => void;

/**
 * What admits a user's call: at once, or (a worker beyond its share of the instance's limit)
 * once another worker lent a slot. Throws, or rejects, with 20023 or 20024.
 */
export interface CallAdmission {
  admit(userId: string): Release | Promise<Release>;
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
  private readonly windows: FixedWindows;
  private readonly inFlight = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: CallLimitOptions) {
    this.now = options.now ?? Date.now;
    this.windows = new FixedWindows(options.rateWindowMs, options.maxKeys ?? MAX_KEYS);
  }

  /** Admits one call or throws; the returned function must be called when the call ends. */
  admit(userId: string): Release {
    const { rateLimitCalls, rateWindowMs, concurrencyLimit } = this.options;
    if (rateLimitCalls > 0) {
      const w = this.windows.current(userId, this.now());
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
