import type { Knex } from 'knex';
import type { Engine } from '../database.js';
import { ACTIVITY_COLUMN_LIST, ActivitySources, belowId } from './activity-sources.js';
import { firstIdAfter } from './activity-seek.js';
import { countRows } from '../count-rows.js';
import { fixedSql, queueStatement, type FixedSql, type StatementCall } from './statement.js';
import type { ActivityQuery, ActivityRecord, NewActivity } from '../../domain/records.js';
export type { ActivityRecord, ActivityQuery };
export type { NewActivity };

type Row = Record<string, unknown>;

function toRecord(r: Row): ActivityRecord {
  return {
    id: Number(r.id),
    leadId: Number(r.lead_id),
    activityType: r.activity_type as string,
    createdAt: Number(r.created_at),
    attributeName: (r.attribute_name as string | null) ?? null,
    oldValue: (r.old_value as string | null) ?? null,
    newValue: (r.new_value as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    source: (r.source as string | null) ?? null,
    assetName: (r.asset_name as string | null) ?? null,
    extra: r.extra ? (JSON.parse(r.extra as string) as Array<[string, string]>) : [],
    actor: (r.actor as string | null | undefined) ?? null,
    causeLeadId:
      r.cause_lead_id === null || r.cause_lead_id === undefined ? null : Number(r.cause_lead_id),
  };
}

export { ACTIVITY_COLUMN_LIST };

export const ACTIVITY_COLUMNS = ACTIVITY_COLUMN_LIST.join(', ');

/** The stored values of a new activity, in the order of ACTIVITY_COLUMN_LIST. */
export function activityValues(a: NewActivity): unknown[] {
  return [
    a.leadId,
    a.activityType,
    a.createdAt,
    a.attributeName ?? null,
    a.oldValue ?? null,
    a.newValue ?? null,
    a.reason ?? null,
    a.source ?? null,
    a.assetName ?? null,
    a.extra && a.extra.length > 0 ? JSON.stringify(a.extra) : null,
    a.actor ? a.actor.slice(0, 128) : null,
    a.causeLeadId ?? null,
  ];
}

/** The stored row of a new activity (every column but the id): activityValues by name. */
export function activityRow(a: NewActivity): Row {
  const values = activityValues(a);
  const row: Row = {};
  ACTIVITY_COLUMN_LIST.forEach((c, i) => (row[c] = values[i]));
  return row;
}

/** Rows per INSERT: SQLite takes at most 32,766 values in one statement. */
const ACTIVITIES_PER_INSERT = 500;
/** The texts kept: a write logs one to a few activities. */
const KEPT_INSERT_TEXTS = 16;
const insertTexts: FixedSql[] = [];

/**
 * The multi-row INSERT of `rows` activities (activityValues' placeholders, row after row):
 * fixed text, built once per number of rows, where the query builder compiled one per call.
 */
function insertSql(rows: number): FixedSql {
  const kept = insertTexts[rows];
  if (kept) return kept;
  const row = `(${ACTIVITY_COLUMN_LIST.map(() => '?').join(', ')})`;
  const sql = fixedSql(
    `INSERT INTO activities (${ACTIVITY_COLUMNS}) VALUES ${Array<string>(rows).fill(row).join(', ')}`,
  );
  if (rows <= KEPT_INSERT_TEXTS) insertTexts[rows] = sql;
  return sql;
}

/** The statements inserting `activities`, in order (their ids follow it). */
export function activityInserts(activities: readonly NewActivity[]): StatementCall[] {
  const calls: StatementCall[] = [];
  for (let i = 0; i < activities.length; i += ACTIVITIES_PER_INSERT) {
    const page = activities.slice(i, i + ACTIVITIES_PER_INSERT);
    calls.push([insertSql(page.length), page.flatMap(activityValues)]);
  }
  return calls;
}

export class ActivityRepository {
  private readonly log: ActivitySources;

  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly engine: Engine,
  ) {
    // Every read below reads both forms of the log (activity-sources.ts).
    this.log = new ActivitySources(db, engine);
  }

  async insert(activities: readonly NewActivity[]): Promise<void> {
    // Nothing of the insert is read: on SQLite it goes with the transaction's next statement.
    for (const [sql, bindings] of activityInserts(activities))
      await queueStatement(this.db, sql, bindings);
  }

  /** Moves the history of `fromLeadIds` to `toLeadId` (a merge): ids and times stay as they were. */
  async reassign(fromLeadIds: readonly number[], toLeadId: number): Promise<number> {
    if (fromLeadIds.length === 0) return 0;
    const own = await this.db('activities')
      .whereIn('lead_id', fromLeadIds)
      .update({ lead_id: toLeadId });
    const followed = await this.db('activity_followers')
      .whereIn('lead_id', fromLeadIds)
      .update({ lead_id: toLeadId });
    return own + followed;
  }

  /** Newest first, keyset-paged: ids strictly below `beforeId`. */
  async listForLeads(
    leadIds: readonly number[],
    beforeId: number | null,
    filter: ActivityQuery,
    limit: number,
  ): Promise<ActivityRecord[]> {
    const rows = await this.log.rows({ ...filter, leadIds }, belowId(beforeId), 'desc', limit);
    return rows.map(toRecord);
  }

  /**
   * How many activities lie below `beforeId`, counting no further than `cap` (when given): an
   * exact count costs as much as the lead's whole history, a capped one at most `cap` index
   * entries.
   */
  async countForLeads(
    leadIds: readonly number[],
    beforeId: number | null,
    filter: ActivityQuery,
    cap?: number,
  ): Promise<number> {
    // A page's count without a filter: by a plan that stops at the cap (activity-sources.ts).
    if (cap !== undefined && positionOnly(filter))
      return this.log.leadCount(leadIds, beforeId, cap);
    return countRows(this.db, this.log.ids({ ...filter, leadIds }, belowId(beforeId)), cap);
  }

  /** The change stream: oldest first, ids strictly above `afterId`. */
  async listAfter(
    afterId: number,
    filter: ActivityQuery,
    limit: number,
  ): Promise<ActivityRecord[]> {
    const rows = await this.log.rows(filter, { op: '>', id: afterId }, 'asc', limit);
    return rows.map(toRecord);
  }

  async countAfter(afterId: number, filter: ActivityQuery, cap?: number): Promise<number> {
    return countRows(this.db, this.log.ids(filter, { op: '>', id: afterId }), cap);
  }

  /**
   * The id of the n-th activity after `afterId` (ascending), or null when there are fewer: the
   * end of a window of n activities, found by reading n entries of each side's primary key.
   */
  async nthIdAfter(afterId: number, n: number): Promise<number | null> {
    return this.log.nthId({}, { op: '>', id: afterId }, 'asc', n);
  }

  /** ActivityQueries.firstIdAfter: the first activity past a position a filter admits. */
  firstIdAfter(
    afterId: number,
    filter: ActivityQuery,
    maxId: number | null,
  ): Promise<number | null> {
    return firstIdAfter(this.db, this.engine, afterId, filter, maxId);
  }

  /** ActivityQueries.dateSeek: where a read bounded by dates may start and stop. */
  dateSeek(
    oldest: number | undefined,
    latest: number | undefined,
    followers: boolean,
  ): Promise<Pick<ActivityQuery, 'ownMinId' | 'ownMaxId' | 'followedMaxId'>> {
    return this.log.dateSeek(oldest, latest, followers);
  }

  /** The highest id below which no id may still commit (null: ids follow commits). */
  async settledId(): Promise<number | null> {
    return this.log.settledId();
  }

  async highestId(): Promise<number> {
    return this.log.highestId();
  }

  /** The id just before the first activity created at or after a time (a stream start). */
  async idBefore(createdAt: number): Promise<number> {
    // The lowest such id, not the id of the earliest such time: ids need not follow times
    // (concurrent writers, clocks), and the stream must not skip anything created since.
    const first = await this.log.firstIdSince(createdAt);
    return first !== null ? first - 1 : this.log.lastId();
  }
}

/** Whether a filter of a lead's log holds nothing but its leads (which the caller gives). */
const positionOnly = (f: ActivityQuery) =>
  f.includeTypes === undefined &&
  (f.excludeTypes === undefined || f.excludeTypes.length === 0) &&
  f.oldestCreatedAt === undefined &&
  f.latestCreatedAt === undefined &&
  f.minId === undefined &&
  f.maxId === undefined &&
  f.ownMinId === undefined &&
  f.ownMaxId === undefined &&
  f.followedMaxId === undefined &&
  f.withoutDataValues !== true;
