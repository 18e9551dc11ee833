import type { Knex } from 'knex';
import pg from 'pg';
import { migrations } from '../../migrations/index.js';
import { ConfigError } from '../config.js';
import { pgConnectionString } from '../config/ssl-mode.js';
import type { Database, Engine } from './database.js';

/**
 * Why migrations are not run (or not undone) here, in one line for the operator: the database
 * was migrated by another version. cli/index.ts prints it as it is.
 */
export class MigrationRefused extends Error {
  override name = 'MigrationRefused';
}

/**
 * A migration that failed, in one line naming it and its cause (cli/index.ts prints it as it
 * is), not knex's lines and the driver's stack. `code` is its cause's, for those who judge by
 * it (a busy SQLite file is waited for, a full DATA_DIR named).
 */
export class MigrationFailed extends Error {
  override name = 'MigrationFailed';
  readonly code?: string;

  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`migration ${migration} failed: ${causeLine(cause)}`, { cause });
    const code = (cause as { code?: unknown } | null)?.code;
    if (typeof code === 'string') this.code = code;
  }
}

/** A failure's message on one line; knex puts the statement first ("<statement> - <error>"). */
function causeLine(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  let line = (cause instanceof Error ? cause.message : String(cause)).replace(/\s+/g, ' ').trim();
  const cut = line.lastIndexOf(' - ');
  if (cut >= 0) line = line.slice(cut + 3);
  if (line.length > 300) line = `${line.slice(0, 300)}…`;
  return typeof code === 'string' && !line.includes(code) ? `${line} (${code})` : line;
}

// The migration this process is applying or undoing (a stop signal's line names it).
let running: string | null = null;

/** The name of the migration this process is applying or undoing now, if any. */
export function migrationInProgress(): string | null {
  return running;
}

/** A migration whose failure is a MigrationFailed naming it. */
function naming(name: string, migration: Knex.Migration): Knex.Migration {
  const failing =
    (run: (knex: Knex) => PromiseLike<unknown>) =>
    async (knex: Knex): Promise<unknown> => {
      running = name;
      try {
        return await run(knex);
      } catch (error) {
        throw new MigrationFailed(name, error);
      } finally {
        running = null;
      }
    };
  return {
    ...migration,
    up: failing(migration.up),
    ...(migration.down ? { down: failing(migration.down) } : {}),
  };
}

/** Hears what an operator should know while migrations run (one line each). */
export type MigrationNotice = (line: string) => void;

const KNOWN = new Set(migrations.map(([name]) => name));

class ListedMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly engine: Engine) {}

  getMigrations(): Promise<string[]> {
    return Promise.resolve(migrations.map(([name]) => name));
  }
  getMigrationName(name: string): string {
    return name;
  }
  getMigration(name: string): Promise<Knex.Migration> {
    const found = migrations.find(([n]) => n === name);
    if (!found) return Promise.reject(new Error(`Unknown migration ${name}`));
    // A migration runs outside a transaction for PostgreSQL's CREATE INDEX CONCURRENTLY alone.
    // On SQLite every one runs inside: knex then runs the whole batch, and the migration lock
    // it takes, in one transaction (BEGIN IMMEDIATE), so a process killed half-way leaves
    // neither half a batch nor a lock behind, and a second process waits for the first.
    const migration = naming(name, found[1]);
    if (this.engine === 'sqlite')
      return Promise.resolve({ ...migration, config: { transaction: true } });
    return Promise.resolve(migration);
  }
}

const config = (engine: Engine): Knex.MigratorConfig => ({
  migrationSource: new ListedMigrationSource(engine),
  tableName: 'knex_migrations',
  // Migrations applied by a newer version are this module's to judge (newerSchema), not a
  // "corrupt migration directory".
  disableMigrationsListValidation: true,
});

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied to the database by another (newer) version: this one does not know them. */
  unknown: string[];
}

/**
 * Runs `migrate` with SQLite's temporary journals in files: the writer keeps them in memory
 * (sqlite-thread/worker.ts), where a migration's statement journal, as large as the table it
 * rewrites, could take the process's memory. The setting comes back when it ends.
 */
export async function withTempFiles<T>(db: Database, migrate: () => Promise<T>): Promise<T> {
  if (db.engine !== 'sqlite') return migrate();
  const [row] = (await db.knex.raw('PRAGMA temp_store')) as Array<{ temp_store: number }>;
  await db.knex.raw('PRAGMA temp_store = FILE');
  try {
    return await migrate();
  } finally {
    await db.knex.raw(`PRAGMA temp_store = ${Number(row?.temp_store ?? 0)}`);
  }
}

/** The migrations recorded in the database, in the order they were applied. */
async function recorded(db: Database): Promise<string[]> {
  if (!(await db.knex.schema.hasTable('knex_migrations'))) return [];
  const rows = (await db.knex('knex_migrations').select('name').orderBy('id')) as Array<{
    name: string;
  }>;
  return rows.map((r) => r.name);
}

/** Why the PostgreSQL server of `db` takes no writes, or null when it does (SQLite: null). */
export async function writesRefused(db: Database): Promise<'standby' | 'read only' | null> {
  if (db.engine !== 'postgres') return null;
  const { rows } = (await db.knex.raw(
    "SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS read_only",
  )) as { rows: Array<{ standby: boolean; read_only: string }> };
  const [server] = rows;
  if (server?.standby) return 'standby';
  if (server?.read_only === 'on') return 'read only';
  return null;
}

/**
 * A PostgreSQL server that takes no writes (a hot standby, or default_transaction_read_only):
 * said in one line naming DATABASE_URL, instead of the first failed write's stack trace.
 */
async function refuseReadOnly(db: Database): Promise<void> {
  const refused = await writesRefused(db);
  if (refused === 'standby')
    throw new ConfigError(
      'DATABASE_URL: the server is a standby (in recovery) and takes no writes; point DATABASE_URL at the primary (DATABASE_READ_URL is the setting for a standby)',
    );
  if (refused === 'read only')
    throw new ConfigError(
      'DATABASE_URL: the server takes no writes here (default_transaction_read_only is on for this database or role); point DATABASE_URL at a writable primary',
    );
}

// The key of the PostgreSQL advisory lock every migrating process of this service holds (the
// address locks, address-lock.ts, are sha256 digests: a collision with this one is as likely
// as one between two addresses).
const MIGRATION_LOCK_KEY = 0x64752d6d69677261n; // "du-migra"

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` holding the database's migration lock: on PostgreSQL a transaction-scoped
 * advisory lock taken in a transaction of its own, on a connection of its own, kept open until
 * `work` ends. It ends with the process however the process ends (a kill -9 closes its
 * connection, and the server ends the transaction), unlike knex's lock row, which a killed
 * run leaves set for good. A second process waits for the first, saying so once. It is a
 * transaction, not a session lock, so that it holds through PgBouncer in transaction mode;
 * it holds no snapshot (below) or table lock, so CREATE INDEX CONCURRENTLY does not wait for it.
 * On SQLite the batch is one write transaction (ListedMigrationSource), which is the lock.
 */
async function holdingMigrationLock<T>(
  db: Database,
  notice: MigrationNotice,
  work: () => Promise<T>,
): Promise<T> {
  if (db.engine !== 'postgres' || !db.url) return work();
  const guard = new pg.Client({
    connectionString: pgConnectionString(db.url),
    connectionTimeoutMillis: 4000,
  });
  guard.on('error', () => undefined); // a lost guard fails the work's own statements too
  await guard.connect();
  try {
    await guard.query('BEGIN');
    for (let said = false; ; said = true) {
      // The simple protocol (no parameters): an extended-protocol statement left its snapshot's
      // xmin on the idle transaction, and CREATE INDEX CONCURRENTLY waited for it for ever.
      const { rows } = await guard.query<{ got: boolean }>(
        `SELECT pg_try_advisory_xact_lock(${MIGRATION_LOCK_KEY}) AS got`,
      );
      if (rows[0]?.got) break;
      if (!said) notice('another process is applying migrations to this database; waiting for it');
      await pause(500);
    }
    return await work();
  } finally {
    await guard.query('ROLLBACK').catch(() => undefined);
    await guard.end().catch(() => undefined);
  }
}

/**
 * knex's lock row, left set by a run that was killed between two migrations (a batch with a
 * migration outside a transaction takes it in a transaction of its own). Called holding the
 * migration lock, when no other process of this version can be migrating: the row is stale,
 * and without this every later start failed with "Migration table is already locked".
 */
async function freeStaleLockRow(db: Database, notice: MigrationNotice): Promise<void> {
  if (!(await db.knex.schema.hasTable('knex_migrations_lock'))) return;
  const set = await db.knex('knex_migrations_lock').where('is_locked', 1).first();
  if (!set) return;
  await db.knex.migrate.forceFreeMigrationsLock(config(db.engine));
  notice(
    'a migration run was interrupted before it ended (its process killed?) and left the migration lock set; freed it, migrating again',
  );
}

/**
 * Migrations of another version: none (null), or what to do when this version does not know
 * some applied ones. A newer version's, with every one of ours applied: a rolling upgrade,
 * this instance still the previous version. It runs on the schema as it is (migrations add
 * before they remove), said once. Any of ours pending as well: the database went another
 * way, and migrating it from here would be a guess.
 */
function newerSchema(applied: readonly string[]): { unknown: string[]; pending: string[] } | null {
  const unknown = applied.filter((name) => !KNOWN.has(name));
  if (unknown.length === 0) return null;
  const done = new Set(applied);
  return { unknown, pending: migrations.map(([n]) => n).filter((n) => !done.has(n)) };
}

/** What a newer version's migrations mean here: a notice, or (ours pending too) a refusal. */
function judgeNewer(
  newer: { unknown: string[]; pending: string[] },
  notice: MigrationNotice,
): string[] {
  if (newer.pending.length > 0)
    throw new MigrationRefused(
      `the database holds migrations this version does not know (${newer.unknown.join(', ')}) and lacks some of its own (${newer.pending.join(', ')}): it was migrated by another version; run that version`,
    );
  notice(
    `the database was migrated by a newer version (${newer.unknown.join(', ')}): running on its schema unchanged; upgrade this instance`,
  );
  return [];
}

/**
 * SQLite's write lock held by another connection. knex's own lock step rethrows the driver's
 * error as a new one named MigrationLocked with the driver's message only (its code dropped),
 * so a writer holding the file while the lock row is taken reads as "database is locked".
 */
function heldByAnotherWriter(error: unknown): boolean {
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (String(code ?? '').startsWith('SQLITE_BUSY')) return true;
  return name === 'MigrationLocked' && /database is locked/.test(String(message ?? ''));
}

export async function migrateLatest(
  db: Database,
  notice: MigrationNotice = () => undefined,
): Promise<string[]> {
  await refuseReadOnly(db);
  // Every migration of this version applied (every start but an upgrade's, every command):
  // nothing to lock or write. knex's run would take its lock row even then, so an up-to-date
  // instance restarting, or a command, waited behind another's long migration or write.
  const before = await recorded(db);
  const done = new Set(before);
  if (migrations.every(([name]) => done.has(name))) {
    const newer = newerSchema(before);
    return newer ? judgeNewer(newer, notice) : [];
  }
  return holdingMigrationLock(db, notice, async () => {
    const newer = newerSchema(await recorded(db));
    if (newer) return judgeNewer(newer, notice);
    return withTempFiles(db, async () => {
      for (let attempt = 1; ; attempt++) {
        await freeStaleLockRow(db, notice);
        try {
          const [, applied] = (await db.knex.migrate.latest(config(db.engine))) as [
            number,
            string[],
          ];
          return applied;
        } catch (error) {
          // SQLite: another process's batch (or any writer) holds the write lock past the
          // busy timeout.
          if (!heldByAnotherWriter(error)) throw error;
          if (attempt >= 120)
            throw new MigrationRefused(
              "migrate: another process kept the database's write lock through every attempt; nothing was applied: run migrate again once it has finished",
            );
          if (attempt === 1)
            notice('another process is applying migrations to this database; waiting for it');
        }
      }
    });
  });
}

export async function rollback(
  db: Database,
  all = false,
  notice: MigrationNotice = () => undefined,
): Promise<string[]> {
  await refuseReadOnly(db);
  return holdingMigrationLock(db, notice, async () => {
    const foreign = (await lastBatch(db)).filter((name) => !KNOWN.has(name));
    if (foreign.length > 0)
      throw new MigrationRefused(
        `the last batch holds migrations of a newer version (${foreign.join(', ')}): roll it back with that version`,
      );
    return withTempFiles(db, async () => {
      await freeStaleLockRow(db, notice);
      const [, undone] = (await db.knex.migrate.rollback(config(db.engine), all)) as [
        number,
        string[],
      ];
      return undone;
    });
  });
}

/**
 * Read only: knex's own list creates its tables, so a status on an empty database (or a
 * read-only file) wrote, or failed.
 */
export async function migrationStatus(db: Database): Promise<MigrationStatus> {
  const names = await recorded(db);
  const done = new Set(names);
  return {
    applied: names.filter((name) => KNOWN.has(name)),
    pending: migrations.map(([name]) => name).filter((name) => !done.has(name)),
    unknown: names.filter((name) => !KNOWN.has(name)),
  };
}

/** Whether this version knows the migration `name` (one applied by a newer version it does not). */
export function isKnownMigration(name: string): boolean {
  return KNOWN.has(name);
}

/** The migrations `rollback` would undo (the last batch), newest first. */
export async function lastBatch(db: Database): Promise<string[]> {
  if (!(await db.knex.schema.hasTable('knex_migrations'))) return [];
  const rows = (await db
    .knex('knex_migrations')
    .select('name')
    .where('batch', db.knex('knex_migrations').max('batch'))
    .orderBy('id', 'desc')) as Array<{ name: string }>;
  return rows.map((r) => r.name);
}

/**
 * Whether undoing a migration loses stored data (drops tables or columns that hold it). A
 * migration says `export const rollbackDestroysData = false` when it does not; one that says
 * nothing is taken to destroy data.
 */
export function rollbackDestroysData(name: string): boolean {
  const found = migrations.find(([n]) => n === name);
  const flag = (found?.[1] as { rollbackDestroysData?: boolean } | undefined)?.rollbackDestroysData;
  return flag !== false;
}
