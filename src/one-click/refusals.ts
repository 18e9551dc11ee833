/**
 * How the /u router ends a request it will not carry out: a Refusal (a status, a metric reason
 * and the page a person sees), made from a refused token, a domain failure or a bad request,
 * and the plain-text line a refusal is told in when no page is wanted.
 */
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { OUTCOME_UNKNOWN } from '../http/request-deadline.js';
import type { RefusalReason } from './link-token.js';
import type { PageState } from './page.js';

const REFUSAL_STATUS: Record<RefusalReason, number> = {
  malformed: 400,
  unknown_key: 403,
  bad_signature: 403,
  expired: 410,
};

/** An answer that ends the request: a status, a metric reason, and the page to show a person. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly page: PageState,
    /** Refused before the body was read (or while reading it). */
    readonly closeConnection = false,
  ) {
    super(reason);
  }
}

/** A token refused from the URL alone: the body is never read. */
export function tokenRefusal(reason: RefusalReason): Refusal {
  const page: PageState = { kind: reason === 'expired' ? 'expired' : 'invalid' };
  return new Refusal(REFUSAL_STATUS[reason], reason, page, true);
}

/**
 * Domain failures: a bad address in an authentic token is the sender's bug (400); anything
 * unforeseen is logged (name and message only) and answered 500.
 */
export function refusalOf(error: unknown, logger: Logger): Refusal {
  if (error instanceof Refusal) return error;
  if (error instanceof AppError && error.code === ErrorCode.LEAD_ATTRIBUTE_BAD)
    return new Refusal(400, 'bad_address', { kind: 'invalid' });
  if (error instanceof AppError && error.code === ErrorCode.DATABASE_UNAVAILABLE)
    return error.cause === OUTCOME_UNKNOWN
      ? new Refusal(503, 'outcome_unknown', { kind: 'unconfirmed' })
      : new Refusal(503, 'unavailable', { kind: 'error' });
  // Every database connection busy past DB_ACQUIRE_TIMEOUT_MS: a full service, not a broken
  // one; the sender tries again (Retry-After), as SOAP callers are told to (20024).
  if (error instanceof AppError && error.code === ErrorCode.CONCURRENCY_LIMIT_EXCEEDED)
    return new Refusal(503, 'busy', { kind: 'error' });
  // Name and message only: a database error's detail can quote the address.
  const failure =
    error instanceof Error
      ? { type: error.name, message: error.message, code: (error as { code?: unknown }).code }
      : { type: typeof error };
  logger.error({ failure }, 'unsubscribe link request failed');
  return new Refusal(500, 'internal', { kind: 'error' });
}

/** The plain-text line of a refusal, for a caller that wants no page. */
export function refusalText(refusal: Refusal): string {
  switch (refusal.status) {
    case 404:
      return 'Unsubscribe links are not enabled.';
    case 408:
      return 'Request body not received in time.';
    case 410:
      return 'This unsubscribe link has expired.';
    case 413:
      return 'Request body too large.';
    case 415:
      return 'Send application/x-www-form-urlencoded or multipart/form-data.';
    case 429:
      return 'Too many requests; try again later.';
    case 500:
    case 503:
      // Still being committed at the deadline: it may be stored; sent again, it is.
      return refusal.reason === 'outcome_unknown'
        ? 'Unsubscribe not confirmed; send it again later.'
        : 'Unsubscribe not recorded; try again later.';
    default:
      return refusal.reason === 'bad_body'
        ? 'The body must be List-Unsubscribe=One-Click.'
        : 'This unsubscribe link is not valid.';
  }
}
