import type { Knex } from 'knex';

/**
 * A lead's activities of other types than Change Data Value (New Lead, Merge Leads, Delete
 * Lead…), by (lead_id, id). A getLeadActivity page whose activityFilter admits no Change Data
 * Value reads them alone (activity.service.ts): they are a few per person, where a history
 * holds thousands of data-value changes. Through (lead_id, id, activity_type) such a page read
 * every change below its start to find them, so it stopped after ACTIVITY_SCAN_LIMIT of them
 * with an empty page, which Talend's Marketo components take for the end of the log. Partial:
 * the writes of nearly every activity (a batch's changes) take no entry in it.
 *
 * The log can be large and the previous version keeps writing it during a rolling upgrade: on
 * PostgreSQL the index is built CONCURRENTLY, outside a transaction (`config`); a build
 * interrupted half-way leaves an invalid index, which the next run drops and builds again.
 * SQLite builds it in place under its single writer. Dropping it loses no data.
 */
const NAME = 'activities_lead_other_types_idx';
const DEFINITION = "ON activities (lead_id, id) WHERE activity_type <> 'Change Data Value'";

const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

export async function up(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) {
    await knex.raw(`CREATE INDEX IF NOT EXISTS ${NAME} ${DEFINITION}`);
    return;
  }
  const left = (await knex.raw(
    `SELECT x.indisvalid AS valid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE i.relname = ? AND pg_table_is_visible(i.oid)`,
    [NAME],
  )) as { rows: Array<{ valid: boolean }> };
  if (left.rows[0]?.valid) return;
  if (left.rows[0]) await knex.raw(`DROP INDEX CONCURRENTLY ${NAME}`);
  await knex.raw(`CREATE INDEX CONCURRENTLY ${NAME} ${DEFINITION}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX ${isPostgres(knex) ? 'CONCURRENTLY ' : ''}IF EXISTS ${NAME}`);
}

// CREATE and DROP INDEX CONCURRENTLY cannot run inside a transaction.
export const config = { transaction: false };

// Rolling back drops an index only: no data is lost.
export const rollbackDestroysData = false;
