import type { ActivityQuery, ActivityRecord } from '../data-access/activity.repository.js';
import type { UnitOfWork } from '../data-access/unit-of-work.js';
import { AppError, ErrorCode } from '../errors.js';
import { activityDisplayName } from './activity-types.js';
import { REMAINING_COUNT_CAP } from './paging.js';
import type { LeadKey } from './lead.types.js';
import type { LeadService } from './lead.service.js';

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
}

export interface StreamStart {
  offset?: string;
  oldestCreatedAt?: Date;
  latestCreatedAt?: Date;
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

const OFFSET = /^ID:(\d{1,10})$/;

function parseOffset(offset: string): number {
  const m = OFFSET.exec(offset.trim());
  if (!m || Number(m[1]) > 2147483647) {
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
  if (filter?.includeTypes) q.includeTypes = filter.includeTypes.map(activityDisplayName);
  if (filter?.excludeTypes) q.excludeTypes = filter.excludeTypes.map(activityDisplayName);
  if (start?.oldestCreatedAt) q.oldestCreatedAt = start.oldestCreatedAt.getTime();
  if (start?.latestCreatedAt) q.latestCreatedAt = start.latestCreatedAt.getTime();
  return q;
}

/** What a stored activity shows a client: Change Data Value's attributes have a fixed order. */
export function activityView(a: ActivityRecord): ActivityView {
  const attributes: Array<[string, string]> = [];
  if (a.activityType === 'Change Data Value') {
    attributes.push(
      ['Attribute Name', a.attributeName ?? ''],
      ['Old Value', a.oldValue ?? ''],
      ['New Value', a.newValue ?? ''],
      ['Reason', a.reason ?? ''],
      ['Source', a.source ?? ''],
      ['Lead ID', String(a.leadId)],
    );
  } else {
    attributes.push(...a.extra);
  }
  return {
    id: a.id,
    leadId: a.leadId,
    createdAt: new Date(a.createdAt),
    activityType: a.activityType,
    assetName: a.assetName,
    attributes,
    actor: a.actor,
    causeLeadId: a.causeLeadId,
  };
}

/** The activity log: per lead newest first, and the change stream oldest first. */
export class ActivityService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly leads: LeadService,
  ) {}

  async listForLead(
    key: LeadKey,
    options: { filter?: ActivityTypeFilter; start?: StreamStart; batchSize?: number } = {},
  ): Promise<ActivityPage> {
    const limit = batchSize(options.batchSize, MAX_ACTIVITY_BATCH);
    const query = toQuery(options.filter, options.start);
    const beforeId = options.start?.offset ? parseOffset(options.start.offset) : null;
    const leadIds = await this.leads.findLeadIds(key);
    return this.uow.read(async (repos) => {
      const rows = await repos.activities.listForLeads(leadIds, beforeId, query, limit);
      const last = rows[rows.length - 1];
      const remaining = last
        ? await repos.activities.countForLeads(leadIds, last.id, query, REMAINING_COUNT_CAP)
        : 0;
      return {
        returnCount: rows.length,
        remainingCount: remaining,
        newStartPosition: {
          offset: `ID:${last ? last.id : (beforeId ?? 0)}`,
          ...(options.start?.oldestCreatedAt
            ? { oldestCreatedAt: options.start.oldestCreatedAt }
            : {}),
          ...(options.start?.latestCreatedAt
            ? { latestCreatedAt: options.start.latestCreatedAt }
            : {}),
          ...(last ? { activityCreatedAt: new Date(last.createdAt) } : {}),
        },
        activities: rows.map(activityView),
      };
    });
  }

  /** getLeadChanges: every lead's activities after a position, oldest first. */
  async changes(
    start: StreamStart,
    options: { filter?: ActivityTypeFilter; batchSize?: number } = {},
  ): Promise<ActivityPage> {
    const limit = batchSize(options.batchSize, MAX_CHANGES_BATCH);
    const query = toQuery(options.filter, { latestCreatedAt: start.latestCreatedAt });
    if (!start.offset && !start.oldestCreatedAt) {
      throw new AppError(
        ErrorCode.BAD_STREAM_POSITION,
        'startPosition needs oldestCreatedAt or offset',
      );
    }
    return this.uow.read(async (repos) => {
      const afterId = start.offset
        ? parseOffset(start.offset)
        : await repos.activities.idBefore(start.oldestCreatedAt!.getTime());
      const rows = await repos.activities.listAfter(afterId, query, limit);
      const last = rows[rows.length - 1];
      const remaining = last
        ? await repos.activities.countAfter(last.id, query, REMAINING_COUNT_CAP)
        : 0;
      return {
        returnCount: rows.length,
        remainingCount: remaining,
        newStartPosition: {
          offset: `ID:${last ? last.id : afterId}`,
          ...(last ? { activityCreatedAt: new Date(last.createdAt) } : {}),
        },
        activities: rows.map(activityView),
      };
    });
  }
}
