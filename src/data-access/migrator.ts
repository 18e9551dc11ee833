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

export async function migrateLatest(db: Database): Promise<string[]> {
  const [, applied] = (await db.knex.migrate.latest(config())) as [number, string[]];
  return applied;
}

export async function rollback(db: Database, all = false): Promise<string[]> {
  const [, undone] = (await db.knex.migrate.rollback(config(), all)) as [number, string[]];
  return undone;
}

export async function migrationStatus(db: Database): Promise<MigrationStatus> {
  const [applied, pending] = (await db.knex.migrate.list(config())) as [
    Array<{ name: string }>,
    Array<{ file: string }>,
  ];
  return { applied: applied.map((m) => m.name), pending: pending.map((m) => m.file) };
}
