import type { ActivityQueries } from './ports.js';
import type { ActivityQuery, ActivityRecord } from './records.js';
import { REMAINING_COUNT_CAP } from './paging.js';

/** A page's rows, how many remain past them, and the position to go on from. */
export interface PageRows {
  rows: ActivityRecord[];
  remaining: number;
  position: number;
}

/** Whether a query may skip rows: only then can finding a batch mean reading far. */
const skipsRows = (q: ActivityQuery) =>
  q.leadIds !== undefined ||
  q.includeTypes !== undefined ||
  (q.excludeTypes !== undefined && q.excludeTypes.length > 0) ||
  q.oldestCreatedAt !== undefined ||
  q.latestCreatedAt !== undefined;

/**
 * One direction of the activity log as the repository reads it, past a position (exclusive):
 * a lead's activities below an id, or the change stream above one. `scope`: the people a
 * lead's page reads (the stream's query names its own, if any). Module constants, so that a
 * page allocates nothing for its direction.
 */
export interface LogDirection<Scope, From extends number | null> {
  /** The id of the n-th activity past `from`, or null when there are fewer. */
  nthId(
    activities: ActivityQueries,
    scope: Scope,
    from: From | number,
    n: number,
  ): Promise<number | null>;
  list(
    activities: ActivityQueries,
    scope: Scope,
    from: From | number,
    query: ActivityQuery,
    limit: number,
  ): Promise<ActivityRecord[]>;
  count(
    activities: ActivityQueries,
    scope: Scope,
    from: From | number,
    query: ActivityQuery,
    cap: number,
  ): Promise<number>;
  /** `query`, reading up to `end` (inclusive) and no further. */
  upTo(query: ActivityQuery, end: number): ActivityQuery;
}

/** A lead's page (getLeadActivity): its people's activities below an id, newest first. */
export const NEWEST_FIRST: LogDirection<readonly number[], number | null> = {
  nthId: (activities, leadIds, beforeId, n) => activities.nthIdBeforeForLeads(leadIds, beforeId, n),
  list: (activities, leadIds, beforeId, query, limit) =>
    activities.listForLeads(leadIds, beforeId, query, limit),
  count: (activities, leadIds, beforeId, query, cap) =>
    activities.countForLeads(leadIds, beforeId, query, cap),
  upTo: (query, end) => ({ ...query, minId: end }),
};

/** The change stream's page (getLeadChanges): every activity above an id, oldest first. */
export const OLDEST_FIRST: LogDirection<null, number> = {
  nthId: (activities, _, afterId, n) => activities.nthIdAfter(afterId, n),
  list: (activities, _, afterId, query, limit) => activities.listAfter(afterId, query, limit),
  count: (activities, _, afterId, query, cap) => activities.countAfter(afterId, query, cap),
  upTo: (query, end) => ({ ...query, maxId: end }),
};

/**
 * Up to `limit` of a lead's activities below `beforeId` under `query`, and whether any is left
 * past them: one more than the page is read, so that it is known, not guessed.
 */
export async function leadRowsAndMore(
  activities: ActivityQueries,
  leadIds: readonly number[],
  beforeId: number | null,
  query: ActivityQuery,
  limit: number,
): Promise<{ rows: ActivityRecord[]; more: boolean }> {
  const found = await activities.listForLeads(leadIds, beforeId, query, limit + 1);
  const more = found.length > limit;
  return { rows: more ? found.slice(0, limit) : found, more };
}

/** `id` no higher than `cap` (null: no end). */
const capAt = (id: number | null, cap: number | null) =>
  cap === null ? id : id === null ? cap : Math.min(id, cap);

/**
 * Up to `limit` activities past `from` in `direction`, reading no more than `scanLimit`
 * activities past it when the query may skip rows (the window: a filter that matches little
 * would otherwise read the whole log), and no id above `cap` (the change stream's: ids that may
 * still commit; null for a lead's page). `remaining` counts, up to REMAINING_COUNT_CAP, what is
 * left past the page under the same bounds: at least 1 when the window cut the read (there may
 * be more), what lies below the cap when the cap did (the rest comes once settled).
 */
export async function windowedPage<Scope, From extends number | null>(
  direction: LogDirection<Scope, From>,
  activities: ActivityQueries,
  scope: Scope,
  from: From,
  query: ActivityQuery,
  limit: number,
  scanLimit: number,
  cap: number | null,
): Promise<PageRows> {
  const bounded = skipsRows(query);
  // The id of the scanLimit-th activity past the start: the end of what this call may read.
  const windowEnd = bounded ? await direction.nthId(activities, scope, from, scanLimit) : null;
  const readEnd = capAt(windowEnd, cap);
  const rows = await direction.list(
    activities,
    scope,
    from,
    readEnd === null ? query : direction.upTo(query, readEnd),
    limit,
  );
  const last = rows[rows.length - 1];
  const full = rows.length === limit;
  let remaining = 0;
  if (full) {
    const countEnd = bounded ? await direction.nthId(activities, scope, last!.id, scanLimit) : null;
    const countTo = capAt(countEnd, cap);
    const counted = await direction.count(
      activities,
      scope,
      last!.id,
      countTo === null ? query : direction.upTo(query, countTo),
      REMAINING_COUNT_CAP,
    );
    // Cut at the window: there may be more. Cut at the cap: the rest comes once settled.
    remaining = countTo === countEnd && countEnd !== null ? Math.max(counted, 1) : counted;
  } else if (windowEnd !== null && readEnd === windowEnd) {
    remaining = 1; // read up to the window's end; what lies past it is still to be read
  }
  const position = full ? last!.id : windowEnd !== null ? readEnd! : (last?.id ?? from ?? 0);
  return { rows, remaining, position };
}
