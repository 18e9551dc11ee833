/**
 * Commands that only read (migrate status, explain, verify, suppressions export, users list,
 * operators list) create nothing: on a DATA_DIR with no database they say so in one line and
 * exit 1, and a schema that is up to date is read without the migration lock or a write.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import knexFactory from 'knex';
import pg from 'pg';
import { migrations } from '../../migrations/index.js';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { TEST_KEY_SECRET } from '../support/service.js';
import {
  asThePreviousVersionLeftIt,
  BIN,
  cli,
  embeddedEnv,
  LAST_MIGRATION,
  spawnCli,
} from './support.js';

const READING: Array<[string[], string]> = [
  [['migrate', 'status'], 'migrate status'],
  [['explain', 'ann@example.com'], 'explain'],
  [['verify'], 'verify'],
  [['suppressions', 'export'], 'suppressions export'],
  [['users', 'list'], 'users list'],
  [['operators', 'list'], 'operators list'],
];

/** The CLI's run, killed if it has not ended within `ms` (a command waiting on a lock). */
async function within(
  ms: number,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; err: string; out: string }> {
  const run = spawnCli(args, env);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), ms);
  const code = await new Promise<number | null>((r) => run.child.once('exit', r));
  clearTimeout(timer);
  return { code, err: run.err(), out: run.out() };
}

describe('commands that only read, on a DATA_DIR with no database', function () {
  this.timeout(120000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-reading-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('say there is none in one line naming DATA_DIR, exit 1, and create nothing', async () => {
    const missing = path.join(tmp, 'typo', 'data');
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    for (const dataDir of [missing, empty]) {
      for (const [args, label] of READING) {
        const r = await cli(args, embeddedEnv(dataDir));
        const what = `${args.join(' ')} on ${dataDir}`;
        expect(r.code, `${what}: ${r.stderr}`).to.equal(1);
        expect(r.stderr, what).to.equal(
          `Configuration error: DATA_DIR: there is no database in ${dataDir} yet, and ${label} creates none: check DATA_DIR, or start the service (or run "durable-unsubscribe migrate") to create it\n`,
        );
        expect(r.stdout, what).to.equal('');
      }
    }
    expect(fs.existsSync(path.join(tmp, 'typo')), 'a directory made').to.equal(false);
    expect(fs.readdirSync(empty), 'files made').to.deep.equal([]);
  });
});

for (const engine of testEngines()) {
  describe(`commands that only read, on an up-to-date database (${engine.name})`, function () {
    this.timeout(120000);

    it('run while another process holds the write lock (or the migration lock): they write nothing', async () => {
      const made = await engine.create();
      const env = made.url
        ? { DATABASE_URL: made.url, USER_KEY_SECRET: TEST_KEY_SECRET }
        : embeddedEnv(made.dataDir);
      // Before: every command ran the migrations, which took the lock even with nothing to
      // apply: a command (or the restart of an instance) waited behind any migration or write.
      let release: () => Promise<void>;
      if (made.url) {
        const holder = new pg.Client({ connectionString: made.url });
        await holder.connect();
        await holder.query(`SELECT pg_advisory_lock(${BigInt('0x64752d6d69677261').toString()})`);
        release = () => holder.end();
      } else {
        const holder = new BetterSqlite3(path.join(made.dataDir, SQLITE_FILE_NAME));
        holder.exec('BEGIN IMMEDIATE');
        release = async () => {
          holder.exec('ROLLBACK');
          holder.close();
        };
      }
      try {
        // An SQLite export waits for the writer in flight by design (it settles the writes).
        const commands = READING.filter(([, label]) => made.url || label !== 'suppressions export');
        for (const [args] of commands) {
          const r = await within(20000, args, { ...env, SQLITE_BUSY_TIMEOUT_MS: '1000' });
          expect(r.code, `${args.join(' ')}: ${r.err}`).to.equal(0);
          expect(r.err, args.join(' ')).to.not.contain('waiting');
        }
      } finally {
        await release();
        await made.drop();
      }
    });
  });
}

/**
 * Runs each reading command but `migrate status` with `env`: each must refuse with exit 1,
 * nothing on stdout, `refusal(label)` on stderr; `after` checks what each left.
 */
async function expectEachRefused(
  env: Record<string, string>,
  refusal: (label: string) => string,
  after?: (what: string) => Promise<void>,
): Promise<void> {
  for (const [args, label] of READING.filter(([, l]) => l !== 'migrate status')) {
    const r = await cli(args, env);
    const what = args.join(' ');
    expect(r.code, `${what}: ${r.stderr}`).to.equal(1);
    expect(r.stdout, what).to.equal('');
    expect(r.stderr, what).to.equal(refusal(label));
    await after?.(what);
  }
}

/**
 * Runs `check` with the URL of a new, empty PostgreSQL database, then checks it still holds no
 * table (nothing was created there) and drops it.
 */
async function inEmptyPgDatabase(name: string, check: (url: string) => Promise<void>) {
  const admin = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL });
  await admin.raw(`DROP DATABASE IF EXISTS ${name}`);
  await admin.raw(`CREATE DATABASE ${name}`);
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = knexFactory({ client: 'pg', connection: url });
  try {
    await check(url);
    const { rows } = (await db.raw(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
    )) as { rows: Array<{ n: number }> };
    expect(rows[0]!.n, 'tables created').to.equal(0);
  } finally {
    await db.destroy();
    await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.destroy();
  }
}

if (process.env.DATABASE_URL) {
  describe('commands that only read, on an empty PostgreSQL database', function () {
    this.timeout(60000);

    it('lists every migration as pending and creates no table', async () => {
      await inEmptyPgDatabase(`du_status_${process.pid}`, async (url) => {
        const r = await cli(['migrate', 'status'], {
          DATABASE_URL: url,
          USER_KEY_SECRET: TEST_KEY_SECRET,
        });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal(migrations.map(([m]) => `pending  ${m}\n`).join(''));
      });
    });

    it('on a PostgreSQL database with no schema (a DATABASE_URL naming another database): they create none', async () => {
      await inEmptyPgDatabase(`du_reading_${process.pid}`, async (url) => {
        const env = { DATABASE_URL: url, USER_KEY_SECRET: TEST_KEY_SECRET };
        // Before: verify made the whole schema there and found it sound; an export, nothing.
        await expectEachRefused(
          env,
          (label) =>
            `${label} only reads, and the database holds no durable-unsubscribe schema yet; nothing was created: check DATABASE_URL, or start the service (or run "durable-unsubscribe migrate") to create it\n`,
        );
      });
    });
  });
}

for (const engine of testEngines()) {
  describe(`commands that only read, on a database an older version left (${engine.name})`, function () {
    this.timeout(120000);

    it('apply none of its migrations: one line naming them, exit 1, the database unchanged', async () => {
      const made = await engine.create();
      try {
        const last = LAST_MIGRATION;
        await asThePreviousVersionLeftIt(made.db);
        const env = made.url
          ? { DATABASE_URL: made.url, USER_KEY_SECRET: TEST_KEY_SECRET }
          : embeddedEnv(made.dataDir);
        // Before: each applied the pending migrations, as a writing command does.
        await expectEachRefused(
          env,
          (label) =>
            `${label} only reads, and the database lacks 1 migration of this version (${last}); nothing was changed. Apply them first (start this version's service, or "durable-unsubscribe migrate"), or run ${label} with the version the database is at\n`,
          async (what) => {
            const recorded = await made.db.knex('knex_migrations').where('name', last);
            expect(recorded, `${what}: migrated`).to.deep.equal([]);
          },
        );
        const migrate = await cli(['migrate'], env);
        expect(migrate.stdout, migrate.stderr).to.equal(`Applied: ${last}\n`);
        const verify = await cli(['verify'], env);
        expect(verify.code, verify.stderr).to.equal(0);
      } finally {
        await made.drop();
      }
    });
  });
}
