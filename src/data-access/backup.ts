import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SQLITE_FILE_NAME, type Database } from './database.js';
import { writeRefusedWhy } from './data-dir-problems.js';
import { errorCode } from './database-errors.js';
import { makeDataDir } from './make-dir.js';
import { quickCheckLine } from './quick-check.js';
import { databaseUsers } from './database-users.js';
import { statusesNotIn, type NotInBackup } from './backup-comparison.js';
export type { NotInBackup };

/** Why a backup or restore cannot be done, for one line on the command line. */
export class BackupRefused extends Error {
  override name = 'BackupRefused';
}

interface SqliteDriverConnection {
  backup(file: string, options?: { progress?: () => number }): Promise<unknown>;
}
interface KnexClientPool {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

// Pages per backup step: all of them, so the copy is one read transaction that writers in
// other processes cannot restart (WAL lets them go on writing meanwhile).
const WHOLE_FILE = 0x7fffffff;

/** A backup asked to stop (`stop` aborted) before its copy was renamed into place. */
export class BackupStopped extends Error {
  override name = 'BackupStopped';
}

/**
 * A turn of the event loop: a signal that came while a copy was written (one synchronous step)
 * is heard here, before the copy is renamed into place, so that a command stopped then leaves
 * nothing written rather than a finished copy.
 */
const signalsHeard = () => new Promise<void>((resolve) => setImmediate(resolve));

function unlessStopped(stop: AbortSignal | undefined): void {
  if (stop?.aborted) throw new BackupStopped('backup stopped');
}

/** SQLite's companions of a database file (WAL mode). */
const companions = (file: string) => [`${file}-wal`, `${file}-shm`];

/**
 * Checks `file` is a sound durable-unsubscribe database. Reading a WAL-mode file makes SQLite
 * create its -wal/-shm companions; those this check created are removed after it.
 */
function checkSqliteFile(file: string, shownAs = file): void {
  const created = companions(file).filter((f) => !fs.existsSync(f));
  try {
    checkOpenedFile(file, shownAs);
  } finally {
    for (const f of created) fs.rmSync(f, { force: true });
  }
}

function checkOpenedFile(file: string, shownAs: string): void {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    // Not "not an SQLite database": the file may well be one this user cannot read.
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM')
      throw new BackupRefused(`cannot read ${shownAs}: permission denied for this user (${code})`);
  }
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  } catch {
    throw new BackupRefused(`${shownAs} is not an SQLite database`);
  }
  try {
    const rows = db.pragma('quick_check') as Array<Record<string, unknown>>;
    const damage = quickCheckLine(rows.map((row) => String(Object.values(row)[0])));
    if (damage !== null) throw new BackupRefused(`${shownAs} is damaged: ${damage}`);
    const tables = new Set(
      (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{
          name: string;
        }>
      ).map((t) => t.name),
    );
    for (const t of ['knex_migrations', 'email_status', 'leads'])
      if (!tables.has(t))
        throw new BackupRefused(`${shownAs} is not a durable-unsubscribe database`);
  } catch (error) {
    if (error instanceof BackupRefused) throw error;
    throw new BackupRefused(`${shownAs} is not an SQLite database`);
  } finally {
    db.close();
  }
}

/** Makes a copied database one self-contained file (rollback journal, not WAL). */
function singleFile(file: string): void {
  const db = new BetterSqlite3(file, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

/**
 * What this process writes while it backs up to `file`, before the copy is renamed into place:
 * the copy and the -wal/-shm or -journal SQLite may make beside it. A command stopped midway
 * removes them: nothing is then written at `file`.
 */
export function partialBackupFiles(file: string): string[] {
  const partial = `${path.resolve(file)}.partial-${process.pid}`;
  // The copy is written in rollback-journal mode: a write refused midway (a full disk) leaves
  // its -journal beside it.
  return [partial, ...companions(partial), `${partial}-journal`];
}

/**
 * A consistent copy of the embedded database through SQLite's online backup API, while the
 * service keeps running: written beside `file`, made one self-contained file (no -wal/-shm
 * companions: it can be copied or kept on read-only media), checked, made 0600, then renamed
 * into place. The service turns WAL back on when it opens a restored copy.
 */
export async function backupSqlite(
  database: Database,
  file: string,
  stop?: AbortSignal,
): Promise<{ bytes: number }> {
  if (database.engine !== 'sqlite' || database.location === ':memory:')
    throw new BackupRefused('backup copies the embedded SQLite database (DATA_DIR)');
  const target = path.resolve(file);
  if (fs.existsSync(target)) throw new BackupRefused(`${file} exists: give a new file name`);
  if (!fs.existsSync(path.dirname(target)))
    throw new BackupRefused(`directory ${path.dirname(file)} does not exist`);
  const partial = partialBackupFiles(target)[0]!;
  const client = database.knex.client as unknown as KnexClientPool;
  const connection = (await client.acquireConnection()) as SqliteDriverConnection;
  try {
    unlessStopped(stop);
    // Created empty and 0600 first: SQLite keeps an existing file's mode.
    fs.closeSync(fs.openSync(partial, 'w', 0o600));
    // The copy is written by the database's thread, which opens `partial` itself: a stop waits
    // for it (removing the file before would let that thread make it again).
    await connection.backup(partial, { progress: () => WHOLE_FILE });
    unlessStopped(stop);
    singleFile(partial);
    fs.chmodSync(partial, 0o600);
    checkSqliteFile(partial, `the copy of ${database.location}`);
    await signalsHeard();
    unlessStopped(stop);
    fs.renameSync(partial, target);
  } catch (error) {
    for (const f of partialBackupFiles(target)) removeIfThere(f);
    throw refusedWrite(error, `cannot write ${file}`, 'nothing was written there');
  } finally {
    await client.releaseConnection(connection);
  }
  return { bytes: fs.statSync(target).size };
}

/** Removes `file` if it is there; a path that cannot hold one (through a file) holds nothing. */
function removeIfThere(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch (error) {
    if (errorCode(error) !== 'ENOTDIR') throw error;
  }
}

/**
 * A write the file system refused (a full disk, a file size limit, no permission, a read-only
 * file system) as a BackupRefused, for one line on the command line instead of the failure's
 * stack trace; any other error as it is.
 */
function refusedWrite(error: unknown, what: string, outcome: string): unknown {
  if (error instanceof BackupRefused || error instanceof BackupStopped) return error;
  const why = writeRefusedWhy(error);
  if (!why) return error;
  return new BackupRefused(`${what}: ${why} (${errorCode(error)}); ${outcome}`);
}

/**
 * What this process writes in `dataDir` while it restores, before each copy is renamed into
 * place: the copy of the database being replaced, the backup's copy, and the -wal/-shm or
 * journal SQLite may make beside them. A command stopped midway removes them: the database in
 * place is then as it was.
 */
export function partialRestoreFiles(dataDir: string): string[] {
  const mine = new RegExp(`\\.partial-${process.pid}(-wal|-shm|-journal)?$`);
  let names: string[];
  try {
    names = fs.readdirSync(dataDir);
  } catch {
    return [];
  }
  return names.filter((n) => mine.test(n)).map((n) => path.join(dataDir, n));
}

/** Copies the database `from` into `to` through a partial file renamed into place (0600). */
async function copyInto(from: BetterSqlite3.Database, to: string): Promise<void> {
  const partial = `${to}.partial-${process.pid}`;
  fs.closeSync(fs.openSync(partial, 'w', 0o600));
  await from.backup(partial, { progress: () => WHOLE_FILE });
  fs.chmodSync(partial, 0o600);
  await signalsHeard();
  // The replaced database's -wal would be read as the new one's: gone first.
  for (const f of companions(to)) fs.rmSync(f, { force: true });
  fs.renameSync(partial, to);
}

/**
 * Replaces the embedded database in `dataDir` with the backup `file`, the service stopped.
 * The database being replaced is first backed up beside it; returns that copy's path. Each
 * copy is written beside its place and renamed into it: stopped midway, the database in place
 * is as it was (partialRestoreFiles are what is left to remove).
 */
export async function restoreSqlite(dataDir: string, file: string): Promise<Restored> {
  const source = path.resolve(file);
  if (!fs.existsSync(source)) throw new BackupRefused(`No such file: ${file}`);
  checkSqliteFile(source);
  const live = path.join(dataDir, SQLITE_FILE_NAME);
  if (source === path.resolve(live)) throw new BackupRefused(`${file} is the database itself`);
  const users = databaseUsers(dataDir, live);
  if (users.inUse)
    throw new BackupRefused(
      `the database is ${users.named}: stop the service (and any command using it) first`,
    );
  makeDataDir(dataDir);
  try {
    return await replaceDatabase(dataDir, live, source);
  } catch (error) {
    for (const f of partialRestoreFiles(dataDir)) fs.rmSync(f, { force: true });
    throw refusedWrite(
      error,
      `cannot write in ${dataDir} (DATA_DIR)`,
      `nothing restored, the database in ${dataDir} is as it was`,
    );
  }
}

/** What a restore did: where the database it replaced was kept, and what the backup lacks. */
export interface Restored {
  previous: string | null;
  /** null: nothing; 'unknown': the replaced database could not be compared (damaged, say). */
  notInBackup: NotInBackup | 'unknown' | null;
}

/**
 * restoreSqlite's copies: the database in place kept beside it (with what the backup lacks of
 * it counted), then the backup put in place.
 */
async function replaceDatabase(dataDir: string, live: string, source: string): Promise<Restored> {
  const created = companions(source).filter((f) => !fs.existsSync(f));
  let previous: string | null = null;
  let notInBackup: Restored['notInBackup'] = null;
  try {
    if (fs.existsSync(live)) {
      previous = path.join(
        dataDir,
        `before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}.sqlite`,
      );
      if (fs.existsSync(previous)) throw new BackupRefused(`${previous} exists: try again`);
      const current = new BetterSqlite3(live, { fileMustExist: true });
      try {
        try {
          notInBackup = statusesNotIn(current, source);
        } catch {
          notInBackup = 'unknown';
        }
        await copyInto(current, previous);
      } finally {
        current.close();
      }
    }
    const backup = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
    try {
      await copyInto(backup, live);
    } finally {
      backup.close();
    }
  } finally {
    for (const f of created) fs.rmSync(f, { force: true });
  }
  return { previous, notInBackup };
}
