/**
 * The benchmark settles its database as one in service is kept: planner statistics on both
 * engines, and on PostgreSQL the dead row versions cleared as autovacuum would clear them (a
 * test server may run with autovacuum off, which no database in service does).
 */
import { expect } from 'chai';
import { refreshStatistics } from '../../bench/lib/seed.js';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { createLead, openHarness, setFlag, type Harness } from '../support/harness.js';

interface TableCounts {
  vacuums: number;
  analyses: number;
}

/** How often `leads` was vacuumed and analysed by hand, as the server's statistics count. */
async function leadsCounts(db: Database): Promise<TableCounts> {
  const r = (await db.knex.raw(
    `SELECT vacuum_count, analyze_count FROM pg_stat_user_tables WHERE relname = 'leads'`,
  )) as { rows: Array<{ vacuum_count: string; analyze_count: string }> };
  const row = r.rows[0]!;
  return { vacuums: Number(row.vacuum_count), analyses: Number(row.analyze_count) };
}

/** Rows of SQLite's planner statistics for `leads` (its table exists after a first ANALYZE). */
async function sqliteStatRows(db: Database): Promise<number> {
  const tables = (await db.knex.raw(
    `SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'`,
  )) as Array<{ n: number }>;
  if (Number(tables[0]?.n ?? 0) === 0) return 0;
  const rows = (await db.knex.raw(
    `SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 'leads'`,
  )) as Array<{ n: number }>;
  return Number(rows[0]?.n ?? 0);
}

/** A few people, each flipped once: dead row versions on PostgreSQL. */
async function peopleChanged(h: Harness): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const id = await createLead(h.services, `settle-${i}@example.com`);
    await setFlag(h.services, id, true);
  }
}

describe('bench/lib/seed.ts refreshStatistics', function () {
  this.timeout(60000);

  for (const engine of testEngines()) {
    it(`leaves ${engine.name} analysed${engine.name === 'postgres' ? ' and vacuumed' : ''}`, async () => {
      const h = await openHarness(engine);
      try {
        await peopleChanged(h);
        if (engine.name === 'postgres') {
          const before = await leadsCounts(h.db);
          await refreshStatistics(h.db);
          const after = await leadsCounts(h.db);
          expect(after.vacuums - before.vacuums, 'VACUUM runs on leads').to.equal(1);
          expect(after.analyses - before.analyses, 'ANALYZE runs on leads').to.equal(1);
        } else {
          expect(await sqliteStatRows(h.db)).to.equal(0);
          await refreshStatistics(h.db);
          expect(await sqliteStatRows(h.db)).to.be.greaterThan(0);
        }
      } finally {
        await h.drop();
      }
    });

    if (engine.name === 'postgres')
      it('only analyses postgres when asked not to vacuum (the earlier method)', async () => {
        const h = await openHarness(engine);
        try {
          await peopleChanged(h);
          const before = await leadsCounts(h.db);
          await refreshStatistics(h.db, { vacuum: false });
          const after = await leadsCounts(h.db);
          expect(after.vacuums - before.vacuums).to.equal(0);
          expect(after.analyses - before.analyses).to.equal(1);
        } finally {
          await h.drop();
        }
      });
  }
});
