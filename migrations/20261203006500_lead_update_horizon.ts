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
const PG_FUNCTION = `CREATE OR REPLACE FUNCTION leads_past_update_horizon() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  SELECT greatest(NEW.updated_at, h.v + 1) INTO NEW.updated_at
    FROM lead_update_horizon h WHERE h.id = 1;
  RETURN NEW;
END $$`;

const PG_TRIGGER = `CREATE TRIGGER leads_past_update_horizon
  BEFORE INSERT OR UPDATE OF updated_at ON leads
  FOR EACH ROW EXECUTE FUNCTION leads_past_update_horizon()`;

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
    await knex.raw(PG_FUNCTION);
    await knex.raw(PG_TRIGGER);
    return;
  }
  await knex.raw(sqliteTrigger('leads_inserted_past_update_horizon', 'INSERT'));
  await knex.raw(sqliteTrigger('leads_updated_past_update_horizon', 'UPDATE OF updated_at'));
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw('DROP TRIGGER IF EXISTS leads_past_update_horizon ON leads');
    await knex.raw('DROP FUNCTION IF EXISTS leads_past_update_horizon()');
  } else {
    await knex.raw('DROP TRIGGER IF EXISTS leads_inserted_past_update_horizon');
    await knex.raw('DROP TRIGGER IF EXISTS leads_updated_past_update_horizon');
  }
  await knex.schema.dropTableIfExists('lead_update_horizon');
}

// Rolling back drops the horizon only: no data is lost.
export const rollbackDestroysData = false;
