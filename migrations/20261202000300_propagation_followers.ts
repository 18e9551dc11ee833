import type { Knex } from 'knex';

/**
 * The log of a propagation with one narrow row per follower (src/data-access/propagation-log.ts):
 * `propagation_events` holds what each follower's Change Data Value shows (its id is its first
 * follower's), `activity_followers` one row per person who followed, its id from the
 * activities' own sequence. An unsubscribe reaching 10,000 people wrote 10,000 whole activity
 * rows, each with three or four index entries; it now writes 10,000 rows of three integers
 * with two.
 *
 * Adds only: the follower rows already in `activities` stay there and read as before (the
 * readers read both forms). During a rolling upgrade the previous version neither reads nor
 * writes the new tables; the new version writes them unless PROPAGATION_LOG=activities
 * (docs/operations.md). PostgreSQL: a second version of unsubscribe_address_once, which takes
 * the form as a last argument (p_followers); the first, which writes whole activities, stays
 * for the previous version of the service. SQLite: the sequence row of `activities` is made sure
 * of, since the followers' ids are taken from it (AUTOINCREMENT makes it at the first insert).
 *
 * `down` loses nothing: the followers become whole activity rows again, with their ids.
 */
const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

/** The second version's arguments: the first's, then the form of the log (p_followers). */
const FUNCTION_ARGS =
  'bigint, text, text, text, integer, bigint, text, text, text, text, text, text, text, integer, boolean';

/** The columns of an event: the activity's, as `activities` declares them. */
const EVENT_COLUMNS =
  'activity_type, created_at, attribute_name, old_value, new_value, reason, source, actor, cause_lead_id';

export async function up(knex: Knex): Promise<void> {
  const pg = isPostgres(knex);
  await knex.raw(`CREATE TABLE propagation_events (
    id integer PRIMARY KEY,
    activity_type varchar(64) NOT NULL,
    created_at bigint NOT NULL,
    attribute_name varchar(128),
    old_value text,
    new_value text,
    reason text,
    source varchar(128),
    actor varchar(128),
    cause_lead_id integer
  )`);
  // A stream started at a time: the first event since (activity-sources.ts, firstIdSince).
  await knex.raw(
    'CREATE INDEX propagation_events_created_idx ON propagation_events (created_at, id)',
  );
  await knex.raw(`CREATE TABLE activity_followers (
    id integer PRIMARY KEY,
    lead_id integer NOT NULL,
    event_id integer NOT NULL
  )`);
  // A person's log, newest first (its page, count and window end), and a merge's reassign.
  await knex.raw('CREATE INDEX activity_followers_lead_idx ON activity_followers (lead_id, id)');
  // The log in one, for people and tools reading it by hand. The service reads the two tables
  // itself (src/data-access/sql/activity-sources.ts): through the view PostgreSQL read a whole
  // table to find a page.
  await knex.raw(`CREATE VIEW activity_log AS
    SELECT id, lead_id, activity_type, created_at, attribute_name, old_value, new_value, reason,
      source, asset_name, extra, actor, cause_lead_id
    FROM activities
    UNION ALL
    SELECT f.id, f.lead_id, e.activity_type, e.created_at, e.attribute_name, e.old_value,
      e.new_value, e.reason, e.source, NULL, NULL, e.actor, e.cause_lead_id
    FROM activity_followers f JOIN propagation_events e ON e.id = f.event_id`);
  if (!pg) {
    await knex.raw(`INSERT INTO sqlite_sequence (name, seq)
      SELECT 'activities', coalesce((SELECT max(id) FROM activities), 0)
      WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'activities')`);
    return;
  }
  await knex.raw(`
    CREATE FUNCTION unsubscribe_address_once(
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
      IF NOT p_followers THEN
        WITH followers AS (
          UPDATE leads SET unsubscribed = true, updated_at = p_changed_at,
            change_seq = (SELECT nextval('leads_change_seq'))
          WHERE email_key = p_key AND unsubscribed = false
            AND (p_lead_id IS NULL OR id <> p_lead_id)
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
          WHERE email_key = p_key AND unsubscribed = false
            AND (p_lead_id IS NULL OR id <> p_lead_id)
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
      GET DIAGNOSTICS people = ROW_COUNT;
      changed := true; changed_at := p_changed_at;
    END $$`);
}

export async function down(knex: Knex): Promise<void> {
  // The followers back as whole activities, ids kept: the previous version reads those only.
  await knex.raw(`INSERT INTO activities (id, lead_id, ${EVENT_COLUMNS})
    SELECT f.id, f.lead_id, e.activity_type, e.created_at, e.attribute_name, e.old_value,
      e.new_value, e.reason, e.source, e.actor, e.cause_lead_id
    FROM activity_followers f JOIN propagation_events e ON e.id = f.event_id ORDER BY f.id`);
  if (isPostgres(knex))
    await knex.raw(`DROP FUNCTION IF EXISTS unsubscribe_address_once(${FUNCTION_ARGS})`);
  await knex.raw('DROP VIEW activity_log');
  await knex.raw('DROP TABLE activity_followers');
  await knex.raw('DROP TABLE propagation_events');
}

// Rolling back moves the followers into activities first: no data is lost.
export const rollbackDestroysData = false;
