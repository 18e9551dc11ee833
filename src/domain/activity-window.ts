import type { ActivityQueries } from './ports.js';
import type { ActivityQuery, ActivityRecord } from './records.js';
import { REMAINING_COUNT_CAP } from './paging.js';

/** A page's rows, how many remain past them, and the position to go on from. */
export interface PageRows {
  rows: ActivityRecord[];
  remaining: number;
  position: number;
}

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
 * A getLeadChanges page under no filter (no type, no lead; a date-bounded one is datedChanges):
 * up to `limit` activities of the change stream above `afterId` and no id above `cap` (ids
 * that may still commit; null: none), and how many remain past them up to the cap (up to
 * REMAINING_COUNT_CAP; the rest comes once settled). Every activity read is answered, so no
 * window bounds the read: a filtered page needs one (filteredChanges), as a filter matching
 * little would otherwise read the whole log.
 */
export async function unfilteredChanges(
  activities: ActivityQueries,
  afterId: number,
  query: ActivityQuery,
  limit: number,
  cap: number | null,
): Promise<PageRows> {
  const capped = upTo(query, cap);
  const rows = await activities.listAfter(afterId, capped, limit);
  const last = rows[rows.length - 1];
  if (rows.length < limit) return { rows, remaining: 0, position: last?.id ?? afterId };
  const remaining = await activities.countAfter(last!.id, capped, REMAINING_COUNT_CAP);
  return { rows, remaining, position: last!.id };
}
