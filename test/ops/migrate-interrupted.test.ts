/**
 * `migrate` interrupted: a stop signal's line names the migration in progress and says running
 * migrate again is safe; on PostgreSQL an index an interrupted (or failed) concurrent build
 * left INVALID is rebuilt by the next `migrate`, or, when it cannot be, named in one line with
 * the way out; `serve` starts and warns of it.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { TEST_KEY_SECRET } from '../support/service.js';
import { BIN, cli, cliSuite, spawnCli, spawnCollecting } from './support.js';

const INDEX_MIGRATION = '20261203004000_lead_other_activity_types_index';
const INDEX = 'activities_lead_other_types_idx';

for (const engine of testEngines()) {
  describe(`migrate interrupted (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let db: Database;

    cliSuite(engine, 'du-migrate-interrupted-', (suite) => {
      ({ env, db } = suite);
    });

    const valid = async (index: string): Promise<boolean | undefined> => {
      const r = (await db.knex.raw(
        `SELECT x.indisvalid AS valid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE i.relname = ?`,
        [index],
      )) as { rows: Array<{ valid: boolean }> };
      return r.rows[0]?.valid;
    };

    it('SIGTERM while a migration waits: one line naming it and that migrate can run again; the next run applies it', async function () {
      // Before: "migrate stopped by SIGTERM: the database undoes the change in progress; …",
      // naming nothing.
      // SQLite: another writer makes migrate fail at once ("Can't take lock"), not wait: no
      // window to signal it in; its line ("with no migration in progress") is the same code.
      if (db.engine !== 'postgres') this.skip();
      await db.knex('knex_migrations').where('name', INDEX_MIGRATION).delete();
      await db.knex.raw(`DROP INDEX ${INDEX}`);
      // A transaction holding the table: CREATE INDEX CONCURRENTLY waits for it.
      const trx = await db.knex.transaction();
      await trx.raw('LOCK TABLE activities IN SHARE UPDATE EXCLUSIVE MODE');
      const waiting = async () =>
        (
          (await db.knex.raw(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'",
          )) as { rows: Array<{ n: number }> }
        ).rows[0]!.n > 0;
      const run = spawnCli(['migrate'], env);
      try {
        let building = false;
        for (let i = 0; i < 600 && !building; i++) {
          building = await waiting();
          if (!building) await new Promise((r) => setTimeout(r, 100));
        }
        expect(building, run.err()).to.equal(true);
        run.child.kill('SIGTERM');
        const code = await new Promise<number | null>((r) => run.child.once('exit', r));
        expect(code, run.err()).to.equal(143);
        expect(run.err()).to.equal(
          `migrate stopped by SIGTERM while applying migration ${INDEX_MIGRATION}: the database undoes what it had not finished (an index being built concurrently may be left invalid; the next run rebuilds it); it is safe to run "durable-unsubscribe migrate" again, which finishes it\n`,
        );
      } finally {
        await trx.rollback();
      }
      const again = await cli(['migrate'], env);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.equal(`Applied: ${INDEX_MIGRATION}\n`);
      expect(await valid(INDEX)).to.equal(true);
    });

    it('an index left invalid is rebuilt by migrate, and named', async function () {
      if (db.engine !== 'postgres') this.skip(); // SQLite builds an index in its transaction
      // As an interrupted REINDEX or CREATE INDEX CONCURRENTLY leaves one.
      await db.knex.raw(
        `UPDATE pg_index SET indisvalid = false WHERE indexrelid = '${INDEX}'::regclass`,
      );
      // Before: "Already up to date.", the index left invalid (unused by every query).
      const r = await cli(['migrate'], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(
        `Already up to date.\nRebuilt index ${INDEX} on activities, left invalid by an interrupted build.\n`,
      );
      expect(await valid(INDEX)).to.equal(true);
    });

    it('one that cannot be rebuilt (unique over duplicates): migrate refuses in one line naming it and the fix; serve starts and warns', async function () {
      if (db.engine !== 'postgres') this.skip();
      await db.knex('email_status').insert(
        ['dup1@example.com', 'dup2@example.com'].map((email_key) => ({
          email_key,
          unsubscribed: true,
          reason: 'same reason',
          source: 'test',
          changed_at: Date.UTC(2026, 0, 1),
        })),
      );
      const failed = await db.knex
        .raw('CREATE UNIQUE INDEX CONCURRENTLY test_dup_reason_idx ON email_status (reason)')
        .then(
          () => false,
          () => true,
        );
      expect(failed).to.equal(true);
      expect(await valid('test_dup_reason_idx')).to.equal(false);
      try {
        // Before: "Already up to date.", exit 0.
        const r = await cli(['migrate'], env);
        // Its failed rebuild's copy is not left beside it.
        const left = (await db.knex.raw(
          "SELECT relname FROM pg_class WHERE relname LIKE 'test_dup_reason_idx%' ORDER BY 1",
        )) as { rows: Array<{ relname: string }> };
        expect(left.rows.map((x) => x.relname)).to.deep.equal(['test_dup_reason_idx']);
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stderr, r.stderr).to.match(
          /^index test_dup_reason_idx on email_status is invalid \(an interrupted or failed concurrent build\) and could not be rebuilt: could not create unique index "test_dup_reason_idx"\. Fix what stops it \(duplicate rows for a unique index\), or drop it \(DROP INDEX CONCURRENTLY "test_dup_reason_idx"\), then run "durable-unsubscribe migrate" again\n$/,
        );
        const serve = spawnCollecting(process.execPath, [BIN, 'serve'], {
          ...env,
          PORT: '0',
          METRICS_PORT: 'off',
          USER_KEY_SECRET: TEST_KEY_SECRET,
          LOG_LEVEL: 'warn',
        });
        try {
          await serve.port;
          expect(serve.output()).to.contain(
            'index test_dup_reason_idx on email_status is invalid (an interrupted concurrent build): queries do not use it; run \\"durable-unsubscribe migrate\\" to rebuild it',
          );
        } finally {
          serve.child.kill('SIGTERM');
          await serve.exited;
        }
      } finally {
        await db.knex.raw('DROP INDEX IF EXISTS test_dup_reason_idx');
      }
    });
  });
}
