import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import {
  backupSqlite,
  BackupRefused,
  partialBackupFiles,
  partialRestoreFiles,
  restoreSqlite,
} from '../data-access/backup.js';
import {
  databaseHost,
  openDatabase,
  SQLITE_FILE_NAME,
  type Database,
} from '../data-access/database.js';
import {
  isKnownMigration,
  lastBatch,
  migrateLatest,
  migrationInProgress,
  migrationStatus,
  rollback,
  rollbackDestroysData,
} from '../data-access/migrator.js';
import { LINK_SECRET_FILE_NAME, SECRET_FILE_NAME } from '../data-access/key-cipher.js';
import { rebuildInvalidIndexes, type InvalidIndex } from '../data-access/invalid-indexes.js';
import { dataDirWriteProblem } from '../data-access/data-dir-problems.js';
import { databaseUsers } from '../data-access/database-users.js';
import { secretsToKeep } from './backup-secrets.js';
import { replayAdvice } from './restore-replay.js';
import { stopNow, whileRunning, type StopSignal } from './stop-signals.js';

export const MIGRATE_HELP = `Usage: durable-unsubscribe migrate [latest|status|rollback [--yes-destroy-data] [--backup FILE]]

  latest    apply every pending migration (default; "serve" does it at start, on SQLite
            after copying the database to DATA_DIR/before-upgrade-TIME.sqlite; this command
            takes no copy)
  status    list applied and pending migrations by name (reads only: with no database in
            DATA_DIR it says so and exits 1, creating none)
  rollback  undo the last batch of migrations. A migration whose undoing drops stored data
            (the first start applies them all as one batch: every person, status and history
            row) is refused unless --yes-destroy-data is given; then the SQLite database is
            first backed up (to --backup FILE, or DATA_DIR/before-rollback-TIME.sqlite).
            On PostgreSQL take a pg_dump first: the refusal says how.`;

export const BACKUP_HELP = `Usage: durable-unsubscribe backup FILE

Copies the embedded SQLite database to FILE (a new file, mode 0600) with SQLite's online backup
API: a consistent snapshot while the service keeps running and writing. Keep the key-sealing
secret (DATA_DIR/user-key.secret, or USER_KEY_SECRET) with it. PostgreSQL is backed up with
pg_dump or continuous archiving: see docs/operations.md.`;

export const RESTORE_HELP = `Usage: durable-unsubscribe restore FILE

Replaces the embedded SQLite database in DATA_DIR with the backup FILE. Stop the service first
(restore refuses while any process has the database open). The database being replaced is
first copied to DATA_DIR/before-restore-TIME.sqlite. When that copy holds master statuses the
backup lacks (recorded after it was taken), restore says how many and prints the commands that
export their opt-outs from the copy and import them: run them before starting the service.
Run "durable-unsubscribe verify" after.
PostgreSQL: pg_restore (see docs/operations.md).`;

type Io = { out: NodeJS.WritableStream; err: NodeJS.WritableStream };

/**
 * Runs `work`, which backs up to `file`: a stop signal lets the copy in hand end (the
 * database's thread writes it), then the copy is removed instead of renamed into place, and
 * one line (`say`) tells what is at `file`; a second signal stops at once, removing it too.
 * A signal heard after the rename finds the backup whole: when the backup is the whole work
 * (`wholeIsDone`: the backup command) it is then ignored, the command ending as it would have
 * (its line, exit 0), never "stopped" with a complete file; when more was to follow (migrate
 * rollback) that is not done, and the line says the backup is whole.
 */
async function backingUpTo<T>(
  file: string,
  say: (signal: StopSignal, atFile: string) => string,
  work: (stop: AbortSignal) => Promise<T>,
  wholeIsDone = false,
): Promise<T> {
  const there = fs.existsSync(file);
  const stop = new AbortController();
  let stoppedBy: StopSignal | null = null;
  const partials = () => partialBackupFiles(file).filter((f) => fs.existsSync(f));
  const written = () => !there && partials().length === 0 && fs.existsSync(file);
  const end = (signal: StopSignal): never => {
    const partial = partials();
    for (const f of partial) fs.rmSync(f, { force: true });
    const whole = partial.length === 0 && !there && fs.existsSync(file);
    return stopNow(
      signal,
      say(signal, whole ? `${file} was already written whole` : `nothing was written at ${file}`),
    );
  };
  const result = await whileRunning(
    (signal: StopSignal) => {
      if (wholeIsDone && written()) return;
      if (stoppedBy) end(signal);
      stoppedBy = signal;
      stop.abort();
    },
    async () => {
      try {
        return await work(stop.signal);
      } catch (error) {
        if (stoppedBy) end(stoppedBy);
        throw error;
      }
    },
  );
  if (stoppedBy && !(wholeIsDone && written())) end(stoppedBy);
  return result;
}

/**
 * What `migrate` stopped by `signal` says: the migration (or index rebuild) it was in, and that
 * running it again is safe. A migration's transaction is rolled back by the database when the
 * process ends (on SQLite the whole batch is one); a concurrent index build (PostgreSQL) is not
 * in one: it may be left invalid, which the next run drops and builds again.
 */
function migrateStopped(
  signal: StopSignal,
  migration: string | null,
  rebuilding: InvalidIndex | null,
): string {
  const again = 'it is safe to run "durable-unsubscribe migrate" again';
  if (migration)
    return `migrate stopped by ${signal} while applying migration ${migration}: the database undoes what it had not finished (an index being built concurrently may be left invalid; the next run rebuilds it); ${again}, which finishes it`;
  if (rebuilding)
    return `migrate stopped by ${signal} while rebuilding index ${rebuilding.index} on ${rebuilding.table}: it may still be invalid; ${again}, which rebuilds it`;
  return `migrate stopped by ${signal} with no migration in progress: ${again}, which applies what is pending`;
}

function pgDumpHint(config: Config): string {
  const u = new URL(config.databaseUrl);
  return `pg_dump --format=custom --file=du-$(date +%F).dump --host=${u.hostname} --port=${u.port || 5432}${u.username ? ` --username=${decodeURIComponent(u.username)}` : ''} ${decodeURIComponent(u.pathname.slice(1))}`;
}

/**
 * What restoring PostgreSQL takes: pg_restore replaces the whole database, so the opt-outs
 * acknowledged since the dump are exported first and imported after (docs/operations.md).
 */
function pgRestoreHint(databaseUrl: string, file: string): string {
  const u = new URL(databaseUrl);
  const user = u.username ? ` --username=${decodeURIComponent(u.username)}` : '';
  return [
    `restore replaces the embedded SQLite database; PostgreSQL at ${databaseHost(databaseUrl)} is restored with pg_restore, which drops what was recorded since the dump was taken. With the instances stopped:`,
    '  durable-unsubscribe suppressions export --since TIME > since-backup.csv   (TIME: when the dump started, less a few minutes)',
    `  pg_restore --clean --if-exists --no-owner --host=${u.hostname} --port=${u.port || 5432}${user} --dbname=${decodeURIComponent(u.pathname.slice(1))} ${file}`,
    '  durable-unsubscribe suppressions import since-backup.csv',
    'then start the instances and run "durable-unsubscribe verify" (docs/operations.md, Restoring)',
  ].join('\n');
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** A flag's value; null when the flag is given without one. */
function flagValue(args: readonly string[], name: string): string | undefined | null {
  const i = args.indexOf(name);
  const v = i >= 0 ? args[i + 1] : undefined;
  return i >= 0 && (v === undefined || v.startsWith('--')) ? null : v;
}

/** The help when `args` name no action of `migrate` (exit 2), checked before the database is opened. */
export function migrateUsageError(args: readonly string[]): string | null {
  return ['latest', 'status', 'rollback'].includes(args[0] ?? 'latest') ? null : MIGRATE_HELP;
}

export async function runMigrateCommand(
  args: readonly string[],
  db: Database,
  config: Config,
  io: Io,
): Promise<number> {
  const action = args[0] ?? 'latest';
  if (action === 'latest') {
    let rebuilding: InvalidIndex | null = null;
    const stop = (signal: StopSignal) =>
      stopNow(signal, migrateStopped(signal, migrationInProgress(), rebuilding));
    const applied = await whileRunning(stop, () =>
      migrateLatest(db, (line) => io.err.write(`${line}\n`)),
    );
    io.out.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Already up to date.\n');
    const rebuilt = await whileRunning(stop, () =>
      rebuildInvalidIndexes(db, (index) => (rebuilding = index)),
    );
    for (const r of rebuilt)
      io.out.write(
        `Rebuilt index ${r.index} on ${r.table}, left invalid by an interrupted build.\n`,
      );
    return 0;
  }
  if (action === 'status') {
    const s = await migrationStatus(db);
    for (const m of s.applied) io.out.write(`applied  ${m}\n`);
    for (const m of s.pending) io.out.write(`pending  ${m}\n`);
    for (const m of s.unknown) io.out.write(`newer    ${m} (applied by a newer version)\n`);
    return 0;
  }
  if (action !== 'rollback') {
    io.err.write(MIGRATE_HELP + '\n');
    return 2;
  }
  const batch = await lastBatch(db);
  if (batch.length === 0) {
    io.out.write('Nothing to roll back.\n');
    return 0;
  }
  const newer = batch.filter((name) => !isKnownMigration(name));
  if (newer.length > 0) {
    io.err.write(
      `Refused: the last batch holds migrations of a newer version (${newer.join(', ')}): roll it back with that version\n`,
    );
    return 2;
  }
  // A service on the file would serve on a schema its code does not know (as restore, refused).
  if (db.engine === 'sqlite' && config.dataDir !== ':memory:') {
    const users = databaseUsers(config.dataDir, path.join(config.dataDir, SQLITE_FILE_NAME));
    if (users.inUse) {
      io.err.write(
        `Refused: the database is ${users.named}: stop the service (and any command using it) first; nothing rolled back\n`,
      );
      return 1;
    }
  }
  const destroying = batch.filter(rollbackDestroysData);
  if (destroying.length > 0) {
    if (!args.includes('--yes-destroy-data')) {
      io.err.write(
        `Refused: rolling back ${destroying.join(', ')} deletes stored data (people, statuses, history or users).\n` +
          (db.engine === 'postgres'
            ? `Take a backup first (${pgDumpHint(config)}), then run "migrate rollback --yes-destroy-data".\n`
            : 'Run "migrate rollback --yes-destroy-data" to go ahead; the database is backed up first.\n'),
      );
      return 2;
    }
    if (db.engine === 'sqlite' && config.dataDir !== ':memory:') {
      const given = flagValue(args, '--backup');
      if (given === null) {
        io.err.write('--backup needs a file name\n');
        return 2;
      }
      const file = given ?? path.join(config.dataDir, `before-rollback-${stamp()}.sqlite`);
      try {
        await backingUpTo(
          file,
          (signal, atFile) =>
            `migrate rollback stopped by ${signal} before anything was rolled back: ${atFile}`,
          (stop) => backupSqlite(db, file, stop),
        );
      } catch (error) {
        if (!(error instanceof BackupRefused)) throw error;
        io.err.write(`Nothing rolled back: the backup failed: ${error.message}\n`);
        return 1;
      }
      io.out.write(`Backed up to ${file} before rolling back.\n`);
    } else if (db.engine === 'postgres') {
      io.out.write(
        `No backup taken here: PostgreSQL backups are pg_dump's (${pgDumpHint(config)}).\n`,
      );
    }
  }
  const undone = await rollback(db, false, (line) => io.err.write(`${line}\n`));
  io.out.write(undone.length ? `Rolled back: ${undone.join(', ')}\n` : 'Nothing to roll back.\n');
  return 0;
}

/**
 * The FILE argument of a command that works on the embedded SQLite file (backup, restore), or
 * null once the reason it cannot run has been written: no FILE, PostgreSQL, or an in-memory
 * database.
 */
function embeddedFileArgument(
  args: readonly string[],
  config: Config,
  io: Io,
  say: { help: string; onPostgres: (url: string) => string; inMemory: string },
): string | null {
  const file = args[0];
  let refusal: string | null = null;
  if (!file || file.startsWith('--')) refusal = say.help;
  else if (config.databaseUrl) refusal = say.onPostgres(config.databaseUrl);
  else if (config.dataDir === ':memory:') refusal = say.inMemory;
  if (refusal === null) return file!;
  io.err.write(refusal + '\n');
  return null;
}

export async function runBackupCommand(
  args: readonly string[],
  config: Config,
  io: Io,
): Promise<number> {
  const file = embeddedFileArgument(args, config, io, {
    help: BACKUP_HELP,
    onPostgres: (url) =>
      `backup copies the embedded SQLite database; PostgreSQL at ${databaseHost(url)} is backed up with pg_dump: ${pgDumpHint(config)}`,
    inMemory: 'backup: DATA_DIR=:memory: keeps nothing to back up',
  });
  if (file === null) return 2;
  const missing = unreadableDatabase(path.join(config.dataDir, SQLITE_FILE_NAME));
  if (missing === 'ENOENT') {
    io.err.write(`backup: there is no database in ${config.dataDir} (DATA_DIR)\n`);
    return 1;
  }
  if (missing) {
    io.err.write(
      `backup: cannot read the database in ${config.dataDir} (DATA_DIR): permission denied for this user (${missing}); run it as the user the service runs as\n`,
    );
    return 1;
  }
  const db = openDatabase(config);
  const stopped = (signal: StopSignal, atFile: string) => `backup stopped by ${signal}: ${atFile}`;
  return backingUpTo(
    file,
    stopped,
    async (stop) => {
      try {
        // A database that is not ours (or damaged) fails here.
        if ((await migrationStatus(db)).applied.length === 0) {
          io.err.write(
            `backup: the database in ${config.dataDir} holds no schema yet: nothing to back up (start the service or run "durable-unsubscribe migrate" first)\n`,
          );
          return 1;
        }
        const { bytes } = await backupSqlite(db, file, stop);
        io.out.write(
          `Backed up ${db.location} to ${file} (${bytes} bytes). ${secretsToKeep(config, {
            userKey: path.join(config.dataDir, SECRET_FILE_NAME),
            linkKey: path.join(config.dataDir, LINK_SECRET_FILE_NAME),
          })}\n`,
        );
        return 0;
      } catch (error) {
        // Reading the database makes SQLite write beside it (its -shm, a -wal to recover): on a
        // full or read-only DATA_DIR that fails, said in one line instead of a stack trace.
        const dataDir = dataDirWriteProblem(config.dataDir, error);
        if (dataDir) {
          io.err.write(`backup: ${dataDir.message}; nothing was written at ${file}\n`);
          return 1;
        }
        if (!(error instanceof BackupRefused)) throw error;
        io.err.write(`backup: ${error.message}\n`);
        return 1;
      } finally {
        await db.close().catch(() => undefined);
      }
    },
    true,
  );
}

/**
 * Why the database `file` cannot be read: ENOENT (it is not there), EACCES (this user may not
 * read it or enter its directory, which existsSync also reports as "not there"), or null.
 */
function unreadableDatabase(file: string): string | null {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return null;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === 'EACCES' || code === 'EPERM' ? code : 'ENOENT';
  }
}

export async function runRestoreCommand(
  args: readonly string[],
  config: Config,
  io: Io,
): Promise<number> {
  const file = embeddedFileArgument(args, config, io, {
    help: RESTORE_HELP,
    onPostgres: (url) => pgRestoreHint(url, args[0] ?? 'FILE'),
    inMemory: 'restore: DATA_DIR=:memory: has no database file to replace',
  });
  if (file === null) return 2;
  // Each copy is renamed into place whole: stopped before, the database in place is as it was.
  const stop = (signal: StopSignal) => {
    for (const f of partialRestoreFiles(config.dataDir)) fs.rmSync(f, { force: true });
    stopNow(
      signal,
      `restore stopped by ${signal}: nothing restored, the database in ${config.dataDir} is as it was`,
    );
  };
  try {
    const restored = await whileRunning(stop, () => restoreSqlite(config.dataDir, file));
    const { previous } = restored;
    io.out.write(
      `Restored ${file} into ${config.dataDir}.${previous ? ` The database it replaced is in ${previous}.` : ''} Check it with "durable-unsubscribe verify".\n${replayAdvice(restored, config.dataDir, SQLITE_FILE_NAME)}`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof BackupRefused)) throw error;
    io.err.write(`restore: ${error.message}\n`);
    return 1;
  }
}
