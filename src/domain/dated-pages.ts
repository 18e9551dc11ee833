import type { ActivityQueries } from './ports.js';
import type { ActivityQuery } from './records.js';
import { admitsDataValues } from './activity-types.js';
import { REMAINING_COUNT_CAP } from './paging.js';
import { leadRowsAndMore, type PageRows } from './activity-window.js';

/** Whether a query tests the type or the lead (a date-bounded stream's seek does not cover). */
export const filtersRows = (q: ActivityQuery) =>
  q.leadIds !== undefined ||
  q.includeTypes !== undefined ||
  (q.excludeTypes !== undefined && q.excludeTypes.length > 0);

/** Whether a query is bounded by a date. */
export const dated = (q: ActivityQuery) =>
  q.oldestCreatedAt !== undefined || q.latestCreatedAt !== undefined;

/**
 * A lead's page bounded by dates (and perhaps a type filter): never empty while an activity
 * within them remains below the start, its remainingCount 0 exactly when none does (1 while
 * some do: counting them would read every one). Ids need not follow times, so the dates
 * cannot be a range of the lead's index; the read starts and stops at the ids past which no
 * activity lies within them (dateSeek, through the (created_at, id) index), and between
 * those passes over only what the dates leave out there: activities whose ids and times
 * disagree (imports). A page reads about as many entries as it answers, whatever the
 * length of the history, and no window can end it early.
 */
export async function datedPage(
  activities: ActivityQueries,
  leadIds: readonly number[],
  beforeId: number | null,
  query: ActivityQuery,
  limit: number,
): Promise<PageRows> {
  const typed = query.includeTypes !== undefined || (query.excludeTypes ?? []).length > 0;
  const seek = await activities.dateSeek(query.oldestCreatedAt, query.latestCreatedAt, false);
  const q: ActivityQuery = {
    ...query,
    ...seek,
    ...(typed && !admitsDataValues(query) ? { withoutDataValues: true } : {}),
  };
  const { rows, more } = await leadRowsAndMore(activities, leadIds, beforeId, q, limit);
  const last = rows[rows.length - 1];
  return { rows, remaining: more ? 1 : 0, position: last?.id ?? beforeId ?? 0 };
}

/**
 * A getLeadChanges page bounded by latestCreatedAt alone (no type filter, no leads): never
 * empty while an activity at or before it remains past the start, its remainingCount 0
 * exactly when none does. Past the ids dateSeek finds, no activity was created by then: the
 * read stops there (or at the settled cap, null: none), instead of after a window of
 * scanLimit.
 */
export async function datedChanges(
  activities: ActivityQueries,
  afterId: number,
  query: ActivityQuery,
  limit: number,
  cap: number | null,
): Promise<PageRows> {
  const seek = await activities.dateSeek(undefined, query.latestCreatedAt, true);
  const end = Math.max(seek.ownMaxId ?? 0, seek.followedMaxId ?? 0);
  const readEnd = Math.max(cap === null ? end : Math.min(end, cap), afterId);
  const q: ActivityQuery = { ...query, ...seek, maxId: readEnd };
  const rows = await activities.listAfter(afterId, q, limit);
  const last = rows[rows.length - 1];
  const full = rows.length === limit;
  // Not full: every activity within the date up to readEnd was read.
  const remaining = full ? await activities.countAfter(last!.id, q, REMAINING_COUNT_CAP) : 0;
  return { rows, remaining, position: full ? last!.id : readEnd };
}

/**
 * The window of a getLeadActivity read given no upper bound, as the vendor's answers carried
 * it: latestCreatedAt, the time of the read (to the end of its second, as a bound in whole
 * seconds reads). Taken after the read, it is no earlier than any activity the read saw, nor
 * than any below them (an id is handed out after its activity is stamped): passed back with
 * the offset, it leaves out only the activities written since, which the offset already does;
 * a client keeping it as a watermark reads on from there next time.
 */
export function readWindow(now: number): { latestCreatedAt: Date } {
  return { latestCreatedAt: new Date(Math.floor(now / 1000) * 1000 + 999) };
}
