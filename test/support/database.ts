import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { migrateLatest } from '../../src/data-access/migrator.js';

export interface TestEngine {
  name: 'sqlite' | 'postgres';
  /** A fresh, migrated database of its own, and a way to throw it away. */
  create(): Promise<{ db: Database; url: string; dataDir: string; drop(): Promise<void> }>;
}

/**
 * How long test databases let a call wait for a pool connection. The race and stress tests pile
 * dozens of calls on four addresses; on a slow or busy machine a call can queue behind lock
 * holders for more than the 5 s default and be shed with 20024, which is not what they test
 * (test/unit/authenticator.test.ts tests the shedding itself).
 */
export const CONTENDED_ACQUIRE_TIMEOUT_MS = 60000;

function adminUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const sqliteEngine: TestEngine = {
  name: 'sqlite',
  async create() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-test-'));
    const db = openDatabase({ databaseUrl: '', dataDir, sqliteBusyTimeoutMs: 10000, dbPoolMax: 1 });
    await migrateLatest(db);
    return {
      db,
      url: '',
      dataDir,
      async drop() {
        await db.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresEngine = (baseUrl: string): TestEngine => ({
  name: 'postgres',
  async create() {
    const name = `du_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: baseUrl, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE DATABASE ${name}`);
    await admin.destroy();
    const url = adminUrl(baseUrl, name);
    const db = openDatabase({
      databaseUrl: url,
      dataDir: '',
      sqliteBusyTimeoutMs: 0,
      dbPoolMax: 10,
      dbAcquireTimeoutMs: CONTENDED_ACQUIRE_TIMEOUT_MS,
    });
    await migrateLatest(db);
    return {
      db,
      url,
      dataDir: '',
      async drop() {
        await db.close();
        const a = knexFactory({ client: 'pg', connection: baseUrl, pool: { min: 0, max: 1 } });
        await a.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.destroy();
      },
    };
  },
});

/** SQLite always; PostgreSQL too whenever DATABASE_URL is set. */
export function testEngines(): TestEngine[] {
  const engines = [sqliteEngine];
  if (process.env.DATABASE_URL) engines.push(postgresEngine(process.env.DATABASE_URL));
  return engines;
}

/**
 * A fresh SQLite database for each test (mocha hooks): handed to `opened` (awaited) before the
 * test, dropped after it.
 */
export function sqlitePerTest(opened: (made: { db: Database; dataDir: string }) => unknown): void {
  let drop: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    const made = await sqliteEngine.create();
    drop = made.drop;
    await opened(made);
  });
  afterEach(() => drop?.());
}
