/**
 * Migration 20261204000000 drops the PostgreSQL function `lead_activity_nth_id`, which nothing
 * calls; its `down` makes it again, so that the rollbacks before it (20261203002000's drops it
 * by name) still run. SQLite never had it: the same steps leave it without.
 */
import { expect } from 'chai';
import * as dropNthId from '../../migrations/20261204000000_drop_lead_activity_nth_id.js';
import type { Database } from '../../src/data-access/database.js';
import { migrateLatest, rollback } from '../../src/data-access/migrator.js';
import { testEngines } from '../support/database.js';

/** The names of the lead_activity_* functions in the schema (none on SQLite). */
async function activityFunctions(db: Database): Promise<string[]> {
  if (db.engine !== 'postgres') return [];
  const r = (await db.knex.raw(
    `SELECT proname FROM pg_proc WHERE proname LIKE 'lead_activity_%' ORDER BY 1`,
  )) as { rows: Array<{ proname: string }> };
  return r.rows.map((row) => row.proname);
}

for (const engine of testEngines()) {
  describe(`migration 20261204000000: lead_activity_nth_id dropped (${engine.name})`, function () {
    this.timeout(120000);
    let made: Awaited<ReturnType<typeof engine.create>> | undefined;
    const left = engine.name === 'postgres' ? ['lead_activity_count'] : [];

    before(async () => {
      made = await engine.create();
    });
    after(() => made?.drop());

    it('leaves only the remaining count once migrated', async () => {
      expect(await activityFunctions(made!.db)).to.deep.equal(left);
    });

    it('makes it again on the way down, as the bigint migration left it', async () => {
      await dropNthId.down(made!.db.knex);
      if (engine.name === 'postgres') {
        const r = (await made!.db.knex.raw(
          `SELECT pg_get_function_result(oid) AS result FROM pg_proc WHERE proname = 'lead_activity_nth_id'`,
        )) as { rows: Array<{ result: string }> };
        expect(r.rows).to.deep.equal([{ result: 'bigint' }]);
      } else {
        expect(await activityFunctions(made!.db)).to.deep.equal([]);
      }
      await dropNthId.up(made!.db.knex);
      expect(await activityFunctions(made!.db)).to.deep.equal(left);
    });

    it('every migration rolls back and applies again', async () => {
      const db = made!.db;
      await rollback(db, true);
      expect(await activityFunctions(db)).to.deep.equal([]);
      await migrateLatest(db);
      expect(await activityFunctions(db)).to.deep.equal(left);
    });
  });
}
