/**
 * getMultipleLeads by LastUpdateAtSelector for a SOAP user confined to a small partition reads
 * its partition's changes, not every partition's (lead.repository.ts listUpdatedBetween and
 * countUpdatedBetween with partitions; migration 20261204000200). Read in buffers on PostgreSQL
 * (EXPLAIN (ANALYZE, BUFFERS)), in the plan on SQLite (EXPLAIN QUERY PLAN): one search of
 * (partition, updated_at, id) each, no sort.
 */
import { expect } from 'chai';
import type { Knex } from 'knex';
import pg from 'pg';
import * as partitionIndex from '../../migrations/20261204000200_lead_partition_updated_index.js';
import { LeadRepository } from '../../src/data-access/sql/lead.repository.js';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';

/** The people of other partitions, changed among the small partition's. */
const OTHERS = 30000;
/** The small partition's people: one in every SPREAD of the window's changes. */
const SPREAD = 1000;
const T0 = 1767225600000;

interface Seen {
  sql: string;
  bindings: unknown[];
}

async function watched<T>(knex: Knex, read: () => Promise<T>): Promise<[T, Seen[]]> {
  const seen: Seen[] = [];
  const listen = (q: { sql: string; bindings?: unknown[] }) =>
    seen.push({ sql: q.sql, bindings: q.bindings ?? [] });
  knex.on('query', listen);
  try {
    return [await read(), seen];
  } finally {
    knex.off('query', listen);
  }
}

/** PostgreSQL: the shared buffers `statement` touches (the second run); SQLite: its plan. */
async function cost(db: Database, statement: Seen): Promise<number | string[]> {
  const bindings = statement.bindings as Knex.RawBinding[];
  if (db.engine !== 'postgres') {
    const rows = (await db.knex.raw(`EXPLAIN QUERY PLAN ${statement.sql}`, bindings)) as Array<{
      detail: string;
    }>;
    return rows.map((r) => r.detail);
  }
  // The statement as run ($1…), on a connection of its own.
  const client = db.knex.client as {
    acquireConnection(): Promise<pg.Client>;
    releaseConnection(c: pg.Client): Promise<void>;
  };
  const connection = await client.acquireConnection();
  try {
    const sql = `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.sql}`;
    await connection.query(sql, statement.bindings);
    const r = await connection.query<{ 'QUERY PLAN': Array<{ Plan: Record<string, number> }> }>(
      sql,
      statement.bindings,
    );
    const plan = r.rows[0]!['QUERY PLAN'][0]!.Plan;
    return (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
  } finally {
    await client.releaseConnection(connection);
  }
}

for (const engine of testEngines()) {
  describe(`a confined user's LastUpdateAt page reads its partition only (${engine.name})`, function () {
    this.timeout(180000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let repo: LeadRepository;

    before(async () => {
      made = await engine.create();
      const db = made.db;
      repo = new LeadRepository(db.knex, db.engine);
      await db.knex.raw(
        `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
         INSERT INTO leads (email, email_key, partition, created_at, updated_at)
         SELECT 'p' || n || '@example.com', 'p' || n || '@example.com',
           CASE WHEN n % ${SPREAD} = 0 THEN 'Small' ELSE 'Default' END, CAST(? AS BIGINT), CAST(? AS BIGINT) + n FROM g`,
        [OTHERS, T0, T0],
      );
      await db.knex.raw('ANALYZE');
    });
    after(() => made?.drop());

    it('a page and its count search (partition, updated_at, id), whatever the others hold', async () => {
      const db = made.db;
      const small = OTHERS / SPREAD;
      const [page, pageSql] = await watched(db.knex, () =>
        repo.listUpdatedBetween(T0, null, null, 5, ['Small']),
      );
      expect(page.map((l) => l.partition)).to.deep.equal(Array(5).fill('Small'));
      const last = page[4]!;
      const after = { updatedAt: last.updatedAt, id: last.id };
      const [count, countSql] = await watched(db.knex, () =>
        repo.countUpdatedBetween(T0, null, after, 1000, ['Small']),
      );
      expect(count).to.equal(small - 5);
      expect(pageSql).to.have.length(1);
      expect(countSql).to.have.length(1);
      // PostgreSQL: about a heap page for each of the partition's rows read, and a few index
      // pages; through (updated_at, id) the page read 93 and the count hundreds (every change
      // of the others' in the window).
      const bounds = [5 + 10, small + 10];
      for (const [n, statement] of [pageSql[0]!, countSql[0]!].entries()) {
        const read = await cost(db, statement);
        if (typeof read === 'number') {
          expect(read, statement.sql).to.be.below(bounds[n]!);
          continue;
        }
        const plan = read.join('\n');
        expect(plan, statement.sql).to.match(
          /SEARCH leads USING (COVERING )?INDEX leads_partition_updated_idx \(partition=\? AND updated_at/,
        );
        expect(plan, statement.sql).to.not.match(/TEMP B-TREE|SCAN leads/);
      }
    });

    it('pages of two partitions merge in keyset order', async () => {
      const page = await repo.listUpdatedBetween(T0, null, null, 4, ['Small', 'Default']);
      expect(page.map((l) => l.updatedAt - T0)).to.deep.equal([1, 2, 3, 4]);
      const later = await repo.listUpdatedBetween(T0 + 998, null, null, 3, ['Default', 'Small']);
      expect(later.map((l) => [l.updatedAt - T0, l.partition])).to.deep.equal([
        [998, 'Default'],
        [999, 'Default'],
        [1000, 'Small'],
      ]);
      // A partition named twice is read once.
      const twice = await repo.listUpdatedBetween(T0, null, null, 3, ['Small', 'Small']);
      expect(twice.map((l) => l.updatedAt - T0)).to.deep.equal([1000, 2000, 3000]);
    });

    it('rolls the migration back and forth, and again', async () => {
      const knex = made.db.knex;
      const present = async () => {
        const sql =
          engine.name === 'postgres'
            ? `SELECT count(*) AS n FROM pg_indexes WHERE indexname = 'leads_partition_updated_idx'`
            : `SELECT count(*) AS n FROM sqlite_master WHERE name = 'leads_partition_updated_idx'`;
        const r = (await knex.raw(sql)) as { rows?: Array<{ n: unknown }> } & Array<{ n: unknown }>;
        return Number((r.rows ?? r)[0]!.n) === 1;
      };
      expect(await present()).to.equal(true);
      await partitionIndex.down(knex);
      expect(await present()).to.equal(false);
      await partitionIndex.up(knex);
      await partitionIndex.up(knex);
      expect(await present()).to.equal(true);
      expect(await repo.listUpdatedBetween(T0, null, null, 2, ['Small'])).to.have.length(2);
    });
  });
}
