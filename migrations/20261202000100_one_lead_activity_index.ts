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
 * A plain CREATE INDEX in the migration's transaction (CONCURRENTLY cannot run in one): writes
 * to activities wait while it is built, seconds at the sizes this service stores. Dropping
 * and rebuilding indexes loses no data either way.
 */
const MERGED = 'activities_lead_id_type_idx';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('activities', (t) => {
    t.index(['lead_id', 'id', 'activity_type'], MERGED);
  });
  await knex.schema.alterTable('activities', (t) => {
    t.dropIndex(['lead_id', 'id'], 'activities_lead_idx');
    t.dropIndex(['lead_id', 'activity_type', 'id'], 'activities_lead_type_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('activities', (t) => {
    t.index(['lead_id', 'id'], 'activities_lead_idx');
    t.index(['lead_id', 'activity_type', 'id'], 'activities_lead_type_idx');
  });
  await knex.schema.alterTable('activities', (t) => {
    t.dropIndex(['lead_id', 'id', 'activity_type'], MERGED);
  });
}

// Rolling back rebuilds indexes only: no data is lost.
export const rollbackDestroysData = false;
