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
const knexLog = {
  warn(message: unknown): void {
    const text = String(message);
    if (!REPORTED.some((start) => text.startsWith(start)))
      process.stderr.write(`${text.split('\n')[0]}\n`);
  },
};

/** The start of knex's line for a pooled connection that broke while idle (a server restart). */
const CONNECTION_LOST = 'Connection Error: ';

/**
 * knexLog for a PostgreSQL pool: a pooled connection the server closed while idle (it restarted,
 * or a pooler or firewall dropped it) is said through `onConnectionLost`, once a minute at most
 * (a restart breaks every idle connection of the pool, each noticed when next used), in our own
 * words; knex's bare `Connection Error: …` line never reaches stderr. Nothing is lost with such
 * a connection: the pool opens another, and a call that cannot get one fails and says why.
 */
export function pgKnexLog(
  host: string,
  onConnectionLost: ((message: string) => void) | undefined,
  quietMs = 60000,
): typeof knexLog {
  let saidAt = -Infinity;
  return {
    warn(message: unknown): void {
      const text = String(message);
      if (!text.startsWith(CONNECTION_LOST)) return knexLog.warn(message);
      const now = Date.now();
      if (!onConnectionLost || now - saidAt < quietMs) return;
      saidAt = now;
      const why = text
        .slice(CONNECTION_LOST.length)
        .split('\n')[0]!
        .replace(/^Error: /, '');
      onConnectionLost(
        `PostgreSQL at ${host} closed idle pooled connections (${why}); new ones are opened as calls need them`,
      );
    },
  };
}

/**
 * How every knex of the service reports: its warnings through knexLog, and a failed statement's
 * error led by the statement with its placeholders, not with the values bound to them (knex's
 * default). Those values are addresses and keys; the error reaches the log (a call that failed
 * unexpectedly, a console page, a cause behind "database unavailable") and the command line.
 */
export const knexReporting = { log: knexLog, compileSqlOnError: false } as const;
