import type { Knex } from 'knex';

/**
 * PostgreSQL: activity ids as bigint. The contract's `ActivityRecord/id` is an `xs:long`, but
 * the activities' sequence and id columns were 32-bit: once 2,147,483,647 ids had been taken
 * (every follower of a propagation takes one, so an address shared by 10,000 people takes
 * 10,000 at each opt-out) `nextval` failed and every write that logs an activity with it,
 * acknowledged opt-outs included, was refused from then on.
 *
 * The sequence becomes `AS bigint` (its maximum follows); the id columns of `activities`,
 * `propagation_events` and `activity_followers` (and the followers' `event_id`) become bigint;
 * the page's window-end function returns a bigint and reads "no position" as the largest one.
 * The view over the two logs depends on the columns' types: it is dropped and made again,
 * unchanged. Changing a column's type rewrites its table and indexes under an exclusive lock:
 * on a large log that takes minutes, during which writes wait (docs/operations.md, "Upgrading").
 *
 * SQLite's integer keys are 64-bit already: nothing to change there.
 *
 * `down` makes them 32-bit again; it fails, changing nothing, once an id above the 32-bit
 * range exists.
 */
const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

/** The view, as the followers' migration (20261202000300) made it. */
const ACTIVITY_LOG_VIEW = `CREATE VIEW activity_log AS
    SELECT id, lead_id, activity_type, created_at, attribute_name, old_value, new_value, reason,
      source, asset_name, extra, actor, cause_lead_id
    FROM activities
    UNION ALL
    SELECT f.id, f.lead_id, e.activity_type, e.created_at, e.attribute_name, e.old_value,
      e.new_value, e.reason, e.source, NULL, NULL, e.actor, e.cause_lead_id
    FROM activity_followers f JOIN propagation_events e ON e.id = f.event_id`;

/** The lead's index range as the only way in, and no JIT (as in 20261202000400). */
const SETTINGS = 'SET enable_seqscan = off SET enable_bitmapscan = off SET jit = off';

/** The window end (activity.repository.ts, nthIdBeforeForLeads) for ids of `type`. */
function nthIdFunction(type: 'bigint' | 'integer'): string {
  const none = type === 'bigint' ? '9223372036854775807' : '2147483648';
  const below = (t: string) =>
    `${t}.lead_id >= p_lead AND (${t}.lead_id, ${t}.id) < (p_lead, coalesce(p_before, ${none}))`;
  return `CREATE FUNCTION lead_activity_nth_id(p_lead integer, p_before bigint, p_n integer)
    RETURNS ${type} LANGUAGE sql STABLE ${SETTINGS} AS $$
      SELECT id FROM (
        (SELECT a.id FROM activities a WHERE ${below('a')}
         ORDER BY a.lead_id DESC, a.id DESC LIMIT p_n)
        UNION ALL
        (SELECT f.id FROM activity_followers f WHERE ${below('f')}
         ORDER BY f.lead_id DESC, f.id DESC LIMIT p_n)
      ) u ORDER BY id DESC OFFSET p_n - 1 LIMIT 1
    $$`;
}

/** The count below a position: "no position" as the largest id of `type`. */
function countFunction(type: 'bigint' | 'integer'): string {
  const none = type === 'bigint' ? '9223372036854775807' : '2147483648';
  const below = (t: string) =>
    `${t}.lead_id >= p_lead AND (${t}.lead_id, ${t}.id) < (p_lead, coalesce(p_before, ${none}))`;
  return `CREATE FUNCTION lead_activity_count(p_lead integer, p_before bigint, p_cap integer)
    RETURNS integer LANGUAGE sql STABLE ${SETTINGS} AS $$
      SELECT count(*)::integer FROM (
        SELECT a.id FROM activities a WHERE ${below('a')}
        UNION ALL
        SELECT f.id FROM activity_followers f WHERE ${below('f')}
        LIMIT p_cap
      ) capped
    $$`;
}

async function retype(knex: Knex, type: 'bigint' | 'integer'): Promise<void> {
  await knex.raw('DROP VIEW activity_log');
  await knex.raw('DROP FUNCTION lead_activity_nth_id(integer, bigint, integer)');
  await knex.raw('DROP FUNCTION lead_activity_count(integer, bigint, integer)');
  if (type === 'integer') await knex.raw('ALTER SEQUENCE activities_id_seq AS integer');
  await knex.raw(`ALTER TABLE activities ALTER COLUMN id TYPE ${type}`);
  await knex.raw(`ALTER TABLE propagation_events ALTER COLUMN id TYPE ${type}`);
  await knex.raw(
    `ALTER TABLE activity_followers ALTER COLUMN id TYPE ${type}, ALTER COLUMN event_id TYPE ${type}`,
  );
  if (type === 'bigint') await knex.raw('ALTER SEQUENCE activities_id_seq AS bigint');
  await knex.raw(ACTIVITY_LOG_VIEW);
  await knex.raw(nthIdFunction(type));
  await knex.raw(countFunction(type));
}

export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) await retype(knex, 'bigint');
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) await retype(knex, 'integer');
}
