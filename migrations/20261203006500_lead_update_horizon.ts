import type { Knex } from 'knex';

/**
 * How far getMultipleLeads by LastUpdateAtSelector has served: the highest `updated_at` a page
 * has read up to (lead.service.ts, listUpdated). A lead's `updated_at` is stamped by the
 * service before its transaction begins; a stamp at or below the horizon, written once a page
 * has passed it, would lie behind every position already handed out, and no paging run would
 * ever serve it. So the database moves every stamp written past the horizon: a row inserted or
 * updated with an `updated_at` at or below it is given the horizon + 1 instead.
 *
 * The trigger reads the horizon inside the writer's transaction, after its BEGIN: on PostgreSQL
 * after the floor lock a page waits on (activity-horizon.ts, settle-writes.ts), on SQLite under
 * the file's only write lock. A page raises the horizon first, then waits for the writers in
 * flight: a writer that read the horizon before it was raised is among them, any other one
 * stamps past the page. This holds between processes (instances, WORKERS), where waiting for
 * the writes a process has taken up (unit-of-work.ts) cannot see another's.
 *
 * Writes that leave `updated_at` alone (clearing a foreign id) fire nothing. SQLite: an AFTER
 * trigger (a BEFORE one cannot change NEW) whose own UPDATE fires no trigger (recursive
 * triggers are off); its WHEN reads the horizon's one row by its key.
 */
// PostgreSQL: statement-level AFTER triggers over the rows the statement wrote (its transition
// tables), so that a batch of 300 rows pays for one look at the horizon, not 300 (a row trigger
// cost ~9 % of syncMultipleLeads' rate). The UPDATE they run fires them again, once, with
// nothing left at or below the horizon; the depth check ends that at once. An UPDATE that
// leaves `updated_at` as it was (clearing a foreign id) moves nothing: only rows whose stamp
// the statement changed are compared (a column list, which would say so, cannot go with
// transition tables). The rows are first looked over alone (linear); only when one is at or
// below the horizon (a page raced the write) is the join planned, then and there (EXECUTE): a
// plan kept from a statement of one row would join two transition tables (or a table of 65,536
// rows) by nested loops, quadratic in the rows a statement writes.
const PG_FUNCTIONS = [
  `CREATE OR REPLACE FUNCTION leads_inserted_past_update_horizon() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() > 1 THEN RETURN NULL; END IF;
  IF EXISTS (SELECT 1 FROM written
              WHERE updated_at <= (SELECT v FROM lead_update_horizon WHERE id = 1)) THEN
    EXECUTE 'UPDATE leads l SET updated_at = h.v + 1
               FROM written w, lead_update_horizon h
              WHERE h.id = 1 AND w.updated_at <= h.v AND l.id = w.id';
  END IF;
  RETURN NULL;
END $$`,
  `CREATE OR REPLACE FUNCTION leads_updated_past_update_horizon() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() > 1 THEN RETURN NULL; END IF;
  IF EXISTS (SELECT 1 FROM written
              WHERE updated_at <= (SELECT v FROM lead_update_horizon WHERE id = 1)) THEN
    EXECUTE 'UPDATE leads l SET updated_at = h.v + 1
               FROM written w JOIN was b ON b.id = w.id, lead_update_horizon h
              WHERE h.id = 1 AND w.updated_at <= h.v
                AND w.updated_at IS DISTINCT FROM b.updated_at AND l.id = w.id';
  END IF;
  RETURN NULL;
END $$`,
];

const PG_TRIGGERS = [
  `CREATE TRIGGER leads_inserted_past_update_horizon AFTER INSERT ON leads
  REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION leads_inserted_past_update_horizon()`,
  `CREATE TRIGGER leads_updated_past_update_horizon AFTER UPDATE ON leads
  REFERENCING OLD TABLE AS was NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION leads_updated_past_update_horizon()`,
];

const SQLITE_PAST = '(SELECT v FROM lead_update_horizon WHERE id = 1)';
const sqliteTrigger = (name: string, event: string) =>
  `CREATE TRIGGER ${name} AFTER ${event} ON leads
  WHEN NEW.updated_at <= ${SQLITE_PAST}
  BEGIN
    UPDATE leads SET updated_at = ${SQLITE_PAST} + 1 WHERE id = NEW.id;
  END`;

const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('lead_update_horizon', (t) => {
    t.integer('id').primary();
    t.bigInteger('v').notNullable();
  });
  await knex('lead_update_horizon').insert({ id: 1, v: 0 });
  if (isPostgres(knex)) {
    for (const statement of [...PG_FUNCTIONS, ...PG_TRIGGERS]) await knex.raw(statement);
    return;
  }
  await knex.raw(sqliteTrigger('leads_inserted_past_update_horizon', 'INSERT'));
  await knex.raw(sqliteTrigger('leads_updated_past_update_horizon', 'UPDATE OF updated_at'));
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    for (const name of [
      'leads_inserted_past_update_horizon',
      'leads_updated_past_update_horizon',
    ]) {
      await knex.raw(`DROP TRIGGER IF EXISTS ${name} ON leads`);
      await knex.raw(`DROP FUNCTION IF EXISTS ${name}()`);
    }
  } else {
    await knex.raw('DROP TRIGGER IF EXISTS leads_inserted_past_update_horizon');
    await knex.raw('DROP TRIGGER IF EXISTS leads_updated_past_update_horizon');
  }
  await knex.schema.dropTableIfExists('lead_update_horizon');
}

// Rolling back drops the horizon only: no data is lost.
export const rollbackDestroysData = false;
