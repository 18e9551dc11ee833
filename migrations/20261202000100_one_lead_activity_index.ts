import type { Knex } from 'knex';

/**
 * One index of a lead's activities instead of two. An unsubscribe that reaches N people writes
 * N activities, and every index of the activity log takes an entry for each: the two indexes
 * keyed by lead, (lead_id, id) and (lead_id, activity_type, id), land in N places of their
 * trees (most of a 10,000-people call's page splits and write-ahead log). (lead_id, id,
 * activity_type) serves what both served:
 *
 * - a lead's log, newest first, and the window ends and counts of a filtered read
 *   (activity.service.ts): the order of (lead_id, id), as before;
 * - a lead's log filtered on one type: the type is a column of the index, so the read tests it
 *   on the index entries of its window (at most ACTIVITY_SCAN_LIMIT of them, which finding the
 *   window already reads) and fetches only the rows that match. A filter on several types
 *   was never read through (lead_id, activity_type, id) on PostgreSQL (a list on a column
 *   after the first gives no order there): its plan does not change.
 *
 * The log can be large and grows without end, and during a rolling upgrade the previous
 * version keeps writing it: on PostgreSQL the index is built CONCURRENTLY (writes go on while
 * it is built), so the migration runs outside a transaction (`config`). Each statement can be
 * run again: a build interrupted half-way leaves an invalid index, which the next run drops and
 * builds again, and the old indexes go only once the new one is valid. SQLite builds it in
 * place, quickly, under its single writer. Dropping and rebuilding indexes loses no data
 * either way.
 */
const MERGED = 'activities_lead_id_type_idx';
const BY_LEAD = 'activities_lead_idx';
const BY_LEAD_TYPE = 'activities_lead_type_idx';

const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

/** Builds index `name` on activities(columns), or finishes a build that was interrupted. */
async function buildIndex(knex: Knex, name: string, columns: string): Promise<void> {
  if (!isPostgres(knex)) {
    await knex.raw(`CREATE INDEX IF NOT EXISTS ${name} ON activities (${columns})`);
    return;
  }
  const left = (await knex.raw(
    `SELECT x.indisvalid AS valid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE i.relname = ? AND pg_table_is_visible(i.oid)`,
    [name],
  )) as { rows: Array<{ valid: boolean }> };
  if (left.rows[0]?.valid) return;
  if (left.rows[0]) await knex.raw(`DROP INDEX CONCURRENTLY ${name}`);
  await knex.raw(`CREATE INDEX CONCURRENTLY ${name} ON activities (${columns})`);
}

async function dropIndex(knex: Knex, name: string): Promise<void> {
  await knex.raw(`DROP INDEX ${isPostgres(knex) ? 'CONCURRENTLY ' : ''}IF EXISTS ${name}`);
}

export async function up(knex: Knex): Promise<void> {
  await buildIndex(knex, MERGED, 'lead_id, id, activity_type');
  await dropIndex(knex, BY_LEAD);
  await dropIndex(knex, BY_LEAD_TYPE);
}

export async function down(knex: Knex): Promise<void> {
  await buildIndex(knex, BY_LEAD, 'lead_id, id');
  await buildIndex(knex, BY_LEAD_TYPE, 'lead_id, activity_type, id');
  await dropIndex(knex, MERGED);
}

// CREATE and DROP INDEX CONCURRENTLY cannot run inside a transaction.
export const config = { transaction: false };

// Rolling back rebuilds indexes only: no data is lost.
export const rollbackDestroysData = false;
