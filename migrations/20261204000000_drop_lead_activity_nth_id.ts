import type { Knex } from 'knex';

/**
 * PostgreSQL: drops `lead_activity_nth_id`, the window end of a lead's activity page (migration
 * 20261202000400, made bigint by 20261203002000). Nothing calls it since a lead's page under no
 * filter stopped going through the windowed reader (CHANGELOG, "Changed"); no released version
 * called it (0.1.0 has no such function), so an instance of the previous version runs on the
 * schema without it.
 *
 * `down` makes it again as 20261203002000 left it, so that the rollbacks before this one find
 * what they drop. SQLite never had it.
 */
const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

export async function up(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await knex.raw('DROP FUNCTION IF EXISTS lead_activity_nth_id(integer, bigint, integer)');
}

/** The lead's rows below p_before (none: every id), the function's only way in. */
const below = (t: string) =>
  `${t}.lead_id >= p_lead AND (${t}.lead_id, ${t}.id) < (p_lead, coalesce(p_before, 9223372036854775807))`;

export async function down(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await knex.raw(`
    CREATE FUNCTION lead_activity_nth_id(p_lead integer, p_before bigint, p_n integer)
    RETURNS bigint LANGUAGE sql STABLE
    SET enable_seqscan = off SET enable_bitmapscan = off SET jit = off AS $$
      SELECT id FROM (
        (SELECT a.id FROM activities a WHERE ${below('a')}
         ORDER BY a.lead_id DESC, a.id DESC LIMIT p_n)
        UNION ALL
        (SELECT f.id FROM activity_followers f WHERE ${below('f')}
         ORDER BY f.lead_id DESC, f.id DESC LIMIT p_n)
      ) u ORDER BY id DESC OFFSET p_n - 1 LIMIT 1
    $$`);
}

// Rolling back makes an unused function again: no data is lost.
export const rollbackDestroysData = false;
