import type { Knex } from 'knex';
import { propagationActivity, type PropagationActivity } from '../../domain/records.js';
import { fixedSql, type FixedSql } from './statement.js';

/**
 * What a propagation writes to the log: its activity's values, and the statements of the
 * `followers` form of a propagation's log (data-access/propagation-log.ts): one
 * propagation_events row holding what each follower's Change Data Value shows, and one
 * activity_followers row (id, lead_id, event_id) per person who followed.
 *
 * A follower's id is the one its activity row would have had: the next values of the
 * activities' own sequence, taken in the order of the followers' ids, so the change stream's
 * positions and order do not depend on the form. The event's id is its first follower's, the
 * lowest: a stream started at a time (idBefore) finds it through the events' (created_at, id)
 * index without reading any follower.
 *
 * No foreign key from a follower to its event: its check is an index lookup per follower,
 * what this form saves; both rows are written by one statement (PostgreSQL) or one message of
 * statements in one transaction (SQLite), and nothing deletes either.
 */

/** The columns of a propagation's activity and the placeholders of changeActivityBindings. */
export const PROPAGATION_COLUMNS =
  'lead_id, activity_type, created_at, attribute_name, old_value, new_value, reason, source, actor, cause_lead_id';
export const PROPAGATION_VALUES = `CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
         CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER)`;

/** The values of a propagation's Change Data Value activity, in the order its SQL takes them. */
export function changeActivityBindings(
  unsubscribed: boolean,
  now: number,
  activity: PropagationActivity,
): Knex.Value[] {
  // The lead id comes from the statement: the row the activity is for.
  const a = propagationActivity(0, unsubscribed, now, activity);
  return [
    a.activityType,
    a.createdAt,
    a.attributeName!,
    a.oldValue!,
    a.newValue!,
    a.reason!,
    a.source!,
    a.actor ? a.actor.slice(0, 128) : null,
    a.causeLeadId ?? null,
  ];
}

/** The columns of an event, in the order of PROPAGATION_VALUES. */
export const EVENT_COLUMNS =
  'activity_type, created_at, attribute_name, old_value, new_value, reason, source, actor, cause_lead_id';

/**
 * PostgreSQL: what follows `changed` (a CTE of the people who followed, RETURNING id) in the
 * propagation's statement. nextval runs after the sort (PostgreSQL evaluates a volatile output
 * column once the rows are in order), so ids follow the followers' ids; materialized, so each
 * follower takes one, and read back in that order. The event's id, the lowest, is taken once
 * (a subquery run once), not by a window over the followers and a second sort. The
 * statement's row count is the followers'.
 */
export function pgFollowersTail(): string {
  return `,
     n AS MATERIALIZED (
       SELECT id AS lead_id, nextval('activities_id_seq') AS fid FROM changed ORDER BY id
     ),
     e AS (
       INSERT INTO propagation_events (id, ${EVENT_COLUMNS})
       SELECT min(fid), ${PROPAGATION_VALUES} FROM n HAVING count(*) > 0
     )
     INSERT INTO activity_followers (id, lead_id, event_id)
     SELECT fid, lead_id, (SELECT min(fid) FROM n) FROM n`;
}

/** SQLite: the statements of the followers form, before the people's UPDATE. */
export interface SqliteFollowerStatements {
  /** The event (the activity's values, then the followers' WHERE bindings). */
  event: FixedSql;
  /** The followers (the WHERE bindings). */
  followers: FixedSql;
  /** The activities' sequence moved past the followers (no bindings). */
  sequence: FixedSql;
}

/**
 * SQLite: the activities' sequence moved past the highest follower's id, after followers
 * were written with ids of their own (here, and a batch's: batch/batch-flush.ts).
 */
export const SQLITE_SEQUENCE_PAST_FOLLOWERS = fixedSql(
  `UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM activity_followers)
   WHERE name = 'activities' AND seq < (SELECT max(id) FROM activity_followers)`,
);

/**
 * SQLite (one writer, holding the write lock): ids follow sqlite_sequence's value for
 * activities, the highest id AUTOINCREMENT ever gave (the migration makes sure the row
 * exists), and the sequence is then moved past them so the next activity's id follows.
 * `where`: the followers among the people (leads' columns, unqualified).
 */
export function sqliteFollowerStatements(where: string): SqliteFollowerStatements {
  const seq = `(SELECT seq FROM sqlite_sequence WHERE name = 'activities')`;
  return {
    event: fixedSql(
      `INSERT INTO propagation_events (id, ${EVENT_COLUMNS})
       SELECT ${seq} + 1, ${PROPAGATION_VALUES} WHERE EXISTS (SELECT 1 FROM leads WHERE ${where})`,
    ),
    followers: fixedSql(
      `INSERT INTO activity_followers (id, lead_id, event_id)
       SELECT s.seq + row_number() OVER (ORDER BY l.id), l.id, s.seq + 1
       FROM leads AS l, sqlite_sequence AS s
       WHERE s.name = 'activities' AND ${where} ORDER BY l.id`,
    ),
    sequence: SQLITE_SEQUENCE_PAST_FOLLOWERS,
  };
}
