import type { Knex } from 'knex';

/**
 * PostgreSQL: a lead's remaining count and window end (activity.repository.ts countForLeads,
 * nthIdBeforeForLeads) as functions whose plans read the lead's index range, (lead_id, id),
 * and stop at their limit, whatever the statistics say.
 *
 * The count is `count(*)` of at most `cap` of the lead's ids below a position, in no order, and
 * PostgreSQL chose its plan from the statistics: with none yet for a grown history (it expects
 * a few rows) a bitmap scan of the whole history, with them and the lead's rows the newest of
 * the table a sequential scan from the table's start; at 100,000 activities 4.4 and 20.9 ms
 * against 1-2 ms for an index scan stopping at the cap. The window end (the n-th id, newest
 * first) had the choice between an index scan that stops at n and a bitmap scan of the whole
 * history, sorted.
 *
 * What leaves the planner one way:
 * - the settings are the functions' own (`SET enable_seqscan = off`, `enable_bitmapscan =
 *   off`): in force during the call only, which holds under PgBouncer's transaction pooling
 *   too (the reads run outside a transaction, where SET LOCAL would cost round trips);
 * - the position is a row comparison, `(lead_id, id) < (lead, position)`, and the lead a range
 *   bound, `lead_id >= lead`: only an index on (lead_id, id) can search by them or give their
 *   order (lead_id, id), so no other index of the table is a way in (with `id < position`,
 *   the primary key was: a generic plan counted along it from the table's start);
 * - no JIT: a plan these settings had left no other way than a disabled one would cost more
 *   than jit_above_cost, and compiling it takes longer than the read.
 *
 * One lead each; several (a key that finds several people) are read by the statements as
 * before. Adds only: the previous version of the service does not call them (a rolling upgrade
 * keeps it working); `down` drops them. SQLite has nothing to add: its plans are index searches
 * on (lead_id, id) that stop at the limit (test/integration/activity-count-plans.test.ts).
 */
const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

/** Only the lead's index range as a way in, and no JIT. */
const SETTINGS = 'SET enable_seqscan = off SET enable_bitmapscan = off SET jit = off';

/** Rows of lead p_lead with ids below p_before (none: every id, which are integers). */
const BELOW = (t: string) =>
  `${t}.lead_id >= p_lead AND (${t}.lead_id, ${t}.id) < (p_lead, coalesce(p_before, 2147483648))`;

export async function up(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  // How many of the lead's activities lie below p_before, counting no further than p_cap.
  await knex.raw(`
    CREATE FUNCTION lead_activity_count(p_lead integer, p_before bigint, p_cap integer)
    RETURNS integer LANGUAGE sql STABLE ${SETTINGS} AS $$
      SELECT count(*)::integer FROM (
        SELECT a.id FROM activities a WHERE ${BELOW('a')}
        UNION ALL
        SELECT f.id FROM activity_followers f WHERE ${BELOW('f')}
        LIMIT p_cap
      ) capped
    $$`);
  // The id of the lead's p_n-th activity below p_before, newest first, or null: each side
  // read backwards along its index for p_n entries at most.
  await knex.raw(`
    CREATE FUNCTION lead_activity_nth_id(p_lead integer, p_before bigint, p_n integer)
    RETURNS integer LANGUAGE sql STABLE ${SETTINGS} AS $$
      SELECT id FROM (
        (SELECT a.id FROM activities a WHERE ${BELOW('a')}
         ORDER BY a.lead_id DESC, a.id DESC LIMIT p_n)
        UNION ALL
        (SELECT f.id FROM activity_followers f WHERE ${BELOW('f')}
         ORDER BY f.lead_id DESC, f.id DESC LIMIT p_n)
      ) u ORDER BY id DESC OFFSET p_n - 1 LIMIT 1
    $$`);
}

export async function down(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await knex.raw('DROP FUNCTION IF EXISTS lead_activity_nth_id(integer, bigint, integer)');
  await knex.raw('DROP FUNCTION IF EXISTS lead_activity_count(integer, bigint, integer)');
}

// Rolling back drops two functions: no data is lost.
export const rollbackDestroysData = false;
