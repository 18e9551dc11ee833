import { connectionProblem } from '../data-access/database.js';
import type { JobPassReport } from '../domain/console-job-runner.js';
import { ErrorCode, isAppError } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * What the console's job runner says in the log. A database outage makes every pass fail the
 * same way: one warning when it starts, naming what is wrong (never a stack), and one line when
 * a pass succeeds again. Any other failure is logged with its stack, once while it repeats.
 */
export function consoleJobLines(logger: Logger, databaseUrl: string): JobPassReport {
  let said: string | null = null;
  return {
    failed(error) {
      const why = outageOf(error, databaseUrl);
      // One outage is one line, whatever its cause says from pass to pass (a connection closed,
      // then refused).
      const key = why
        ? 'outage'
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
      if (key === said) return;
      said = key;
      if (why)
        logger.warn(
          `console jobs (bulk changes, suppression imports) wait: ${why}; they resume by themselves when it answers`,
        );
      else logger.error({ err: error }, 'console job failed; it resumes at the next pass');
    },
    recovered() {
      if (said === null) return;
      said = null;
      logger.info('console jobs (bulk changes, suppression imports) run again');
    },
  };
}

/** The line for a pass the database's absence failed, or null for another failure. */
function outageOf(error: unknown, databaseUrl: string): string | null {
  if (!isAppError(error) || error.code !== ErrorCode.DATABASE_UNAVAILABLE) return null;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const problem = connectionProblem(cause, databaseUrl);
  if (problem) return problem;
  const detail = typeof cause?.code === 'string' ? cause.code : String(cause?.message ?? '');
  return `the database is unavailable${detail ? ` (${detail.split('\n')[0]})` : ''}`;
}
