/**
 * Migrations as an operator meets them (docs/operations.md, "Upgrading"): a run killed half-way
 * and started again, two instances starting at once, an instance of the previous version on a
 * schema a newer one migrated (a rolling upgrade), and a DATABASE_URL that takes no writes.
 * Through the built command line, as an operator runs it.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import * as oneIndex from '../../migrations/20261202000100_one_lead_activity_index.js';
import * as typeIndex from '../../migrations/20261202000200_type_index_without_data_values.js';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { spawnService } from '../support/service-process.js';
import { TEST_KEY_SECRET } from '../support/service.js';
import { BIN, cli } from './support.js';

// The last two migrations run outside a transaction on PostgreSQL (CREATE INDEX CONCURRENTLY):
// a batch holding them takes knex's lock in a transaction of its own.
const LAST_TWO = [
  '20261202000100_one_lead_activity_index',
  '20261202000200_type_index_without_data_values',
];

/** The database as a version before the last two migrations left it. */
async function undoLastTwo(db: Database): Promise<void> {
  await typeIndex.down(db.knex);
  await oneIndex.down(db.knex);
  await db.knex('knex_migrations').whereIn('name', LAST_TWO).del();
}

/** Enough activities that building an index on them takes a while. */
async function manyActivities(db: Database, count: number): Promise<void> {
  const rows = `SELECT g % 5000 + 1, CASE WHEN g % 3 = 0 THEN 'Change Data Value' ELSE 'Email Bounced' END, g`;
  if (db.engine === 'postgres')
    await db.knex.raw(
      `INSERT INTO activities (lead_id, activity_type, created_at) ${rows} FROM generate_series(1, ${count}) AS g`,
    );
  else
    await db.knex.raw(
      `WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${count})
       INSERT INTO activities (lead_id, activity_type, created_at) ${rows} FROM s`,
    );
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

for (const engine of testEngines()) {
  describe(`migrations as an operator runs them (${engine.name})`, function () {
    this.timeout(240000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let env: Record<string, string>;

    before(() => {
      if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    });
    beforeEach(async () => {
      made = await engine.create();
      env = made.url
        ? { DATABASE_URL: made.url, USER_KEY_SECRET: TEST_KEY_SECRET }
        : { DATABASE_URL: '', DATA_DIR: made.dataDir };
    });
    afterEach(() => made.drop());

    async function status(): Promise<string> {
      const r = await cli(['migrate', 'status'], env);
      expect(r.code, r.stderr).to.equal(0);
      return r.stdout;
    }

    it('a run killed between two migrations (its lock left set) is finished by the next start', async () => {
      await undoLastTwo(made.db);
      // What a kill -9 between two migrations of such a batch leaves: knex's lock row set.
      await made.db.knex('knex_migrations_lock').update({ is_locked: 1 });
      await made.db.close();
      const r = await cli(['migrate'], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(`Applied: ${LAST_TWO.join(', ')}\n`);
      expect(lines(r.stderr)).to.have.length(1);
      expect(r.stderr).to.match(/interrupted .*left the migration lock set; freed it/);
      expect(await status()).to.not.contain('pending');
    });

    it('two instances starting at once both migrate, each migration applied once', async () => {
      await undoLastTwo(made.db);
      await manyActivities(made.db, engine.name === 'postgres' ? 300000 : 400000);
      await made.db.close();
      const [a, b] = await Promise.all([cli(['migrate'], env), cli(['migrate'], env)]);
      expect(a.code, a.stderr).to.equal(0);
      expect(b.code, b.stderr).to.equal(0);
      // One applied both; the other waited and found nothing to do.
      expect([a.stdout, b.stdout].sort()).to.deep.equal([
        'Already up to date.\n',
        `Applied: ${LAST_TWO.join(', ')}\n`,
      ]);
      const s = await status();
      expect(s).to.not.contain('pending');
      for (const name of LAST_TWO)
        expect(
          s.split('\n').filter((l) => l.endsWith(name)),
          name,
        ).to.have.length(1);
    });

    it('an instance of the previous version runs on a schema a newer version migrated', async () => {
      const newer = '29991231000000_from_a_newer_version';
      const [{ batch }] = (await made.db.knex('knex_migrations').max('batch as batch')) as [
        { batch: number },
      ];
      await made.db
        .knex('knex_migrations')
        .insert({ name: newer, batch: batch + 1, migration_time: new Date() });
      await made.db.close();

      const verify = await cli(['verify'], env);
      expect(verify.code, verify.stderr).to.equal(0);
      expect(verify.stdout).to.contain('OK: every person');
      expect(lines(verify.stderr)).to.deep.equal([
        `the database was migrated by a newer version (${newer}): running on its schema unchanged; upgrade this instance`,
      ]);
      expect(await status()).to.match(
        new RegExp(`^newer {4}${newer} \\(applied by a newer version\\)$`, 'm'),
      );
      const migrate = await cli(['migrate'], env);
      expect(migrate.code, migrate.stderr).to.equal(0);
      expect(migrate.stdout).to.equal('Already up to date.\n');
      // Undoing what this version does not know is the newer version's job.
      const rollback = await cli(['migrate', 'rollback', '--yes-destroy-data'], env);
      expect(rollback.code).to.equal(2);
      expect(rollback.stderr).to.match(
        new RegExp(`^Refused: .*${newer}.* roll it back with that version\\n$`),
      );
      expect(await status()).to.contain(newer);

      // The service starts and is ready: an orchestrator must not take it out mid-upgrade.
      const service = await spawnService(env, { built: true });
      try {
        const ready = await fetch(`${service.base}/readyz`);
        expect(ready.status).to.equal(200);
      } finally {
        await service.stop();
      }
    });

    if (engine.name === 'sqlite')
      it("a migrate that finds the file write-locked by another process waits for it, without knex's lines or a stack", async () => {
        await undoLastTwo(made.db);
        await made.db.close();
        // Another process's writer holding the file while migrate takes knex's lock row.
        const holder = new BetterSqlite3(path.join(made.dataDir, 'durable-unsubscribe.sqlite'));
        holder.exec('BEGIN IMMEDIATE');
        // Released once migrate says it waits: a fixed pause let a child slow to start (a
        // loaded machine) find the file already free, and never say it.
        let said = '';
        let saidWaiting: () => void = () => undefined;
        const waiting = new Promise<void>((resolve) => (saidWaiting = resolve));
        const run = cli(
          ['migrate'],
          { ...env, SQLITE_BUSY_TIMEOUT_MS: '300' },
          {
            onStderr: (text) => {
              said += text;
              if (said.includes('waiting for it')) saidWaiting();
            },
          },
        );
        await Promise.race([waiting, run]);
        holder.exec('COMMIT');
        holder.close();
        const r = await run;
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal(`Applied: ${LAST_TWO.join(', ')}\n`);
        expect(lines(r.stderr), r.stderr).to.deep.equal([
          'another process is applying migrations to this database; waiting for it',
        ]);
        expect(await status()).to.not.contain('pending');
      });

    if (engine.name === 'postgres')
      it('a DATABASE_URL whose server takes no writes (a standby) stops migrate and serve with one line naming it', async () => {
        const name = new URL(made.url).pathname.slice(1);
        await made.db.knex.raw(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
        await made.db.close();
        for (const args of [['migrate'], ['serve']]) {
          const r = await cli(args, { ...env, PORT: '0', METRICS_PORT: 'off' });
          expect(r.code, args[0]).to.equal(1);
          expect(lines(r.stderr), r.stderr).to.deep.equal([
            'Configuration error: DATABASE_URL: the server takes no writes here (default_transaction_read_only is on for this database or role); point DATABASE_URL at a writable primary',
          ]);
        }
      });
  });
}
