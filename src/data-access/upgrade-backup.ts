import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ConfigError } from '../config.js';
import { backupSqlite, BackupRefused } from './backup.js';
import type { Database } from './database.js';
import { migrationStatus } from './migrator.js';

/** Where the copy taken before an upgrade's migrations goes: DATA_DIR/before-upgrade-TIME.sqlite. */
function upgradeBackupFile(dataDir: string, at = new Date()): string {
  return path.join(dataDir, `before-upgrade-${at.toISOString().replace(/[:.]/g, '-')}.sqlite`);
}

/** A copy taken before migrating, and the migrations that were then pending. */
export interface UpgradeBackup {
  file: string;
  pending: string[];
  /** Copies of earlier starts killed while they applied the same migrations, now removed. */
  replaced: string[];
}

/**
 * Runs `migrate` (the start's migrations) on the embedded SQLite database after a backup of it
 * in DATA_DIR, when it is an upgrade's: migrations pending on a database that has some applied.
 * A migration that fails is rolled back whole, but one that succeeds may change what its
 * rollback cannot give back exactly (re-keyed addresses merge their statuses): the copy is the
 * way back to the previous version as it was. Nothing is copied on a first start (an empty
 * database), when nothing is pending, or when a newer version migrated the database (nothing is
 * then applied), nor on PostgreSQL, which is backed up with its own tools (docs/operations.md).
 * A copy that cannot be written stops the start before anything is migrated, in one line
 * naming DATA_DIR. When the migrations fail and leave every one of them pending (SQLite undoes
 * the whole batch), the copy is removed: the database is still what it holds, and a start
 * retried on failure (systemd's Restart=) would otherwise leave one copy per attempt.
 */
export async function migrateAfterUpgradeBackup(
  database: Database,
  dataDir: string,
  stop: AbortSignal | undefined,
  backedUp: (copy: UpgradeBackup) => void,
  migrate: () => Promise<void>,
): Promise<void> {
  const copy = await backUpBeforeUpgrade(database, dataDir, stop);
  if (copy) backedUp(copy);
  try {
    await migrate();
  } catch (error) {
    if (copy && (await nothingApplied(database, copy.pending)))
      fs.rmSync(copy.file, { force: true });
    throw error;
  }
}

async function backUpBeforeUpgrade(
  database: Database,
  dataDir: string,
  stop: AbortSignal | undefined,
): Promise<UpgradeBackup | null> {
  if (database.engine !== 'sqlite' || dataDir === ':memory:') return null;
  const { applied, pending, unknown } = await migrationStatus(database);
  if (applied.length === 0 || pending.length === 0 || unknown.length > 0) return null;
  const file = upgradeBackupFile(dataDir);
  try {
    await backupSqlite(database, file, stop);
  } catch (error) {
    if (!(error instanceof BackupRefused)) throw error;
    throw new ConfigError(
      `DATA_DIR: cannot back up the database before applying migrations ${pending.join(', ')} (${error.message}); nothing was migrated. Free space in ${dataDir}, or back it up elsewhere ("durable-unsubscribe backup FILE") and apply them with "durable-unsubscribe migrate", then start again`,
    );
  }
  const replaced = unfinishedCopies(dataDir, file, applied);
  for (const stale of replaced) fs.rmSync(stale, { force: true });
  return { file, pending, replaced };
}

/** The migrations recorded in an SQLite file, or null when it cannot say (kept then). */
function recordedIn(file: string): string[] | null {
  try {
    const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT name FROM knex_migrations').all() as Array<{ name: string }>;
      return rows.map((r) => r.name);
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

/**
 * The copies in DATA_DIR, other than `own` (and the partial ones of copiedByADeadStart), taken before the migrations still pending: by a
 * start killed while it applied them (a SIGKILL, a power loss), which SQLite undid whole, so
 * that its copy never became the way back from a finished upgrade. They hold the database as it
 * was at that start, every migration recorded in it as in the database now; `own` holds it as it
 * is, so each start killed in a loop (a health check that restarts) no longer leaves one more
 * copy the size of the database. A copy of a finished upgrade records fewer migrations and stays.
 */
function unfinishedCopies(dataDir: string, own: string, applied: readonly string[]): string[] {
  const now = [...applied].sort().join('\n');
  return fs
    .readdirSync(dataDir)
    .map((name) => path.join(dataDir, name))
    .filter((file) => {
      if (file === own) return false;
      if (/\/before-upgrade-[^/]+\.sqlite$/.test(file))
        return recordedIn(file)?.sort().join('\n') === now;
      return copiedByADeadStart(file);
    });
}

/**
 * A partial copy (and its journal) a start killed while it copied left behind: its process is
 * gone, or has this process's id (a container's PID 1 again), this process's own partial being
 * renamed into place already.
 */
function copiedByADeadStart(file: string): boolean {
  const m = /\/before-upgrade-[^/]+\.sqlite\.partial-(\d+)(-journal|-wal|-shm)?$/.exec(file);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Whether every migration of `pending` still is; a database that cannot say keeps the copy. */
async function nothingApplied(database: Database, pending: string[]): Promise<boolean> {
  try {
    const now = new Set((await migrationStatus(database)).pending);
    return pending.every((name) => now.has(name));
  } catch {
    return false;
  }
}
