import type { Knex } from 'knex';

/**
 * PostgreSQL: follow_address(key, unsubscribed, except, now), the people's UPDATE of a
 * propagation (src/data-access/sql/lead-propagation.ts): every person of the address but
 * `except` whose flag disagrees takes `unsubscribed`, `updated_at = now` and one new
 * change_seq; it returns their ids. The propagation statement reads them from it as it read
 * its UPDATE's RETURNING, and logs them as before.
 *
 * Why a function: its settings. Every version a person leaves behind keeps its entry in the
 * address's index (email_key, change_seq) until VACUUM. Written inline, the UPDATE of a large
 * address was planned as a bitmap scan, which reads every entry of the address, dead or
 * alive, and visits every heap page one points to: after k flips of 10,000 people, k × 10,000
 * entries and k × ~190 pages per call (docs/benchmarks.md, twentieth round). A plain index
 * scan marks an entry whose version is dead to every transaction as such in the index, and
 * the next scans pass over it without visiting the heap. `SET enable_bitmapscan = off` and
 * `enable_seqscan = off` leave the planner that scan (the address's index is the only way in
 * left); in force during the call only, so PgBouncer's transaction pooling keeps them. No JIT,
 * as in the other functions with these settings.
 *
 * Adds only: the previous version of the service does not call it; `down` drops it. SQLite has
 * nothing to add (an UPDATE there replaces its index entries, none is left behind).
 */
const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

export async function up(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await knex.raw(`
    CREATE FUNCTION follow_address(p_key text, p_unsubscribed boolean, p_except integer,
      p_now bigint)
    RETURNS SETOF integer LANGUAGE plpgsql VOLATILE
    SET enable_seqscan = off SET enable_bitmapscan = off SET jit = off AS $$
    BEGIN
      RETURN QUERY
      UPDATE leads SET unsubscribed = p_unsubscribed, updated_at = p_now,
        change_seq = (SELECT nextval('leads_change_seq'))
      WHERE email_key = p_key AND unsubscribed = NOT p_unsubscribed
        AND id IS DISTINCT FROM p_except
      RETURNING id;
    END $$`);
}

export async function down(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await knex.raw('DROP FUNCTION IF EXISTS follow_address(text, boolean, integer, bigint)');
}

// Rolling back drops a function: no data is lost.
export const rollbackDestroysData = false;
