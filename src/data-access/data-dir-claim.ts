import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ConfigError } from '../config.js';
import { CLAIM_FILE_NAME, processesHolding } from './database-users.js';

export { CLAIM_FILE_NAME };

// The claims of this process, by directory: held until it exits (a claim closed by the
// garbage collector would be a claim lost).
const held = new Map<string, BetterSqlite3.Database>();

/**
 * One serving instance per SQLite DATA_DIR. The processes of one instance (WORKERS) share the
 * file by design: the primary claims the directory, its workers do not. A second instance on
 * the same directory (started with another PORT, or forgotten in another terminal) is refused
 * in one line: two instances would each group-commit their own writes, fight over the write
 * lock, and share no rate limits or concurrency loans. The claim is SQLite's exclusive lock on
 * a file of its own (never the database: the commands open that one beside the service), which
 * the operating system drops however the process ends, kill -9 included: nothing stale to
 * remove by hand. Commands (import, export, backup, …) claim nothing.
 */
export function claimDataDir(dataDir: string): void {
  const key = path.resolve(dataDir);
  if (held.has(key)) return;
  const file = path.join(key, CLAIM_FILE_NAME);
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const lock = new BetterSqlite3(file, { fileMustExist: true });
  try {
    lock.pragma('busy_timeout = 0');
    lock.pragma('locking_mode = EXCLUSIVE');
    // The lock's transaction writes nothing: its journal kept in memory, no serve.lock-journal
    // is made beside it (one stayed in DATA_DIR after every start, a refused one's included).
    lock.pragma('journal_mode = MEMORY');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    if (!String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY')) throw error;
    const holders = processesHolding(file);
    throw new ConfigError(
      `DATA_DIR: another instance serves the database in ${key}${holders.length > 0 ? ` (process ${holders.join(', ')})` : ''}: stop it, or give this one its own DATA_DIR. One instance runs several processes with WORKERS; several instances share a database on PostgreSQL (DATABASE_URL)`,
    );
  }
  // One left by an earlier version: the directory is ours now, nobody else's journal.
  fs.rmSync(`${file}-journal`, { force: true });
  held.set(key, lock);
}
