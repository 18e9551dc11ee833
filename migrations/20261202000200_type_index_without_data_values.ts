import type { Knex } from 'knex';

/**
 * PostgreSQL: the activities' (activity_type, id) index leaves out Change Data Value, the type
 * of nearly every activity (every field a change sets, every person an unsubscribe reaches).
 * An unsubscribe reaching N people writes N such activities, and each took an entry in this
 * index too: one B-tree insert, and its write-ahead log, per person.
 *
 * What read through it: the change stream filtered on types (getLeadChanges' activityFilter
 * and activityNameFilter), whose every call reads a window of at most ACTIVITY_SCAN_LIMIT
 * activities past its start (activity.service.ts). A filter on other types reads them through
 * the partial index as before (PostgreSQL proves `activity_type IN ('New Lead', …)` implies
 * the index's predicate). A filter naming Change Data Value reads the window through the
 * primary key and tests the type on its rows, as it did whenever the planner judged that
 * cheaper (most rows of a window are of that type): at most ACTIVITY_SCAN_LIMIT rows either
 * way.
 *
 * SQLite keeps the whole index: its planner uses a partial index only when the query names
 * the index's own condition, so a filter on other types would lose it there.
 *
 * During a rolling upgrade the previous version keeps writing and reading the log: the index
 * is built CONCURRENTLY before the whole one is dropped, so either version finds what it
 * read through; each statement can be run again (an interrupted build leaves an invalid
 * index, which the next run drops and builds again).
 */
const WHOLE = 'activities_type_idx';
const WITHOUT_DATA_VALUES = 'activities_type_but_data_value_idx';
const PREDICATE = "activity_type <> 'Change Data Value'";

const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

/** Builds index `name` on activities (activity_type, id) [WHERE …], or finishes a build. */
async function buildIndex(knex: Knex, name: string, where: string | null): Promise<void> {
  const left = (await knex.raw(
    `SELECT x.indisvalid AS valid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE i.relname = ? AND pg_table_is_visible(i.oid)`,
    [name],
  )) as { rows: Array<{ valid: boolean }> };
  if (left.rows[0]?.valid) return;
  if (left.rows[0]) await knex.raw(`DROP INDEX CONCURRENTLY ${name}`);
  await knex.raw(
    `CREATE INDEX CONCURRENTLY ${name} ON activities (activity_type, id)${where ? ` WHERE ${where}` : ''}`,
  );
}

export async function up(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await buildIndex(knex, WITHOUT_DATA_VALUES, PREDICATE);
  await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${WHOLE}`);
}

export async function down(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await buildIndex(knex, WHOLE, null);
  await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${WITHOUT_DATA_VALUES}`);
}

// CREATE and DROP INDEX CONCURRENTLY cannot run inside a transaction.
export const config = { transaction: false };

// Rolling back rebuilds an index only: no data is lost.
export const rollbackDestroysData = false;
