import BetterSqlite3 from 'better-sqlite3';

/**
 * BEGIN IMMEDIATE on the writer, waiting for another process's write lock (a command beside
 * the service, or the service beside a command) by trying again every millisecond, up to the
 * busy timeout, rather than through SQLite's own busy handler. That handler sleeps 1, 2, 5 …
 * then 100 ms between tries, so a writer waiting on a process that writes transaction after
 * transaction (`suppressions import`, 500 rows each) only got in when one of its sparse tries
 * fell into the few milliseconds between two of them: a SOAP opt-out beside a 100,000-row
 * import waited up to 436 ms, and longer imports could keep it out past its busy timeout.
 * A try is one failed lock request on the WAL index: some microseconds.
 */
export class LockPolling {
  private readonly noWait: BetterSqlite3.Statement;
  private readonly wait: BetterSqlite3.Statement;
  private readonly pause = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    db: BetterSqlite3.Database,
    private readonly busyTimeoutMs: number,
  ) {
    this.noWait = db.prepare('PRAGMA busy_timeout = 0');
    this.wait = db.prepare(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  }

  /**
   * Runs `begin` (a BEGIN IMMEDIATE, or one write outside a transaction: a statement that
   * failed with SQLITE_BUSY changed nothing), tried again until the busy timeout.
   */
  run<T>(begin: () => T): T {
    if (this.busyTimeoutMs === 0) return begin();
    const deadline = performance.now() + this.busyTimeoutMs;
    this.noWait.get();
    try {
      for (;;) {
        try {
          return begin();
        } catch (error) {
          if (!isBusy(error) || performance.now() >= deadline) throw error;
          Atomics.wait(this.pause, 0, 0, 1);
        }
      }
    } finally {
      this.wait.get();
    }
  }
}

function isBusy(error: unknown): boolean {
  return (
    error instanceof BetterSqlite3.SqliteError &&
    String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY')
  );
}
