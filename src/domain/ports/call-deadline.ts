import { AppError, ErrorCode } from '../../errors.js';

/**
 * One call's deadline (REQUEST_TIMEOUT_MS) as the units of work it starts see it, so that
 * its answer is true whenever it comes. A unit about to pass the point after which it can no
 * longer be withdrawn (its COMMIT, or the statement carrying it, sent; its step posted into a
 * shared transaction; its savepoint released into its group's) asks mayCommit first. At the
 * deadline the listener asks expire: when no unit of the call has passed that point, the
 * timeout is answered at once and means "nothing stored", because every unit of the call still
 * to pass it is withdrawn there (rolled back alone, the other units of its group untouched) and
 * no new one starts. When one has, the call is answered with its own outcome, waited for.
 *
 * Only the process's own event loop reads and writes it: the check at each point is a field
 * read, with no statement or round trip of its own.
 */
export class CallDeadline {
  private expired = false;
  private committing = false;

  /** The deadline has passed: a unit of the call not yet started must not start. */
  get passed(): boolean {
    return this.expired;
  }

  /**
   * True: the unit may pass its point of no return (the call's answer will wait for its
   * outcome). False: the deadline has passed; the unit must roll back (callTimedOut).
   */
  mayCommit(): boolean {
    if (this.expired) return false;
    this.committing = true;
    return true;
  }

  /**
   * The deadline has come: true when nothing of the call can be stored any more (the timeout
   * is the answer), false when one of its units has passed its point of no return (the call's
   * own outcome is).
   */
  expire(): boolean {
    this.expired = true;
    return !this.committing;
  }
}

/** What a unit withdrawn at its call's deadline fails with (fault 10001: nothing stored). */
export function callTimedOut(): AppError {
  return new AppError(ErrorCode.INTERNAL, 'Request timed out before it was stored');
}
