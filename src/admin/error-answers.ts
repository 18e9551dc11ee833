import type { NextFunction, Request, Response } from 'express';
import type { OperatorSession } from '../domain/operator.service.js';
import { causeLine, ErrorCode, isAppError, isDatabaseUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import { send } from './form.js';
import { errorPage } from './pages/error.js';

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.LEAD_NOT_FOUND]: 404,
  [ErrorCode.LEAD_OWNER_NOT_FOUND]: 404,
  [ErrorCode.LEAD_KEY_BAD]: 404,
  [ErrorCode.JOB_NOT_FOUND]: 404,
  [ErrorCode.LEAD_KEY_REQUIRED]: 400,
  [ErrorCode.LEAD_ATTRIBUTE_BAD]: 400,
  [ErrorCode.LEAD_SYNC_FAILED]: 409,
  [ErrorCode.BAD_PARAMETER]: 400,
  [ErrorCode.INVALID_REQUEST]: 400,
  [ErrorCode.BAD_STREAM_POSITION]: 400,
  [ErrorCode.AUTHENTICATION_FAILED]: 401,
  [ErrorCode.ACCESS_DENIED]: 403,
  [ErrorCode.RATE_LIMIT_EXCEEDED]: 429,
  [ErrorCode.DATABASE_UNAVAILABLE]: 503,
  // Every database connection busy past DB_ACQUIRE_TIMEOUT_MS: full, not broken.
  [ErrorCode.CONCURRENCY_LIMIT_EXCEEDED]: 503,
  [ErrorCode.PARAMETER_REQUIRED]: 400,
};

/** Where an operator finds the jobs of a kind again, by the missing job's path. */
const JOB_LISTS: ReadonlyArray<[string, string, string]> = [
  ['/bulk/', '/admin/bulk', 'Open Change Data Value'],
  ['/suppressions/', '/admin/suppressions', 'Open Suppressions'],
];

/** The console's error page for what a route threw: AppErrors by their code, 500 otherwise. */
export function errorAnswer(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      // Answered at its deadline already: what the page's work ended with is not sent.
      if (res.locals.timedOut === true) return;
      next(error);
      return;
    }
    const session = (res.locals.session as OperatorSession | undefined) ?? null;
    if (isAppError(error)) {
      const status = STATUS_OF[error.code] ?? 500;
      // The database away: its cause in one line; a stack per page says nothing more.
      if (isDatabaseUnavailable(error))
        logger.error({ path: req.path, cause: causeLine(error) }, 'admin page failed');
      else if (status >= 500) logger.error({ err: error, path: req.path }, 'admin page failed');
      const list =
        error.code === ErrorCode.JOB_NOT_FOUND
          ? JOB_LISTS.find(([p]) => req.path.startsWith(p))
          : undefined;
      send(
        res,
        status,
        errorPage({
          status,
          message: error.message,
          session,
          ...(list ? { backTo: list[1], backLabel: list[2] } : {}),
        }),
      );
      return;
    }
    // body-parser's errors (too large, bad encoding) carry their own 4xx status.
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      send(res, status, errorPage({ status, message: 'The request was not understood.', session }));
      return;
    }
    logger.error({ err: error, path: req.path }, 'admin page failed');
    send(res, 500, errorPage({ status: 500, message: 'Internal error.', session }));
  };
}
