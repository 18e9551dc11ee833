import type { ActivityQueries } from './ports.js';
import type { ActivityQuery } from './records.js';
import { ACTIVITY_TYPES } from './activity-types.js';
import { REMAINING_COUNT_CAP } from './paging.js';
import type { PageRows } from './activity-window.js';

/**
 * The query a seek tests: the types a filter admits as a list, an exclusion as the vendor's
 * types it leaves (the only ones the log holds: every activity this service writes is of
 * one), so that each is found through the (activity_type, id) index.
 */
function seekQuery(query: ActivityQuery): ActivityQuery {
  const { excludeTypes, ...rest } = query;
  if (rest.includeTypes !== undefined || excludeTypes === undefined || excludeTypes.length === 0)
    return rest;
  const out = new Set(excludeTypes);
  return { ...rest, includeTypes: Object.values(ACTIVITY_TYPES).filter((t) => !out.has(t)) };
}

/** `id` no higher than `cap` (null: no end). */
const capAt = (id: number | null, cap: number | null) =>
  cap === null ? id : id === null ? cap : Math.min(id, cap);

/**
 * A getLeadChanges page filtered by type or by leads: never empty while an activity the filter
 * admits remains past `afterId` (up to `cap`, the settled ids; null: none), its remainingCount
 * 0 exactly when none does. Clients loop while remainingCount > 0 and stop at the first empty
 * page (Talend's Marketo components), so a page that read a stretch of the log without a
 * match must not answer. The page seeks its first match through the indexes by lead or by type
 * (firstIdAfter: a few index descents, however far it lies), then reads from there a window
 * of at most `scanLimit` activities, as before, so that a filter matching little costs at most
 * that many rows however long the log; and whether any match lies past the window is
 * answered by a seek too.
 */
export async function filteredChanges(
  activities: ActivityQueries,
  afterId: number,
  query: ActivityQuery,
  limit: number,
  scanLimit: number,
  cap: number | null,
): Promise<PageRows> {
  const seek = seekQuery(query);
  // Bounded by latestCreatedAt too: past the ids dateSeek finds, nothing was created by then,
  // so no seek or read goes further (a probe would pass over every later entry of its type).
  if (query.latestCreatedAt !== undefined) {
    const dates = await activities.dateSeek(undefined, query.latestCreatedAt, true);
    const end = Math.max(dates.ownMaxId ?? 0, dates.followedMaxId ?? 0, afterId);
    cap = cap === null ? end : Math.max(Math.min(cap, end), afterId);
  }
  const next = (from: number) => activities.firstIdAfter(from, seek, cap);
  const first = await next(afterId);
  // Nothing left up to the cap: what is past it comes once settled.
  if (first === null)
    return { rows: [], remaining: 0, position: Math.max(cap ?? afterId, afterId) };
  const start = first - 1;
  const windowEnd = await activities.nthIdAfter(start, scanLimit);
  const readEnd = capAt(windowEnd, cap);
  const upTo = (end: number | null) => (end === null ? query : { ...query, maxId: end });
  // Not empty: the first match lies within (it is the first activity past `start`).
  const rows = await activities.listAfter(start, upTo(readEnd), limit);
  const last = rows[rows.length - 1]!;
  if (rows.length === limit) {
    const countEnd = await activities.nthIdAfter(last.id, scanLimit);
    const countTo = capAt(countEnd, cap);
    const counted = await activities.countAfter(last.id, upTo(countTo), REMAINING_COUNT_CAP);
    const beyond =
      counted === 0 && countEnd !== null && countTo === countEnd && (await next(countEnd)) !== null;
    return { rows, remaining: beyond ? 1 : counted, position: last.id };
  }
  // Not full: every match up to readEnd was read; past the window, a seek says if any is left.
  const beyond = windowEnd !== null && readEnd === windowEnd && (await next(windowEnd)) !== null;
  // Short of the window, the last row (as an unfiltered page); at it, the window's end.
  return { rows, remaining: beyond ? 1 : 0, position: windowEnd !== null ? readEnd! : last.id };
}
