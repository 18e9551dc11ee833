import { migrateUsageError } from './operations.command.js';
import { operatorsUsageError } from './operators.command.js';
import { suppressionsUsageError } from './suppressions.command.js';
import { usersUsageError } from './users.command.js';

const USAGE_ERRORS: Record<string, (args: readonly string[]) => string | null> = {
  migrate: migrateUsageError,
  operators: operatorsUsageError,
  suppressions: suppressionsUsageError,
  users: usersUsageError,
};

/**
 * Why `args` are wrong usage of the commands with actions (exit 2), or null. Decided before the
 * configuration is read and anything is opened: a mistyped action or a value no address can
 * have must not create DATA_DIR, the database or its secret, nor reach PostgreSQL.
 */
export function commandUsageError(command: string, args: readonly string[]): string | null {
  return USAGE_ERRORS[command]?.(args) ?? null;
}
