import type { Knex } from 'knex';

/**
 * PostgreSQL: unsubscribe_address_once (its second version, the one the service calls) runs
 * the propagation statement only when someone holds the address.
 *
 * An unsubscribe link often names an address nobody holds yet (rule 3: a later create takes
 * the status). The propagation is one statement of several CTEs (the people's UPDATE, their
 * ids numbered, the event's INSERT, the followers' INSERT); its plan is cached for the
 * session, but the executor is started and ended at every call, each of its nodes set up for
 * rows that never come: `perf` on the backend put the executor's start at a fifth of the
 * server's CPU of a one-click group, most of it this statement's. An index probe for a person
 * the statement would update (the same condition, read through the same index) now comes
 * first; only when it finds one does the statement run. Under the address's lock, taken
 * first, no writer adds a holder between the two (every writer of a person's address takes
 * it); each statement reads with a snapshot of its own, as before.
 *
 * Same arguments, results and writes: the previous version of the service calls it unchanged
 * (a rolling upgrade keeps working), and `down` puts the previous body back. The first version
 * (without p_followers), which only the service before the followers' log calls, is left as
 * it is.
 */
const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

/** The columns of an event: the activity's, as `activities` declares them. */
const EVENT_COLUMNS =
  'activity_type, created_at, attribute_name, old_value, new_value, reason, source, actor, cause_lead_id';

/** The people the propagation updates: the same condition in the probe and the statement. */
export const HOLDERS = `email_key = p_key AND unsubscribed = false
            AND (p_lead_id IS NULL OR id <> p_lead_id)`;

/** The propagation: each follower with its whole activity, or as one event and a follower row. */
export const PROPAGATION = `IF NOT p_followers THEN
          WITH followers AS (
            UPDATE leads SET unsubscribed = true, updated_at = p_changed_at,
              change_seq = (SELECT nextval('leads_change_seq'))
            WHERE ${HOLDERS}
            RETURNING id
          )
          INSERT INTO activities (lead_id, ${EVENT_COLUMNS})
            SELECT id, p_activity_type, p_changed_at, p_attribute_name, p_old_value, p_new_value,
              p_activity_reason, p_activity_source, p_actor, p_cause_lead_id
            FROM followers ORDER BY id;
        ELSE
          WITH followers AS (
            UPDATE leads SET unsubscribed = true, updated_at = p_changed_at,
              change_seq = (SELECT nextval('leads_change_seq'))
            WHERE ${HOLDERS}
            RETURNING id
          ),
          n AS MATERIALIZED (
            SELECT id AS lead_id, nextval('activities_id_seq') AS fid FROM followers ORDER BY id
          ),
          e AS (
            INSERT INTO propagation_events (id, ${EVENT_COLUMNS})
            SELECT min(fid), p_activity_type, p_changed_at, p_attribute_name, p_old_value,
              p_new_value, p_activity_reason, p_activity_source, p_actor, p_cause_lead_id
            FROM n HAVING count(*) > 0
          )
          INSERT INTO activity_followers (id, lead_id, event_id)
            SELECT fid, lead_id, min(fid) OVER () FROM n ORDER BY fid;
        END IF;
        GET DIAGNOSTICS people = ROW_COUNT;`;

/** The function's text; `probe`: the propagation only when a holder is found. */
function unsubscribeAddressOnce(probe: boolean): string {
  return `
    CREATE OR REPLACE FUNCTION unsubscribe_address_once(
      p_lock bigint, p_key text, p_reason text, p_source text, p_lead_id integer,
      p_changed_at bigint, p_activity_type text, p_attribute_name text, p_old_value text,
      p_new_value text, p_activity_reason text, p_activity_source text, p_actor text,
      p_cause_lead_id integer, p_followers boolean,
      OUT changed boolean, OUT people integer, OUT changed_at bigint)
    LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
      was_unsubscribed boolean;
      was_changed_at bigint;
    BEGIN
      PERFORM pg_advisory_xact_lock(p_lock);
      SELECT s.unsubscribed, s.changed_at INTO was_unsubscribed, was_changed_at
        FROM email_status s WHERE s.email_key = p_key;
      IF was_unsubscribed THEN
        changed := false; people := 0; changed_at := was_changed_at;
        RETURN;
      END IF;
      INSERT INTO email_status AS s (email_key, unsubscribed, reason, source, lead_id, changed_at,
          recorded_at, lifted_reason, lifted_at)
        VALUES (p_key, true, p_reason, p_source, p_lead_id, p_changed_at, p_changed_at, NULL, NULL)
        ON CONFLICT (email_key) DO UPDATE SET unsubscribed = excluded.unsubscribed,
          reason = excluded.reason, source = excluded.source, lead_id = excluded.lead_id,
          changed_at = excluded.changed_at, recorded_at = excluded.recorded_at,
          lifted_reason = excluded.lifted_reason, lifted_at = excluded.lifted_at;
      INSERT INTO email_status_history (email_key, unsubscribed, reason, source, lead_id,
          changed_at, recorded_at, lifted_reason, lifted_at)
        VALUES (p_key, true, p_reason, p_source, p_lead_id, p_changed_at, p_changed_at, NULL, NULL);
      ${
        probe
          ? `people := 0;
      IF EXISTS (SELECT 1 FROM leads WHERE ${HOLDERS}) THEN
        ${PROPAGATION}
      END IF;`
          : PROPAGATION
      }
      changed := true; changed_at := p_changed_at;
    END $$`;
}

export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) await knex.raw(unsubscribeAddressOnce(true));
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) await knex.raw(unsubscribeAddressOnce(false));
}

// The function's body only: nothing stored changes.
export const rollbackDestroysData = false;
