import fs from 'node:fs';
import path from 'node:path';
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
  return { file, pending };
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
