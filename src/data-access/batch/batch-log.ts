import type { NewActivity, PropagationActivity } from '../../domain/records.js';
import type { PropagationLog } from '../propagation-log.js';
import { ACTIVITY_COLUMN_LIST, activityValues } from '../sql/activity.repository.js';
import { changeActivityBindings, EVENT_COLUMNS } from '../sql/propagation-statements.js';
import type { RowSet } from './row-sets.js';

/**
 * A batch's activity log, in the database's form (propagation-log.ts), as the single path
 * writes it: in the `followers` form each propagation's followers are one activity_followers
 * row each and one propagation_events row (its values changeActivityBindings', as the single
 * path's statements bind them), and whatever else the rules logged whole activities.
 *
 * Ids: the batch's activities, followers included, took the next ids of the activities'
 * sequence in the order the rules wrote them (one INSERT). Each entry keeps the id it had:
 * the caller gives the ids of the whole list, ascending, and every row carries its own, so
 * the change stream's positions and order do not depend on the form.
 */

/** A propagation among the batch's activities: the `count` followers' from index `at`. */
export interface FollowerRun {
  at: number;
  count: number;
  unsubscribed: boolean;
  now: number;
  activity: PropagationActivity;
}

/** One table's rows of the log, in the order they are to be inserted. */
export interface LogRows {
  table: 'activities' | 'propagation_events' | 'activity_followers';
  set: RowSet;
}

const EVENT_COLUMN_LIST = EVENT_COLUMNS.split(', ');
const FOLLOWER_COLUMNS = ['id', 'lead_id', 'event_id'];

/** True when the log has follower rows to write (and the caller ids to give). */
export function writesFollowers(form: PropagationLog, runs: readonly FollowerRun[]): boolean {
  return form === 'followers' && runs.length > 0;
}

/**
 * The log's rows. Without `ids` (the `activities` form, or no propagation): whole activities,
 * their ids the sequence's as the INSERT takes them. With `ids` (ids[i] the id of
 * activities[i]): activities, events, then followers, each row with its id.
 */
export function logRows(
  activities: readonly NewActivity[],
  runs: readonly FollowerRun[],
  ids: ((i: number) => number) | null,
): LogRows[] {
  if (!ids)
    return [
      {
        table: 'activities',
        set: { columns: ACTIVITY_COLUMN_LIST, rows: activities.map(activityValues) },
      },
    ];
  const whole: unknown[][] = [];
  const events: unknown[][] = [];
  const followers: unknown[][] = [];
  let i = 0;
  for (const run of runs) {
    for (; i < run.at; i++) whole.push([ids(i), ...activityValues(activities[i]!)]);
    const eventId = ids(run.at);
    events.push([eventId, ...changeActivityBindings(run.unsubscribed, run.now, run.activity)]);
    for (; i < run.at + run.count; i++) followers.push([ids(i), activities[i]!.leadId, eventId]);
  }
  for (; i < activities.length; i++) whole.push([ids(i), ...activityValues(activities[i]!)]);
  return [
    { table: 'activities', set: { columns: ['id', ...ACTIVITY_COLUMN_LIST], rows: whole } },
    { table: 'propagation_events', set: { columns: ['id', ...EVENT_COLUMN_LIST], rows: events } },
    { table: 'activity_followers', set: { columns: FOLLOWER_COLUMNS, rows: followers } },
  ];
}
