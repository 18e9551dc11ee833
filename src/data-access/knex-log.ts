/** knex's warnings that the failure itself reports to whoever called. */
const REPORTED = [
  // A failed connection attempt, with its stack: the callers report it in one line naming
  // DATABASE_URL (or fault 20011).
  'Acquire connection error',
  // A failed migration: MigrationFailed (migrator.ts) names it and its cause in one line.
  'migration file "',
  'migration failed with error: ',
  // knex's own lock step refused (SQLite's write lock held by another process): migrator.ts
  // waits and tries again, then says so in one line; knex's advice names a tool operators of
  // this service do not have.
  "Can't take lock to run migrations: ",
  'If you are sure migrations are not running',
];

/**
 * What knex logs (its `log` option): its other warnings on stderr, one line each. Without it
 * knex writes them to standard output, statement and stack included.
 */
export const knexLog = {
  warn(message: unknown): void {
    const text = String(message);
    if (!REPORTED.some((start) => text.startsWith(start)))
      process.stderr.write(`${text.split('\n')[0]}\n`);
  },
};

/**
 * How every knex of the service reports: its warnings through knexLog, and a failed statement's
 * error led by the statement with its placeholders, not with the values bound to them (knex's
 * default). Those values are addresses and keys; the error reaches the log (a call that failed
 * unexpectedly, a console page, a cause behind "database unavailable") and the command line.
 */
export const knexReporting = { log: knexLog, compileSqlOnError: false } as const;
