import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { createServices } from '../compose.js';
import { openDatabase, SQLITE_FILE_NAME, type Database } from '../data-access/database.js';
import { dataDirWriteProblem } from '../data-access/data-dir-problems.js';
import { MigrationRefused, migrationStatus } from '../data-access/migrator.js';
import { plural } from './printable.js';
import { runSuppressionsCommand } from './suppressions.command.js';

/**
 * The commands that only read, by their words: they never create the embedded database (nor
 * its directory or secrets). A DATA_DIR with a typo must not answer with an empty database: an
 * export of nothing, a "verify" that finds no violation.
 */
export function readingCommand(command: string, args: readonly string[]): string | null {
  const action = args[0];
  if ((command === 'explain' && action) || command === 'verify') return command;
  if (command === 'migrate' && action === 'status') return 'migrate status';
  if (command === 'suppressions' && action === 'export') return 'suppressions export';
  if ((command === 'users' || command === 'operators') && action === 'list')
    return `${command} list`;
  return null;
}

/**
 * One line when the embedded database of `config` does not exist yet (nothing is created
 * then); null when it does, when PostgreSQL is used, or when opening it will say why it
 * cannot be there (a DATA_DIR below a file, a directory this user cannot enter).
 */
export function noDatabaseYet(config: Config, command: string): string | null {
  if (config.databaseUrl || config.dataDir === ':memory:') return null;
  try {
    fs.statSync(path.join(config.dataDir, SQLITE_FILE_NAME));
    return null;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') return null;
  }
  return `DATA_DIR: there is no database in ${config.dataDir} yet, and ${command} creates none: check DATA_DIR, or start the service (or run "durable-unsubscribe migrate") to create it`;
}

/**
 * A command that only reads, on a database that lacks migrations of this version: refused in
 * one line, the database unchanged. It applied them: a `verify` or an export run with a new
 * version's binary (a cron job, a check before the upgrade) migrated the database under the
 * previous version's instances, before the backup an upgrade starts with and before the
 * instances some migrations need stopped were (docs/operations.md, "Upgrading"). A database
 * a newer version migrated too (it went another way) is left to the migrator, which says so.
 */
export async function refuseUnappliedMigrations(db: Database, command: string): Promise<void> {
  const { applied, pending, unknown } = await migrationStatus(db);
  if (pending.length === 0 || unknown.length > 0) return;
  // No schema at all: a DATABASE_URL naming another database (verify made the whole schema
  // there, and found it sound).
  if (applied.length === 0)
    throw new MigrationRefused(
      `${command} only reads, and the database holds no durable-unsubscribe schema yet; nothing was created: check ${db.engine === 'sqlite' ? 'DATA_DIR' : 'DATABASE_URL'}, or start the service (or run "durable-unsubscribe migrate") to create it`,
    );
  throw new MigrationRefused(
    `${command} only reads, and the database lacks ${plural(pending.length, 'migration', 'migrations')} of this version (${pending.join(', ')}); nothing was changed. Apply them first (start this version's service, or "durable-unsubscribe migrate"), or run ${command} with the version the database is at`,
  );
}

/**
 * Why this user cannot write the embedded database (EROFS: a read-only file system, where no
 * process can be writing; EACCES: the file or its directory is another user's, who may be), or
 * null when it can. SQLite writes the directory too (the -wal and -shm files).
 */
export function embeddedWriteRefused(config: Config): 'EROFS' | 'EACCES' | null {
  if (config.databaseUrl || config.dataDir === ':memory:') return null;
  const file = path.join(config.dataDir, SQLITE_FILE_NAME);
  let refused: 'EROFS' | 'EACCES' | null = null;
  for (const f of [config.dataDir, file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.accessSync(f, fs.constants.W_OK);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT') continue;
      if (code === 'EROFS') return 'EROFS';
      refused = 'EACCES';
    }
  }
  return refused;
}

/**
 * `suppressions export` from an embedded database this user cannot write: opened read-only,
 * nothing created beside it, no write lock taken. An export first waits for the writes in
 * flight (settleWrites), so that a status stamped before it started and committed after is
 * not missed; on SQLite that wait is the write lock, which a read-only file cannot take. It is
 * not needed where no process can be writing: a read-only file system (EROFS), or a backup (a
 * closed, self-contained file: no -wal). Where another user's process may be writing (the
 * file is in use: its -wal file is there), one line on stderr says the export did not wait: a
 * status being written as it started (a write transaction lasts seconds) is in the next
 * export, within the margin of its --since (docs/operations.md).
 */
export async function exportReadOnly(
  config: Config,
  args: readonly string[],
  refused: 'EROFS' | 'EACCES',
  io: { out: NodeJS.WriteStream; err: NodeJS.WriteStream },
): Promise<number> {
  const file = path.join(config.dataDir, SQLITE_FILE_NAME);
  const db = openDatabase({ ...config, readOnly: true });
  try {
    const { pending } = await migrationStatus(db);
    if (pending.length > 0) {
      io.err.write(
        `suppressions export: the database in ${config.dataDir} (DATA_DIR) is read-only for this user and lacks ${plural(pending.length, 'migration', 'migrations')} of this version: export it with the version that wrote it, or from a copy this user can write\n`,
      );
      return 1;
    }
    if (refused === 'EACCES' && fs.existsSync(`${file}-wal`))
      io.err.write(
        `warning: suppressions export: the database in ${config.dataDir} (DATA_DIR) is in use and read-only for this user: the export could not wait for writes in flight; a status being written as it started is in the next export (--since the start of this one, less a few minutes)\n`,
      );
    return await runSuppressionsCommand(args, createServices(db, config), io);
  } catch (error) {
    const code = String((error as { code?: unknown } | null)?.code ?? '');
    if (code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_READONLY_DIRECTORY') {
      io.err.write(
        `suppressions export: the database in ${config.dataDir} (DATA_DIR) cannot be opened read-only (${code}): SQLite needs its -wal and -shm files there, or to create them; export from a backup ("durable-unsubscribe backup" writes one that opens read-only), or as the user who owns DATA_DIR\n`,
      );
      return 1;
    }
    throw dataDirWriteProblem(config.dataDir, error) ?? error;
  } finally {
    await db.close().catch(() => undefined);
  }
}
