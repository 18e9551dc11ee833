import type { Knex } from 'knex';
import type { Engine } from '../database.js';
import { whereAmong } from './among.js';
import { INLINE } from '../inline-limit.js';
import { countRows } from '../count-rows.js';
import { fixedSql, queueStatement, type FixedSql, type StatementCall } from './statement.js';
import type { NewActivity } from '../../domain/records.js';
import type { ActivityRecord, ActivityQuery } from '../../domain/records.js';
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

function filtered(q: Knex.QueryBuilder, f: ActivityQuery, engine: Engine): Knex.QueryBuilder {
  let b = q;
  if (f.leadIds) b = whereAmong(b, 'lead_id', f.leadIds, engine);
  if (f.includeTypes) b = b.whereIn('activity_type', f.includeTypes);
  if (f.excludeTypes && f.excludeTypes.length > 0)
    b = b.whereNotIn('activity_type', f.excludeTypes);
  if (f.oldestCreatedAt !== undefined) b = b.andWhere('created_at', '>=', f.oldestCreatedAt);
  if (f.latestCreatedAt !== undefined) b = b.andWhere('created_at', '<=', f.latestCreatedAt);
  if (f.minId !== undefined) b = b.andWhere('id', '>=', f.minId);
  if (f.maxId !== undefined) b = b.andWhere('id', '<=', f.maxId);
  return b;
}

/** The stored columns of a new activity (every column but the id), in activityValues' order. */
export const ACTIVITY_COLUMN_LIST: readonly string[] = [
  'lead_id',
  'activity_type',
  'created_at',
  'attribute_name',
  'old_value',
  'new_value',
  'reason',
  'source',
  'asset_name',
  'extra',
  'actor',
  'cause_lead_id',
];

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
  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly engine: Engine,
  ) {}

  async insert(activities: readonly NewActivity[]): Promise<void> {
    // Nothing of the insert is read: on SQLite it goes with the transaction's next statement.
    for (const [sql, bindings] of activityInserts(activities))
      await queueStatement(this.db, sql, bindings);
  }

  /** Newest first, keyset-paged: ids strictly below `beforeId`. */
  /** Moves the history of `fromLeadIds` to `toLeadId` (a merge): ids and times stay as they were. */
  private leadsActivities(leadIds: readonly number[]): Knex.QueryBuilder {
    return whereAmong(this.db('activities'), 'lead_id', leadIds, this.engine);
  }

  async reassign(fromLeadIds: readonly number[], toLeadId: number): Promise<number> {
    if (fromLeadIds.length === 0) return 0;
    return this.db('activities').whereIn('lead_id', fromLeadIds).update({ lead_id: toLeadId });
  }

  async listForLeads(
    leadIds: readonly number[],
    beforeId: number | null,
    filter: ActivityQuery,
    limit: number,
  ): Promise<ActivityRecord[]> {
    let q = filtered(this.leadsActivities(leadIds), filter, this.engine);
    if (beforeId !== null) q = q.andWhere('id', '<', beforeId);
    const rows = (await q.orderBy('id', 'desc').limit(limit, INLINE)) as Row[];
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
    let q = filtered(this.leadsActivities(leadIds), filter, this.engine);
    if (beforeId !== null) q = q.andWhere('id', '<', beforeId);
    return countRows(this.db, q, cap);
  }

  /** The change stream: oldest first, ids strictly above `afterId`. */
  async listAfter(
    afterId: number,
    filter: ActivityQuery,
    limit: number,
  ): Promise<ActivityRecord[]> {
    const q = filtered(this.db('activities').where('id', '>', afterId), filter, this.engine);
    const rows = (await q.orderBy('id', 'asc').limit(limit, INLINE)) as Row[];
    return rows.map(toRecord);
  }

  async countAfter(afterId: number, filter: ActivityQuery, cap?: number): Promise<number> {
    return countRows(
      this.db,
      filtered(this.db('activities').where('id', '>', afterId), filter, this.engine),
      cap,
    );
  }

  /**
   * The id of the n-th activity after `afterId` (ascending), or null when there are fewer: the
   * end of a window of n activities, found by reading n entries of the primary key.
   */
  async nthIdAfter(afterId: number, n: number): Promise<number | null> {
    const [row] = (await this.db('activities')
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .select('id')
      .limit(1, INLINE)
      .offset(n - 1, INLINE)) as Row[];
    return row ? Number(row.id) : null;
  }

  /** The id of the n-th activity of these leads below `beforeId` (newest first), or null. */
  async nthIdBeforeForLeads(
    leadIds: readonly number[],
    beforeId: number | null,
    n: number,
  ): Promise<number | null> {
    let q = this.leadsActivities(leadIds);
    if (beforeId !== null) q = q.andWhere('id', '<', beforeId);
    const [row] = (await q
      .orderBy('id', 'desc')
      .select('id')
      .limit(1, INLINE)
      .offset(n - 1, INLINE)) as Row[];
    return row ? Number(row.id) : null;
  }

  /** The id just before the first activity created at or after a time (a stream start). */
  async idBefore(createdAt: number): Promise<number> {
    // The lowest such id, not the id of the earliest such time: ids need not follow times
    // (concurrent writers, clocks), and the stream must not skip anything created since.
    const [first] = (await this.db('activities')
      .where('created_at', '>=', createdAt)
      .min({ m: 'id' })) as Array<{ m: number | null }>;
    if (first?.m !== null && first?.m !== undefined) return Number(first.m) - 1;
    const [max] = (await this.db('activities').max({ m: 'id' })) as Array<{ m: number | null }>;
    return Number(max?.m ?? 0);
  }
}
