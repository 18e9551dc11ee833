import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';
import type { Database } from './database.js';

class ListedMigrationSource implements Knex.MigrationSource<string> {
  getMigrations(): Promise<string[]> {
    return Promise.resolve(migrations.map(([name]) => name));
  }
  getMigrationName(name: string): string {
    return name;
  }
  getMigration(name: string): Promise<Knex.Migration> {
    const found = migrations.find(([n]) => n === name);
    if (!found) return Promise.reject(new Error(`Unknown migration ${name}`));
    return Promise.resolve(found[1]);
  }
}

const config = (): Knex.MigratorConfig => ({
  migrationSource: new ListedMigrationSource(),
  tableName: 'knex_migrations',
});

export interface MigrationStatus {
  applied: string[];
  pending: string[];
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

export async function migrateLatest(db: Database): Promise<string[]> {
  return withTempFiles(db, async () => {
    const [, applied] = (await db.knex.migrate.latest(config())) as [number, string[]];
    return applied;
  });
}

export async function rollback(db: Database, all = false): Promise<string[]> {
  return withTempFiles(db, async () => {
    const [, undone] = (await db.knex.migrate.rollback(config(), all)) as [number, string[]];
    return undone;
  });
}

export async function migrationStatus(db: Database): Promise<MigrationStatus> {
  const [applied, pending] = (await db.knex.migrate.list(config())) as [
    Array<{ name: string }>,
    Array<string | { file?: string; name?: string }>,
  ];
  // Pending entries are what the migration source lists: here, plain names.
  const nameOf = (m: string | { file?: string; name?: string }) =>
    typeof m === 'string' ? m : (m.name ?? m.file ?? String(m));
  return { applied: applied.map((m) => m.name), pending: pending.map(nameOf) };
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
