import type { ServerResponse } from 'node:http';
import { CallDeadline } from '../domain/ports.js';
import { AppError, ErrorCode } from '../errors.js';

/** REQUEST_TIMEOUT_MS and COMMIT_GRACE_MS, as a listener other than SOAP's applies them. */
/**
 * The cause of the DATABASE_UNAVAILABLE of a request whose write was still being committed at
 * the end of COMMIT_GRACE_MS: it may be stored, so its answer may not say it is not.
 */
export const OUTCOME_UNKNOWN = 'outcome unknown at the request deadline';

export interface RequestDeadlineLimits {
  requestTimeoutMs: number;
  commitGraceMs: number;
}

/**
 * Runs `work` under one request's deadline, the contract the SOAP listeners keep: at
 * REQUEST_TIMEOUT_MS, when none of its units of work is committing, it is answered at once
 * with DATABASE_UNAVAILABLE and nothing of it is stored, then or later (every unit not yet
 * committing withdraws, CallDeadline); when one is, its own outcome is the answer, waited for
 * up to COMMIT_GRACE_MS more, after which it is DATABASE_UNAVAILABLE saying the outcome is
 * unknown. Without this a request queued behind a held writer got no answer at all until the
 * connection's idle timeout, while its write stayed queued and could still commit.
 */
export function withinDeadline<T>(
  limits: RequestDeadlineLimits,
  work: (deadline: CallDeadline) => Promise<T>,
): Promise<T> {
  const deadline = new CallDeadline();
  let running: Promise<T>;
  try {
    running = work(deadline);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise<T>((resolve, reject) => {
    let timer = setTimeout(() => {
      if (deadline.expire()) return reject(requestTimedOut());
      // A write of the request is being committed: its outcome is the answer, if it comes.
      timer = setTimeout(() => reject(outcomeUnknown()), limits.commitGraceMs);
    }, limits.requestTimeoutMs);
    running.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        // Past the deadline a unit not yet committing withdrew (callTimedOut): nothing stored.
        reject(deadline.passed ? requestTimedOut() : error);
      },
    );
  });
}

/**
 * The same contract for a whole request whose handler runs on its own (the console's pages):
 * the deadline its units of work are given, and `answer` called at REQUEST_TIMEOUT_MS if
 * nothing is answered by then and nothing of it is committing (nothing stored, then or later),
 * or COMMIT_GRACE_MS later if a write was committing and has not ended. Counted from the
 * request's arrival, so a wait before the handler's write (a session's) counts too.
 */
export function answerDeadline(
  res: ServerResponse,
  limits: RequestDeadlineLimits,
  answer: (error: AppError) => void,
): CallDeadline {
  const deadline = new CallDeadline();
  let timer = setTimeout(() => {
    if (res.headersSent) return;
    if (deadline.expire()) return answer(requestTimedOut());
    timer = setTimeout(() => {
      if (!res.headersSent) answer(outcomeUnknown());
    }, limits.commitGraceMs);
  }, limits.requestTimeoutMs);
  res.once('close', () => clearTimeout(timer));
  return deadline;
}

function outcomeUnknown(): AppError {
  return new AppError(
    ErrorCode.DATABASE_UNAVAILABLE,
    'Request timed out while its write was being committed; whether it was stored is unknown',
    { cause: OUTCOME_UNKNOWN },
  );
}

function requestTimedOut(): AppError {
  return new AppError(
    ErrorCode.DATABASE_UNAVAILABLE,
    'Request timed out before it was stored; nothing was changed',
  );
}
