import { AppError, ErrorCode } from '../errors.js';
import type { ActivityPage, ActivityTypeFilter, StreamStart } from '../domain/activity.service.js';
import { MAX_LEAD_ID } from '../domain/lead-input.js';
import {
  elementsOf,
  dateTime,
  formatDateTime,
  formatLatestBound,
  formatOldestBound,
  latestDateTime,
  list,
  member,
  text,
  type Raw,
} from '../soap-transport/values.js';

// Activity filters and stream positions as the contract carries them, both ways.

/** `names`: getLeadChanges' activityNameFilter (display names); empty or absent: no filter. */
export function activityFilter(raw: Raw, names?: Raw): ActivityTypeFilter | undefined {
  const f = elementsOf(raw, 'activityFilter');
  // Members by member(): in any case, as the guard took them (read as spelt, a filter written
  // ExcludeTypes was dropped without a word and every activity answered).
  const nameList = list(member(elementsOf(names, 'activityNameFilter'), 'stringItem'))
    .map((s) => text(s, 'stringItem') ?? '')
    .filter((n) => n.trim() !== '');
  if (!f && nameList.length === 0) return undefined;
  const types = (v: Raw, name: string) =>
    list(member(elementsOf(v, name), 'activityType')).map((t) => text(t, 'activityType') ?? '');
  const filter: ActivityTypeFilter = nameList.length > 0 ? { names: nameList } : {};
  if (!f) return filter;
  const include = member(f, 'includeTypes');
  const exclude = member(f, 'excludeTypes');
  if (include !== undefined && include !== null)
    filter.includeTypes = types(include, 'includeTypes');
  if (exclude !== undefined && exclude !== null)
    filter.excludeTypes = types(exclude, 'excludeTypes');
  return filter;
}

/**
 * `activityCreatedAt`: the bound it is, getLeadActivity's upper one (the activities created at
 * or before it) or getLeadChanges' lower one (since it). An upper bound in whole seconds holds
 * all of that second (latestDateTime).
 */
export function streamStart(raw: Raw, activityCreatedAt: 'latest' | 'oldest'): StreamStart {
  const p = elementsOf(raw, 'startPosition');
  const start: StreamStart = {};
  if (!p) return start;
  const offset = text(member(p, 'offset'), 'offset');
  if (offset !== undefined && offset.trim() !== '') start.offset = offset;
  const bad = ErrorCode.BAD_STREAM_POSITION;
  const oldest = dateTime(member(p, 'oldestCreatedAt'), 'oldestCreatedAt', bad);
  const latest = latestDateTime(member(p, 'latestCreatedAt'), 'latestCreatedAt', bad);
  const activity = (activityCreatedAt === 'latest' ? latestDateTime : dateTime)(
    member(p, 'activityCreatedAt'),
    'activityCreatedAt',
    bad,
  );
  if (oldest) start.oldestCreatedAt = oldest;
  if (latest) start.latestCreatedAt = latest;
  if (activity) start.activityCreatedAt = activity;
  return start;
}

/**
 * The bounds go back as they read (the client's own, or its activityCreatedAt as getLeadActivity
 * keeps to it); activityCreatedAt, the last activity's date, in the vendor's whole seconds.
 */
export function streamPosition(page: ActivityPage) {
  const p = page.newStartPosition;
  return {
    latestCreatedAt: p.latestCreatedAt ? formatLatestBound(p.latestCreatedAt) : null,
    oldestCreatedAt: p.oldestCreatedAt ? formatOldestBound(p.oldestCreatedAt) : null,
    activityCreatedAt: p.activityCreatedAt ? formatDateTime(p.activityCreatedAt) : null,
    offset: p.offset,
  };
}

/** getMultipleLeads positions are opaque to clients: base64url JSON of where the page ended. */
export interface LeadStreamPosition {
  /** LeadKeySelector, as issued before positions held ids: how many matches came before. */
  k?: number;
  u?: number;
  i?: number;
}

export function encodePosition(p: LeadStreamPosition): string {
  return Buffer.from(JSON.stringify(p)).toString('base64url');
}

/**
 * A position this service issued for the same kind of selector: `{i}` (the last id read) or,
 * issued by earlier versions, `{k}` (how many were read) for LeadKeySelector, `{u, i}` for
 * LastUpdateAtSelector, `{}` (the start) for either. Anything else, a position of
 * the other kind included, is 20122: read as the start, it would restart the client's stream.
 */
export function decodePosition(
  raw: string | undefined,
  kind: 'keys' | 'updated',
): LeadStreamPosition | null {
  if (raw === undefined || raw.trim() === '') return null;
  const bad = new AppError(
    ErrorCode.BAD_STREAM_POSITION,
    'streamPosition is not one this service issued for this leadSelector',
  );
  if (raw.length > 200 || !/^[A-Za-z0-9_-]+$/.test(raw.trim())) throw bad;
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(raw.trim(), 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw bad;
  const fields = Object.keys(p).sort().join(',');
  const allowed = kind === 'keys' ? ['', 'i', 'k'] : ['', 'i,u'];
  if (!allowed.includes(fields)) throw bad;
  const values = Object.values(p) as unknown[];
  if (!values.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) throw bad;
  // `i` is a lead id: beyond the ids there are, PostgreSQL would fail the query (10001).
  if (((p as LeadStreamPosition).i ?? 0) > MAX_LEAD_ID) throw bad;
  return p as LeadStreamPosition;
}
