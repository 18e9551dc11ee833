/**
 * Every failure the service means to report carries a stable code. The SOAP layer
 * (src/mktows/faults.ts) is the only place that turns these codes into wire faults.
 */
export const ErrorCode = {
  INTERNAL: 'INTERNAL',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  REQUEST_NOT_UNDERSTOOD: 'REQUEST_NOT_UNDERSTOOD',
  ACCESS_DENIED: 'ACCESS_DENIED',
  AUTHENTICATION_FAILED: 'AUTHENTICATION_FAILED',
  REQUEST_EXPIRED: 'REQUEST_EXPIRED',
  INVALID_REQUEST: 'INVALID_REQUEST',
  UNSUPPORTED_OPERATION: 'UNSUPPORTED_OPERATION',
  RATE_LIMIT_EXCEEDED: 'RATE_LIMIT_EXCEEDED',
  CONCURRENCY_LIMIT_EXCEEDED: 'CONCURRENCY_LIMIT_EXCEEDED',
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  /**
   * The request's body did not arrive within BODY_TIMEOUT_MS. A call still running at
   * REQUEST_TIMEOUT_MS is INTERNAL instead (fault 10001: nothing of it stored).
   */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  LEAD_KEY_REQUIRED: 'LEAD_KEY_REQUIRED',
  LEAD_KEY_BAD: 'LEAD_KEY_BAD',
  LEAD_NOT_FOUND: 'LEAD_NOT_FOUND',
  /** A LEADOWNEREMAIL key: it names a lead owner, and this service keeps none. */
  LEAD_OWNER_NOT_FOUND: 'LEAD_OWNER_NOT_FOUND',
  LEAD_DETAIL_REQUIRED: 'LEAD_DETAIL_REQUIRED',
  LEAD_ATTRIBUTE_BAD: 'LEAD_ATTRIBUTE_BAD',
  LEAD_SYNC_FAILED: 'LEAD_SYNC_FAILED',
  ACTIVITY_KEY_BAD: 'ACTIVITY_KEY_BAD',
  LIST_NOT_FOUND: 'LIST_NOT_FOUND',
  /** A console job (Change Data Value, suppression import) by an id that names none. */
  JOB_NOT_FOUND: 'JOB_NOT_FOUND',
  PARAMETER_REQUIRED: 'PARAMETER_REQUIRED',
  BAD_PARAMETER: 'BAD_PARAMETER',
  BAD_STREAM_POSITION: 'BAD_STREAM_POSITION',
  STREAM_AT_END: 'STREAM_AT_END',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class AppError extends Error {
  readonly code: ErrorCode;
  /** The input the error is about (a form's field), when one is: a page says it beside it. */
  readonly field?: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    if (options?.field !== undefined) this.field = options.field;
  }
}

/** `read()`, its AppError (one about no input yet) said to be about `field`. */
export function aboutField<T>(field: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!isAppError(error) || error.field !== undefined) throw error;
    throw new AppError(error.code, error.message, { cause: error, field });
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/**
 * The database away (or a commit's outcome unknown): an outage fails every request, so its
 * failures are logged with causeLine, one line each, and a stack is kept for real bugs.
 */
export function isDatabaseUnavailable(error: unknown): error is AppError {
  return isAppError(error) && error.code === ErrorCode.DATABASE_UNAVAILABLE;
}

/**
 * An error and the causes behind it, in one line, for a log line that needs no stack ("Database
 * unavailable: connect ECONNREFUSED 10.0.0.5:5432"). A PostgreSQL data exception (SQLSTATE
 * class 22), whose message quotes the value it refused, is given by its code alone.
 */
export function causeLine(error: unknown): string {
  const parts: string[] = [];
  let at: unknown = error;
  for (let depth = 0; depth < 4 && at !== undefined && at !== null; depth++) {
    if (!(at instanceof Error)) {
      if (typeof at === 'string') parts.push(at.split('\n')[0]!);
      break;
    }
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('22')) {
      parts.push(`a data exception (${code})`);
      break;
    }
    const message = at.message.split('\n')[0]!;
    // A message that repeats its cause's ("Database unavailable: connect …") is said once.
    if (!parts.some((p) => p.includes(message))) parts.push(message);
    at = at.cause;
  }
  return parts.join(': ');
}
