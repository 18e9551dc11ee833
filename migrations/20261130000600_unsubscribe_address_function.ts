import type { Knex } from 'knex';

/**
 * PostgreSQL: unsubscribe_address_once, an unsubscribe that nobody asked to undo (an
 * unsubscribe link, a mailbox provider's one-click POST) in one round trip where it took
 * four: the address's lock, its master status read under that lock, and, unless the address is
 * unsubscribed already, the status, its history and every person holding the address (rules 1
 * and 2), each follower with its activity. The values of every row (reason, source, the
 * activity's columns) come from the caller, as the statements of the general path take them;
 * each statement below runs with a snapshot of its own, so the status read and the followers
 * are those the lock protects. SQLite runs the same steps as statements
 * (data-access/sql/lead-propagation.ts); a test on both engines pins the two together.
 */
export async function up(knex: Knex): Promise<void> {
  if ((knex.client as { dialect?: string }).dialect !== 'postgresql') return;
  await knex.raw(`
    CREATE FUNCTION unsubscribe_address_once(
      p_lock bigint, p_key text, p_reason text, p_source text, p_lead_id integer,
      p_changed_at bigint, p_activity_type text, p_attribute_name text, p_old_value text,
      p_new_value text, p_activity_reason text, p_activity_source text, p_actor text,
      p_cause_lead_id integer,
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
      WITH followers AS (
        UPDATE leads SET unsubscribed = true, updated_at = p_changed_at,
          change_seq = (SELECT nextval('leads_change_seq'))
        WHERE email_key = p_key AND unsubscribed = false
          AND (p_lead_id IS NULL OR id <> p_lead_id)
        RETURNING id
      )
      INSERT INTO activities (lead_id, activity_type, created_at, attribute_name, old_value,
          new_value, reason, source, actor, cause_lead_id)
        SELECT id, p_activity_type, p_changed_at, p_attribute_name, p_old_value, p_new_value,
          p_activity_reason, p_activity_source, p_actor, p_cause_lead_id
        FROM followers ORDER BY id;
      GET DIAGNOSTICS people = ROW_COUNT;
      changed := true; changed_at := p_changed_at;
    END $$`);
}

export async function down(knex: Knex): Promise<void> {
  if ((knex.client as { dialect?: string }).dialect !== 'postgresql') return;
  await knex.raw(
    'DROP FUNCTION IF EXISTS unsubscribe_address_once(bigint, text, text, text, integer, bigint, text, text, text, text, text, text, text, integer)',
  );
}
