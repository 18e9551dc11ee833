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

/** `query`, reading up to `end` (inclusive; null: no end) and no further. */
const upTo = (query: ActivityQuery, end: number | null): ActivityQuery =>
  end === null ? query : { ...query, maxId: end };

/** `id` no higher than `cap` (null: no end). */
const capAt = (id: number | null, cap: number | null) =>
  cap === null ? id : id === null ? cap : Math.min(id, cap);

/**
 * A lead's page under no filter: up to `limit` of its activities below `beforeId`, and how
 * many remain past them (up to REMAINING_COUNT_CAP), counted only when the page is full.
 */
export async function leadPage(
  activities: ActivityQueries,
  leadIds: readonly number[],
  beforeId: number | null,
  query: ActivityQuery,
  limit: number,
): Promise<PageRows> {
  const rows = await activities.listForLeads(leadIds, beforeId, query, limit);
  const last = rows[rows.length - 1];
  if (rows.length < limit) return { rows, remaining: 0, position: last?.id ?? beforeId ?? 0 };
  const remaining = await activities.countForLeads(leadIds, last!.id, query, REMAINING_COUNT_CAP);
  return { rows, remaining, position: last!.id };
}

/**
 * Up to `limit` activities of the change stream above `afterId`, reading no more than
 * `scanLimit` activities past it when the query may skip rows (the window: a filter that
 * matches little would otherwise read the whole log), and no id above `cap` (ids that may
 * still commit; null: none). `remaining` counts, up to REMAINING_COUNT_CAP, what is left past
 * the page under the same bounds: at least 1 when the window cut the read (there may be more),
 * what lies below the cap when the cap did (the rest comes once settled).
 */
export async function windowedChanges(
  activities: ActivityQueries,
  afterId: number,
  query: ActivityQuery,
  limit: number,
  scanLimit: number,
  cap: number | null,
): Promise<PageRows> {
  const bounded = skipsRows(query);
  // The id of the scanLimit-th activity past the start: the end of what this call may read.
  const windowEnd = bounded ? await activities.nthIdAfter(afterId, scanLimit) : null;
  const readEnd = capAt(windowEnd, cap);
  const rows = await activities.listAfter(afterId, upTo(query, readEnd), limit);
  const last = rows[rows.length - 1];
  const full = rows.length === limit;
  let remaining = 0;
  if (full) {
    const countEnd = bounded ? await activities.nthIdAfter(last!.id, scanLimit) : null;
    const countTo = capAt(countEnd, cap);
    const counted = await activities.countAfter(
      last!.id,
      upTo(query, countTo),
      REMAINING_COUNT_CAP,
    );
    // Cut at the window: there may be more. Cut at the cap: the rest comes once settled.
    remaining = countTo === countEnd && countEnd !== null ? Math.max(counted, 1) : counted;
  } else if (windowEnd !== null && readEnd === windowEnd) {
    remaining = 1; // read up to the window's end; what lies past it is still to be read
  }
  const position = full ? last!.id : windowEnd !== null ? readEnd! : (last?.id ?? afterId);
  return { rows, remaining, position };
}
