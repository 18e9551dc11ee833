import { AppError, ErrorCode } from '../errors.js';
import { requireAllPartitions, type Permissions } from '../domain/permissions.js';
import type { Services } from '../domain/services.js';
import type { LeadView } from '../domain/lead.types.js';
import type { ActivityPage } from '../domain/activity.service.js';
import type { FieldCatalogue } from '../domain/field-catalogue.js';
import { REMAINING_COUNT_CAP } from '../domain/paging.js';
import { describeActivityRecord, describeLeadRecord } from './describe.mapper.js';
import { leadNotFound, namingKey } from './faults.js';
import type { HandlerLimits, OperationHandler } from './operation-handler.js';
import {
  activityFilter,
  decodePosition,
  encodePosition,
  streamPosition,
  streamStart,
  type LeadStreamPosition,
} from './stream-position.mapper.js';
import {
  fromActivity,
  fromLeadChange,
  fromLeadView,
  noStaticList,
  selectorTypeOf,
  toKeySelector,
  toLeadKey,
} from './lead-record.mapper.js';
import {
  elementsOf,
  dateTime,
  int,
  latestDateTime,
  list,
  member,
  requireText,
  text,
} from '../soap-transport/values.js';
import { answerBytesOf } from '../soap-transport/answer-size.js';

/**
 * The partitions a confined caller may read, for the queries to keep to; undefined: every one.
 * Leads outside them are not there, as far as it can tell.
 */
const readable = (p: Permissions): readonly string[] | undefined => p.partitions ?? undefined;

const MAX_MULTIPLE_LEADS_BATCH = 1000;
/** PAGE_MAX_BYTES's default, for handlers built without it. */
const DEFAULT_PAGE_MAX_BYTES = 8 * 1024 * 1024;
/** Keys of a getLeadChanges LeadKeySelector, as the vendor's. */
const MAX_CHANGES_KEYS = 100;

/** A getMultipleLeads page: its records, how many leads remain, the position of the next page. */
interface LeadsPage {
  records: Record<string, unknown>[];
  remaining: number;
  next: LeadStreamPosition;
}

/**
 * The records of `leads`, in order, that fit before their answer passes `maxBytes` (one at
 * least), so that a batch of large records (fields full of characters written as references)
 * is not one answer of tens of MB.
 */
function recordsWithin(
  leads: readonly LeadView[],
  include: ReadonlySet<string> | undefined,
  maxBytes: number,
): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  let bytes = 0;
  for (const lead of leads) {
    const record = fromLeadView(lead, include);
    bytes += answerBytesOf({ leadRecord: record });
    if (records.length > 0 && bytes > maxBytes) break;
    records.push(record);
  }
  return records;
}

/**
 * The page a selector's leads make, by either selector: the next page starts after its last
 * lead (`after` says how that position is written) or, with none, where this one started.
 * Its records stop within `maxBytes`: the leads read past them are left to the next page and
 * counted as remaining.
 */
function answeredPage(
  found: { leads: LeadView[]; remaining: number },
  include: ReadonlySet<string> | undefined,
  start: LeadStreamPosition | null,
  after: (last: LeadView) => LeadStreamPosition,
  maxBytes: number,
): LeadsPage {
  const records = recordsWithin(found.leads, include, maxBytes);
  const last = found.leads[records.length - 1];
  return {
    records,
    remaining: found.remaining + found.leads.length - records.length,
    next: last ? after(last) : (start ?? {}),
  };
}

/**
 * A getLeadChanges page as answered: its changes stop before their answer passes `maxBytes`
 * (one is always answered), as a getMultipleLeads page's records do; the next page starts
 * after the last change answered, and those read past it count as remaining.
 */
function answeredChanges(
  page: ActivityPage,
  maxBytes: number,
  catalogue: FieldCatalogue,
): { page: ActivityPage; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  let bytes = 0;
  for (const activity of page.activities) {
    const record = fromLeadChange(activity, catalogue);
    bytes += answerBytesOf({ leadChangeRecord: record });
    if (records.length > 0 && bytes > maxBytes) break;
    records.push(record);
  }
  const left = page.activities.length - records.length;
  const last = page.activities[records.length - 1];
  if (left === 0 || !last) return { page, records };
  return {
    records,
    page: {
      ...page,
      returnCount: records.length,
      remainingCount: Math.min(page.remainingCount + left, REMAINING_COUNT_CAP),
      newStartPosition: {
        ...page.newStartPosition,
        offset: `ID:${last.id}`,
        activityCreatedAt: last.createdAt,
      },
    },
  };
}

/** The operations that read (leads, their activities, the change stream, the described objects). */
export function readHandlers(services: Services, limits: HandlerLimits) {
  const { leads, activities } = services;
  const pageMaxBytes = limits.pageMaxBytes ?? DEFAULT_PAGE_MAX_BYTES;

  return {
    async getLead(args, ctx) {
      // A key shared by thousands of people must not make an answer of megabytes: the most
      // recently updated ones, `count` saying how many the answer holds.
      // Chosen among the caller's partitions before the cap: people elsewhere holding the
      // address must not take the places of its own.
      const key = toLeadKey(args.leadKey);
      const found = await namingKey(
        key,
        leads.find(key, limits.getLeadMaxResults, readable(ctx.permissions)),
      );
      if (found.length === 0) throw leadNotFound(key);
      // Nor may a few people of large records: those that fit within PAGE_MAX_BYTES.
      const records = recordsWithin(found, undefined, pageMaxBytes);
      return { result: { count: records.length, leadRecordList: { leadRecord: records } } };
    },

    async getMultipleLeads(args, ctx) {
      const requested = int(args.batchSize, 'batchSize');
      if (requested !== undefined && requested < 1)
        throw new AppError(ErrorCode.BAD_PARAMETER, 'batchSize must be positive');
      const limit = Math.min(requested ?? MAX_MULTIPLE_LEADS_BATCH, MAX_MULTIPLE_LEADS_BATCH);
      const includeNames = list(
        member(elementsOf(args.includeAttributes, 'includeAttributes'), 'stringItem'),
      ).map((s) => (text(s, 'stringItem') ?? '').trim().toLowerCase());
      const include = includeNames.length > 0 ? new Set(includeNames) : undefined;
      const rawPosition = text(args.streamPosition, 'streamPosition');
      const selector = elementsOf(args.leadSelector, 'leadSelector');
      const selectorType = selector ? selectorTypeOf(selector) : undefined;
      let page: LeadsPage;

      if (selector && selectorType === 'LeadKeySelector') {
        const { keyType, values } = toKeySelector(selector, MAX_MULTIPLE_LEADS_BATCH, 'ignore');
        const position = decodePosition(rawPosition, 'keys');
        const r = await leads.findManyPage(
          keyType,
          values.filter((v) => v.trim() !== ''),
          position?.i !== undefined ? { afterId: position.i } : { offset: position?.k ?? 0 },
          limit,
          readable(ctx.permissions),
        );
        page = answeredPage(r, include, position, (last) => ({ i: last.id }), pageMaxBytes);
      } else if (
        (selector && selectorType === 'LastUpdateAtSelector') ||
        (!selector && args.lastUpdatedAt != null)
      ) {
        const oldest = selector
          ? dateTime(member(selector, 'oldestUpdatedAt'), 'oldestUpdatedAt')
          : dateTime(args.lastUpdatedAt, 'lastUpdatedAt');
        if (!oldest)
          throw new AppError(ErrorCode.PARAMETER_REQUIRED, 'oldestUpdatedAt is required');
        // An upper bound: in whole seconds it holds all of its second, as getLeadChanges' does.
        const latest = selector
          ? latestDateTime(member(selector, 'latestUpdatedAt'), 'latestUpdatedAt')
          : undefined;
        const position = decodePosition(rawPosition, 'updated');
        const after =
          position && position.u !== undefined && position.i !== undefined
            ? { updatedAt: position.u, id: position.i }
            : null;
        const r = await leads.listUpdated(
          { oldest: oldest.getTime(), latest: latest?.getTime() ?? null },
          after,
          limit,
          readable(ctx.permissions),
        );
        page = answeredPage(
          r,
          include,
          position,
          (last) => ({ u: last.updatedAt.getTime(), i: last.id }),
          pageMaxBytes,
        );
      } else if (selector && selectorType === 'StaticListSelector') {
        throw noStaticList(selector);
      } else if (selector) {
        throw new AppError(
          ErrorCode.BAD_PARAMETER,
          'leadSelector needs xsi:type LeadKeySelector or LastUpdateAtSelector',
        );
      } else {
        throw new AppError(ErrorCode.PARAMETER_REQUIRED, 'leadSelector is required');
      }
      return {
        result: {
          returnCount: page.records.length,
          remainingCount: page.remaining,
          // The last page (nothing remains) has an empty position, as the vendor's had:
          // clients that page while newStreamPosition is non-empty stop there.
          newStreamPosition: page.remaining > 0 ? encodePosition(page.next) : '',
          // No lead: an empty list, as the vendor wrote its empty lists (not nil).
          leadRecordList: { leadRecord: page.records },
        },
      };
    },

    async getLeadActivity(args, ctx) {
      // A confined caller reads the log of its own people the key finds, as getLead finds
      // them: people elsewhere are not there, never named (20103 when it finds none of its own).
      const partitions = readable(ctx.permissions);
      const key = toLeadKey(args.leadKey);
      const page = await namingKey(
        key,
        activities.listForLead(key, {
          filter: activityFilter(args.activityFilter),
          start: streamStart(args.startPosition, 'latest'),
          batchSize: int(args.batchSize, 'batchSize'),
          ...(partitions ? { partitions } : {}),
        }),
      );
      return {
        leadActivityList: {
          returnCount: page.returnCount,
          remainingCount: page.remainingCount,
          newStartPosition: streamPosition(page),
          activityRecordList: {
            activityRecord: page.activities.map((a) => fromActivity(a, services.catalogue)),
          },
        },
      };
    },

    async getLeadChanges(args, ctx) {
      requireAllPartitions(ctx.permissions, 'getLeadChanges');
      const selector = elementsOf(args.leadSelector, 'leadSelector');
      const startGiven = elementsOf(args.startPosition, 'startPosition') !== undefined;
      if (!startGiven && !selector)
        throw new AppError(ErrorCode.PARAMETER_REQUIRED, 'startPosition is required');
      const start = streamStart(args.startPosition, 'oldest');
      let leadKeys: ReturnType<typeof toKeySelector> | undefined;
      // mktows 2_2 on: a LeadKeySelector narrows the stream to its leads (100 keys at most, as
      // the vendor's); a LastUpdateAtSelector's dates stand for startPosition's, as it says.
      const selectorType = selector ? selectorTypeOf(selector) : undefined;
      if (selector && selectorType === 'LeadKeySelector')
        leadKeys = toKeySelector(selector, MAX_CHANGES_KEYS);
      else if (selector && selectorType === 'LastUpdateAtSelector') {
        start.oldestCreatedAt ??= dateTime(member(selector, 'oldestUpdatedAt'), 'oldestUpdatedAt');
        start.latestCreatedAt ??= latestDateTime(
          member(selector, 'latestUpdatedAt'),
          'latestUpdatedAt',
        );
      } else if (selector && selectorType === 'StaticListSelector') throw noStaticList(selector);
      else if (selector)
        throw new AppError(
          ErrorCode.BAD_PARAMETER,
          'leadSelector needs xsi:type LeadKeySelector or LastUpdateAtSelector',
        );
      // Missing, not bad: without startPosition only the selector's oldestUpdatedAt starts the
      // stream (a LeadKeySelector, or a LastUpdateAtSelector of latestUpdatedAt alone, does not).
      if (!startGiven && !start.oldestCreatedAt)
        throw new AppError(
          ErrorCode.PARAMETER_REQUIRED,
          'startPosition (or a LastUpdateAtSelector oldestUpdatedAt) is required',
        );
      const { page, records } = answeredChanges(
        await activities.changes(start, {
          filter: activityFilter(args.activityFilter, args.activityNameFilter),
          batchSize: int(args.batchSize, 'batchSize'),
          ...(leadKeys ? { leads: leadKeys } : {}),
        }),
        pageMaxBytes,
        services.catalogue,
      );
      return {
        result: {
          returnCount: page.returnCount,
          remainingCount: page.remainingCount,
          newStartPosition: streamPosition(page),
          leadChangeRecordList: { leadChangeRecord: records },
        },
      };
    },

    // Talend's Marketo components call it to check their connection: the objects described here.
    async listMObjects() {
      return { result: { objects: ['ActivityRecord', 'LeadRecord'] } };
    },

    async describeMObject(args) {
      const name = requireText(member(args, 'objectName'), 'objectName').trim();
      switch (name.toLowerCase()) {
        case 'leadrecord':
          return { result: { metadata: describeLeadRecord(services.catalogue) } };
        case 'activityrecord':
          return { result: { metadata: describeActivityRecord() } };
        default:
          throw new AppError(
            ErrorCode.BAD_PARAMETER,
            `objectName ${name.slice(0, 64)} is not described by this service (LeadRecord and ActivityRecord are)`,
          );
      }
    },
  } satisfies Record<string, OperationHandler>;
}
