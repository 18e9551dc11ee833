/**
 * A lead's remaining count (getLeadActivity: activity.service.ts listForLead) reads about as
 * many entries as its limit, whatever the planner's statistics say, with the
 * lead's history the newest rows of the table (as when a lead's log grows among others').
 * PostgreSQL chose from the statistics: with none for the grown history (it expected a few
 * rows) a bitmap scan of the whole history, with them a sequential scan from the table's start
 * (migration 20261202000400). Read in buffers (EXPLAIN (ANALYZE, BUFFERS)), not in time; on
 * SQLite, in the plan (EXPLAIN QUERY PLAN): index searches only.
 */
import { expect } from 'chai';
import type { Knex } from 'knex';
import pg from 'pg';
import * as plans from '../../migrations/20261202000400_lead_activity_plans.js';
import { ActivityRepository } from '../../src/data-access/sql/activity.repository.js';
import type { Database } from '../../src/data-access/database.js';
import { REMAINING_COUNT_CAP } from '../../src/domain/activity.service.js';
import { testEngines } from '../support/database.js';

/** The lead's history, and as many activities of others before it in the table. */
const HISTORY = 100000;
const OTHERS = 100000;
/**
 * How many people the others' activities belong to. Many with a short history each: the
 * planner expects a few rows of a lead it has not seen. A few with long ones: a generic plan
 * expects a lead to be a large part of the table (one counted along the primary key).
 */
const LAYOUTS = [10000, 20];
const LEAD = 7;

/** Appends `count` activities of `lead`, or of `lead.people` others. */
async function seed(db: Database, lead: number | { people: number }, count: number): Promise<void> {
  const leadId = typeof lead === 'number' ? String(lead) : `100 + n % ${lead.people}`;
  await db.knex.raw(
    `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
     INSERT INTO activities (lead_id, activity_type, created_at, attribute_name, old_value,
       new_value, reason, source)
     SELECT ${leadId}, 'Change Data Value', 1767225600000 + n, 'First Name', 'F' || n,
       'F' || (n + 1), 'Web service API', 'Web service API' FROM g`,
    [count],
  );
}

interface Seen {
  sql: string;
  bindings: unknown[];
}

/** What `read` returns, and the statements it ran. */
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

/** The shared buffers `statement` touches when run (the second run on one connection). */
async function buffers(db: Database, statement: Seen): Promise<number> {
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

/** SQLite's plan of `statement`: one line per step. */
async function queryPlan(db: Database, statement: Seen): Promise<string[]> {
  const rows = (await db.knex.raw(
    `EXPLAIN QUERY PLAN ${statement.sql}`,
    statement.bindings as Knex.RawBinding[],
  )) as Array<{ detail: string }>;
  return rows.map((r) => r.detail);
}

for (const [engine, people] of testEngines().flatMap((e) => LAYOUTS.map((n) => [e, n] as const))) {
  describe(`a lead's remaining count reads about its limit (${engine.name}, others: ${people} people)`, function () {
    this.timeout(180000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let repo: ActivityRepository;
    /** The lead's ids, newest first. */
    let ids: number[];
    /** Heap pages holding the lead's history (PostgreSQL). */
    let historyPages = 0;

    before(async () => {
      made = await engine.create();
      const db = made.db;
      repo = new ActivityRepository(db.knex, db.engine);
      // Statistics change only when the test says so.
      if (db.engine === 'postgres')
        for (const table of ['activities', 'activity_followers'])
          await db.knex.raw(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
      await seed(db, { people }, OTHERS);
      await db.knex.raw('ANALYZE');
      // The lead's history after the statistics were taken, and the newest rows of the table.
      await seed(db, LEAD, HISTORY);
      ids = (
        (await db
          .knex('activities')
          .where('lead_id', LEAD)
          .orderBy('id', 'desc')
          .select('id')) as Array<{
          id: number;
        }>
      ).map((r) => Number(r.id));
      expect(ids).to.have.length(HISTORY);
      if (db.engine === 'postgres') {
        const r = (await db.knex.raw(
          `SELECT count(DISTINCT (ctid::text::point)[0]) AS n FROM activities WHERE lead_id = ?`,
          [LEAD],
        )) as { rows: Array<{ n: string }> };
        historyPages = Number(r.rows[0]!.n);
      }
    });
    after(() => made?.drop());

    /**
     * At most 3 times the heap pages `entries` of the history take. An index scan that stops at
     * its limit reads those and some of the index's: 1.6 times them (measured). The plans it
     * replaced read 7.3 (a bitmap scan of the history) and 10.9 times (a sequential scan from
     * the table's start) as many.
     */
    const bound = (entries: number) => (3 * historyPages * entries) / HISTORY;

    /** A page's reads below its first 100: the count to the cap. */
    async function checkReads(): Promise<void> {
      const db = made.db;
      const position = ids[100]!;
      const [counted, countSql] = await watched(db.knex, () =>
        repo.countForLeads([LEAD], position, {}, REMAINING_COUNT_CAP),
      );
      expect(counted).to.equal(REMAINING_COUNT_CAP);
      expect(countSql).to.have.length(1);
      if (db.engine === 'postgres') {
        expect(historyPages).to.be.above(500);
        const read = await buffers(db, countSql[0]!);
        expect(read).to.be.below(bound(REMAINING_COUNT_CAP));
        return;
      }
      const plan = await queryPlan(db, countSql[0]!);
      const reads = plan.filter((d) => /^(SEARCH|SCAN) (activities|f)\b/.test(d));
      expect(reads, plan.join('\n')).to.have.length(2);
      for (const d of reads)
        expect(d, plan.join('\n')).to.match(
          /^SEARCH .* USING (COVERING )?INDEX \S+ \(lead_id=\? AND id<\?\)$/,
        );
    }

    it("with statistics taken before the lead's history grew", async () => {
      await checkReads();
    });

    it('with statistics that know the history (ANALYZE)', async () => {
      await made.db.knex.raw('ANALYZE');
      await checkReads();
    });

    it('rolls the migration back and forth', async () => {
      const knex = made.db.knex;
      const functions = async () =>
        engine.name === 'postgres'
          ? (
              (await knex.raw(
                `SELECT proname FROM pg_proc WHERE proname LIKE 'lead_activity_%' ORDER BY 1`,
              )) as { rows: Array<{ proname: string }> }
            ).rows.map((r) => r.proname)
          : [];
      // Migrated to the latest, the window end is gone (20261204000000); this migration makes
      // both again.
      const postgres = engine.name === 'postgres';
      const both = postgres ? ['lead_activity_count', 'lead_activity_nth_id'] : [];
      expect(await functions()).to.deep.equal(postgres ? ['lead_activity_count'] : []);
      await plans.down(knex);
      expect(await functions()).to.deep.equal([]);
      await plans.up(knex);
      expect(await functions()).to.deep.equal(both);
      expect(await repo.countForLeads([LEAD], ids[100]!, {}, REMAINING_COUNT_CAP)).to.equal(
        REMAINING_COUNT_CAP,
      );
    });
  });
}
