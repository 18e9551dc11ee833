import type { Knex } from 'knex';
import {
  up as previousVersion,
  HOLDERS,
  PROPAGATION,
} from './20261203002100_unsubscribe_once_nobody_holds.js';

/**
 * PostgreSQL: unsubscribe_address_once (its second version, the one the service calls) writes
 * the address's status first, and reads it only when the address was unsubscribed already.
 *
 * The function read the status (`SELECT … FROM email_status WHERE email_key = …`) and then
 * wrote it (`INSERT … ON CONFLICT (email_key) DO UPDATE`). The read is planned once per
 * session and kept: a session that first ran it while `email_status` looked empty (a new
 * database, or statistics gathered before the first unsubscribe, and no autovacuum since) kept
 * a sequential scan of the whole table, paid at every call as the table grew (a one-click
 * unsubscribe's server CPU doubled over 8,000 new addresses, bench/pg-calls.ts). The write
 * finds the row through the table's key whatever the statistics: it now comes first, updating
 * only a row not unsubscribed (`WHERE NOT s.unsubscribed`); when it writes nothing the address
 * was unsubscribed already, and only then is the status read for its time. One statement fewer
 * for a new address, the same rows written, the same answers: under the address's lock, taken
 * first, nobody changes the status between the two statements of a replay.
 *
 * Same arguments and results: the previous version of the service calls it unchanged, and
 * `down` puts the previous body back. The first version (without p_followers) is left as it is.
 */
const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

const FUNCTION = `
    CREATE OR REPLACE FUNCTION unsubscribe_address_once(
      p_lock bigint, p_key text, p_reason text, p_source text, p_lead_id integer,
      p_changed_at bigint, p_activity_type text, p_attribute_name text, p_old_value text,
      p_new_value text, p_activity_reason text, p_activity_source text, p_actor text,
      p_cause_lead_id integer, p_followers boolean,
      OUT changed boolean, OUT people integer, OUT changed_at bigint)
    LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(p_lock);
      INSERT INTO email_status AS s (email_key, unsubscribed, reason, source, lead_id, changed_at,
          recorded_at, lifted_reason, lifted_at)
        VALUES (p_key, true, p_reason, p_source, p_lead_id, p_changed_at, p_changed_at, NULL, NULL)
        ON CONFLICT (email_key) DO UPDATE SET unsubscribed = excluded.unsubscribed,
          reason = excluded.reason, source = excluded.source, lead_id = excluded.lead_id,
          changed_at = excluded.changed_at, recorded_at = excluded.recorded_at,
          lifted_reason = excluded.lifted_reason, lifted_at = excluded.lifted_at
        WHERE NOT s.unsubscribed;
      IF NOT FOUND THEN
        -- Unsubscribed already: nothing written, the status's own time answered.
        changed := false; people := 0;
        SELECT s.changed_at INTO changed_at FROM email_status s WHERE s.email_key = p_key;
        RETURN;
      END IF;
      INSERT INTO email_status_history (email_key, unsubscribed, reason, source, lead_id,
          changed_at, recorded_at, lifted_reason, lifted_at)
        VALUES (p_key, true, p_reason, p_source, p_lead_id, p_changed_at, p_changed_at, NULL, NULL);
      people := 0;
      IF EXISTS (SELECT 1 FROM leads WHERE ${HOLDERS}) THEN
        ${PROPAGATION}
      END IF;
      changed := true; changed_at := p_changed_at;
    END $$`;

export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) await knex.raw(FUNCTION);
}

export async function down(knex: Knex): Promise<void> {
  // The body of migration 20261203002100 (the propagation only when someone holds the address).
  await previousVersion(knex);
}

// The function's body only: nothing stored changes.
export const rollbackDestroysData = false;
