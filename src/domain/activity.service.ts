import type { ActivityQueries, Transactions } from './ports.js';
import type { ActivityQuery, ActivityRecord } from './records.js';
import { AppError, ErrorCode } from '../errors.js';
import {
  activityDisplayName,
  activityNameOf,
  admitsDataValues,
  typesOnly,
} from './activity-types.js';
import { REMAINING_COUNT_CAP } from './paging.js';
import type { LeadKey } from './lead.types.js';
import type { LeadService } from './lead.service.js';
import { findByKeys } from './lead-find.js';
import { leadPage, leadRowsAndMore, unfilteredChanges, type PageRows } from './activity-window.js';
import { dated, datedChanges, datedPage, filtersRows, readWindow } from './dated-pages.js';
import { filteredChanges } from './filtered-changes.js';

export interface ActivityView {
  id: number;
  leadId: number;
  createdAt: Date;
  activityType: string;
  assetName: string | null;
  /** Name/value pairs in display order. */
  attributes: Array<[string, string]>;
  /** Who made the change, when recorded (not part of the vendor's record). */
  actor: string | null;
  /** The person whose change this one followed (not part of the vendor's record). */
  causeLeadId: number | null;
}

export interface ActivityTypeFilter {
  includeTypes?: readonly string[];
  excludeTypes?: readonly string[];
  /** Display names to include ("New Lead"): getLeadChanges' activityNameFilter (mktows 2_3 on). */
  names?: readonly string[];
}

export interface StreamStart {
  offset?: string;
  oldestCreatedAt?: Date;
  latestCreatedAt?: Date;
  /**
   * The vendor's activityCreatedAt, without an offset: getLeadActivity (newest first) starts at
   * the activities created at or before it; getLeadChanges (oldest first) at those created
   * since it, as with oldestCreatedAt.
   */
  activityCreatedAt?: Date;
}

export interface ActivityPage {
  returnCount: number;
  remainingCount: number;
  newStartPosition: {
    offset: string;
    oldestCreatedAt?: Date;
    latestCreatedAt?: Date;
    activityCreatedAt?: Date;
  };
  activities: ActivityView[];
}

export const MAX_ACTIVITY_BATCH = 100;
export { REMAINING_COUNT_CAP };
export const MAX_CHANGES_BATCH = 1000;

const OFFSET = /^ID:(\d{1,16})$/;

/**
 * An offset past the last activity was never issued here: one kept from the vendor's service,
 * or from before the database was restored from an older backup. Read as given, every page
 * would be empty until the log's ids passed it, and the activities till then (opt-outs among
 * them) never read: 20122, so that the client's operator resets its position. Every offset
 * issued is an id the log handed out (an activity read, or the settled bound), and activities
 * are never deleted.
 */
async function issuedHere(log: ActivityQueries, afterId: number): Promise<void> {
  const last = await log.highestId();
  if (afterId > last)
    throw new AppError(
      ErrorCode.BAD_STREAM_POSITION,
      `Stream position offset ID:${afterId} is past the last activity (ID:${last}): not one this service issued`,
    );
}

/** Activity ids are 64-bit in the store (xs:long in the contract); here, exact integers. */
function parseOffset(offset: string): number {
  const m = OFFSET.exec(offset.trim());
  if (!m || Number(m[1]) > Number.MAX_SAFE_INTEGER) {
    throw new AppError(
      ErrorCode.BAD_STREAM_POSITION,
      'Stream position offset is not one this service issued',
    );
  }
  return Number(m[1]);
}

function batchSize(requested: number | undefined, max: number): number {
  if (requested === undefined) return max;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new AppError(ErrorCode.BAD_PARAMETER, 'batchSize must be a positive whole number');
  }
  return Math.min(requested, max);
}

function toQuery(
  filter: ActivityTypeFilter | undefined,
  start: StreamStart | undefined,
): ActivityQuery {
  const q: ActivityQuery = {};
  if (filter?.includeTypes && filter.excludeTypes) {
    throw new AppError(ErrorCode.ACTIVITY_KEY_BAD, 'Give includeTypes or excludeTypes, not both');
  }
  if (filter?.names) {
    // An empty <activityFilter/> beside it is no filter; a list in it is a second filter.
    if (filter.includeTypes?.length || filter.excludeTypes?.length)
      throw new AppError(
        ErrorCode.ACTIVITY_KEY_BAD,
        'Give activityFilter or activityNameFilter, not both',
      );
    // Names no activity has are left out (an empty list matches nothing, as they would).
    q.includeTypes = distinct(filter.names.map(activityNameOf));
    return withStart(q, start);
  }
  if (filter?.includeTypes) q.includeTypes = distinct(filter.includeTypes.map(activityDisplayName));
  if (filter?.excludeTypes) q.excludeTypes = distinct(filter.excludeTypes.map(activityDisplayName));
  return withStart(q, start);
}

/**
 * Each type once, whatever a filter repeated: the queries test a type per probe and per bound
 * value, so a 1 MB filter naming one type 28,000 times cost 28,000 index probes and as many
 * values (on SQLite more than a statement may bind: fault 10001; on PostgreSQL 20 to 30 s of
 * the database), where the vendor's 57 types are all a filter can mean.
 */
function distinct(types: ReadonlyArray<string | undefined>): string[] {
  const out = new Set<string>();
  for (const t of types) if (t !== undefined) out.add(t);
  return [...out];
}

function withStart(q: ActivityQuery, start: StreamStart | undefined): ActivityQuery {
  if (start?.oldestCreatedAt) q.oldestCreatedAt = start.oldestCreatedAt.getTime();
  if (start?.latestCreatedAt) q.latestCreatedAt = start.latestCreatedAt.getTime();
  return q;
}

/**
 * What a stored activity shows a client: Change Data Value's attributes have a fixed order, and
 * its asset is the field it changed (mktgAssetName "First Name", as the vendor wrote it: clients
 * tell which field changed by it).
 */
function activityView(a: ActivityRecord): ActivityView {
  const attributes: Array<[string, string]> = [];
  let assetName = a.assetName;
  if (a.activityType === 'Change Data Value') {
    assetName ??= a.attributeName;
    attributes.push(
      ['Attribute Name', a.attributeName ?? ''],
      ['Old Value', a.oldValue ?? ''],
      ['New Value', a.newValue ?? ''],
      ['Reason', a.reason ?? ''],
      ['Source', a.source ?? ''],
      ['Lead ID', String(a.leadId)],
    );
  } else if (a.activityType === 'Delete Lead') {
    // Stored with its Lead ID alone: shown with why and by what path it was deleted, as Change Data Value
    // is, so that the list has several members (PHP's SoapClient reads a list of one as an
    // object, and every activity the vendor wrote had several attributes).
    attributes.push(['Reason', a.reason ?? ''], ['Source', a.source ?? ''], ...a.extra);
  } else if (a.activityType === 'New Lead') {
    // In the vendor's order (its sample New Lead: Source Type, Source Info, Created Date, Lead
    // ID), which integrations that read attributes by position rely on: Source Info, not
    // stored, is the path's source ("Web service API" for SOAP, as the vendor wrote it).
    const own = a.extra.filter(([name]) => name !== 'Lead ID');
    const leadId: [string, string] = a.extra.find(([name]) => name === 'Lead ID') ?? [
      'Lead ID',
      String(a.leadId),
    ];
    own.splice(own.findIndex(([name]) => name === 'Source Type') + 1, 0, [
      'Source Info',
      a.source ?? '',
    ]);
    attributes.push(...own, leadId);
  } else {
    attributes.push(...a.extra);
  }
  return {
    id: a.id,
    leadId: a.leadId,
    createdAt: new Date(a.createdAt),
    activityType: a.activityType,
    assetName,
    attributes,
    actor: a.actor,
    causeLeadId: a.causeLeadId,
  };
}

/**
 * The answer for a page read from `start`. The window goes back with the position (as the
 * vendor's answers carried it): a client passes the whole newStartPosition back, and without
 * latestCreatedAt its next page would read past the window's end.
 */
function activityPage(
  { rows, remaining, position }: PageRows,
  start: StreamStart | undefined,
): ActivityPage {
  const last = rows[rows.length - 1];
  return {
    returnCount: rows.length,
    remainingCount: remaining,
    newStartPosition: {
      offset: `ID:${position}`,
      ...(start?.oldestCreatedAt ? { oldestCreatedAt: start.oldestCreatedAt } : {}),
      ...(start?.latestCreatedAt ? { latestCreatedAt: start.latestCreatedAt } : {}),
      ...(last ? { activityCreatedAt: new Date(last.createdAt) } : {}),
    },
    activities: rows.map(activityView),
  };
}

/** Activities one call reads past its start when none is configured. */
export const DEFAULT_SCAN_LIMIT = 20000;

/**
 * The activity log: per lead newest first, and the change stream oldest first.
 *
 * A call of the change stream filtered by type or lead seeks its first match through an index,
 * then reads at most `scanLimit` activities from there (filtered-changes.ts): one whose filter
 * matches little would otherwise read a whole log of millions (holding SQLite's only
 * connection all the while). When the batch is not full by then, the answer holds what was
 * found and the position at the end of what was read; its remainingCount is 1 if a seek finds
 * a match past it, 0 if not: never an empty page while a match remains. A lead's page under no filter
 * (leadPage), a type filter alone (typedPage) or bounded by dates (datedPage, dated-pages.ts), and the stream
 * under no filter (unfilteredChanges: it answers every row it reads) or bounded by dates alone
 * (datedChanges), need no such window.
 */
export class ActivityService {
  private readonly scanLimit: number;
  private readonly now: () => number;

  constructor(
    private readonly transactions: Transactions,
    private readonly leads: LeadService,
    options: { scanLimit?: number; now?: () => number } = {},
  ) {
    this.scanLimit = options.scanLimit ?? DEFAULT_SCAN_LIMIT;
    this.now = options.now ?? Date.now;
  }

  async listForLead(
    key: LeadKey,
    options: {
      filter?: ActivityTypeFilter;
      start?: StreamStart;
      batchSize?: number;
      /** Only the people of these (a SOAP user confined to them); none of them: not found. */
      partitions?: readonly string[];
    } = {},
  ): Promise<ActivityPage> {
    const limit = batchSize(options.batchSize, MAX_ACTIVITY_BATCH);
    const query = toQuery(options.filter, options.start);
    const byDate = options.start?.offset ? undefined : options.start?.activityCreatedAt;
    // The offset is the exact position (and ids, not dates, order the log: an imported
    // activity may be older than its id): the date is the position only without one. At or
    // before it, so that a page cut between activities of the same instant loses none of them.
    if (byDate && (query.latestCreatedAt === undefined || byDate.getTime() < query.latestCreatedAt))
      query.latestCreatedAt = byDate.getTime();
    // The pages after the first keep to the date: newStartPosition carries it as the bound it
    // is (latestCreatedAt) beside the offset, which wins for the position alone.
    const bound: StreamStart | undefined =
      byDate && query.latestCreatedAt !== undefined
        ? { ...options.start, latestCreatedAt: new Date(query.latestCreatedAt) }
        : options.start;
    const beforeId = options.start?.offset ? parseOffset(options.start.offset) : null;
    const leadIds = await this.leads.findLeadIds(key, options.partitions);
    const page = await this.transactions.readReplicated(async (repos) =>
      dated(query)
        ? await datedPage(repos.activities, leadIds, beforeId, query, limit)
        : typesOnly(query)
          ? await this.typedPage(repos.activities, leadIds, beforeId, query, limit)
          : await leadPage(repos.activities, leadIds, beforeId, query, limit),
    );
    return activityPage(
      page,
      bound?.latestCreatedAt ? bound : { ...bound, ...readWindow(this.now()) },
    );
  }

  /**
   * A lead's page under a type filter alone: never empty while an activity it admits remains
   * below the start (Talend's Marketo components, and other clients, stop at the first empty
   * page). A filter that admits Change Data Value finds its rows among the lead's next ones,
   * passing over the few of other types it leaves out; one that admits none reads the other
   * types alone, through their own index (withoutDataValues), passing over no data-value
   * change. Either way a page reads about as many entries as it answers, whatever the length
   * of the history: no window bounds it, and none can end it early.
   */
  private async typedPage(
    activities: ActivityQueries,
    leadIds: readonly number[],
    beforeId: number | null,
    query: ActivityQuery,
    limit: number,
  ): Promise<PageRows> {
    const q = admitsDataValues(query) ? query : { ...query, withoutDataValues: true };
    const { rows, more } = await leadRowsAndMore(activities, leadIds, beforeId, q, limit);
    const last = rows[rows.length - 1];
    if (!more) return { rows, remaining: 0, position: last?.id ?? beforeId ?? 0 };
    return {
      rows,
      remaining: Math.max(await this.typedRemaining(activities, leadIds, last!.id, q), 1),
      position: last!.id,
    };
  }

  /**
   * How many activities below `beforeId` a type filter admits, up to the cap. The other types
   * are few, and counted through their own index; with Change Data Value admitted, the count is
   * every activity below (counted as an unfiltered page counts it, no further than the cap)
   * less the few of other types the filter leaves out: counting the admitted ones themselves
   * would read past every one of them.
   */
  private async typedRemaining(
    activities: ActivityQueries,
    leadIds: readonly number[],
    beforeId: number,
    q: ActivityQuery,
  ): Promise<number> {
    if (q.withoutDataValues)
      return activities.countForLeads(leadIds, beforeId, q, REMAINING_COUNT_CAP);
    // What the filter leaves out, all of other types than Change Data Value.
    const left: ActivityQuery = q.includeTypes
      ? { excludeTypes: q.includeTypes, withoutDataValues: true }
      : { includeTypes: q.excludeTypes ?? [], withoutDataValues: true };
    const [all, out] = await Promise.all([
      activities.countForLeads(leadIds, beforeId, {}, REMAINING_COUNT_CAP),
      activities.countForLeads(leadIds, beforeId, left, REMAINING_COUNT_CAP),
    ]);
    return Math.min(all, REMAINING_COUNT_CAP) - out;
  }

  /**
   * getLeadChanges: every lead's activities after a position, oldest first; with `leads`
   * (a LeadKeySelector, mktows 2_2 on), only the activities of the leads those keys find.
   */
  async changes(
    start: StreamStart,
    options: {
      filter?: ActivityTypeFilter;
      batchSize?: number;
      leads?: { keyType: LeadKey['keyType']; values: readonly string[] };
    } = {},
  ): Promise<ActivityPage> {
    const limit = batchSize(options.batchSize, MAX_CHANGES_BATCH);
    const query = toQuery(options.filter, { latestCreatedAt: start.latestCreatedAt });
    // The vendor's activityCreatedAt: the activities created since it, as oldestCreatedAt.
    const since = start.oldestCreatedAt ?? start.activityCreatedAt;
    // A position giving no start (each member nil or empty, as stubs write an unset one) is as
    // missing as none (20109); a start given but bad is 20122.
    if (!start.offset && !since) {
      throw new AppError(
        ErrorCode.PARAMETER_REQUIRED,
        'startPosition needs oldestCreatedAt, activityCreatedAt or offset',
      );
    }
    // The primary, not a replica: which ids writers in flight hold is known there only.
    return this.transactions.read(async (repos) => {
      // Read first: every id up to it is settled; the rows, read after it, hold them all.
      const settled = await repos.activities.settledId();
      let afterId = start.offset
        ? parseOffset(start.offset)
        : await repos.activities.idBefore(since!.getTime());
      // A start by time begins no later than an id still in flight (never after it).
      if (settled !== null && !start.offset) afterId = Math.min(afterId, settled);
      // How far this call may read: a position never passes an id that may still commit.
      // (A position handed out earlier stays where it is: the cap is never below it.)
      const cap = settled === null ? null : Math.max(settled, afterId);
      const { leads } = options;
      if (leads)
        query.leadIds = (await findByKeys(repos, leads.keyType, leads.values)).map((l) => l.id);
      if (query.latestCreatedAt !== undefined && !filtersRows(query))
        return activityPage(
          await datedChanges(repos.activities, afterId, query, limit, cap),
          start,
        );
      const page = filtersRows(query)
        ? await filteredChanges(repos.activities, afterId, query, limit, this.scanLimit, cap)
        : await unfilteredChanges(repos.activities, afterId, query, limit, cap);
      if (page.rows.length === 0 && start.offset) await issuedHere(repos.activities, afterId);
      return activityPage(page, start);
    });
  }
}
