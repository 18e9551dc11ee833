import type { Knex } from 'knex';
import type { Engine } from '../database.js';
import type { ActivityQuery } from '../../domain/records.js';
import { whereAmong } from './among.js';
import { countRows } from '../count-rows.js';
import { INLINE } from '../inline-limit.js';
import { SEQUENCE_VALUE, SETTLED_ACTIVITY_ID } from '../activity-horizon.js';
import { dateSide } from './date-side.js';

/**
 * The activity log is two tables (data-access/propagation-log.ts): `activities`, and the people
 * who followed a propagation, `activity_followers` joined to their `propagation_events`. Their
 * ids come from one sequence, so the log is the two merged by id, and every read asks both
 * the same question and merges the answers: each side ordered and cut to the page by its own
 * index (a lead's: (lead_id, id); the stream's: the primary key), then the two pages merged and
 * cut again. A view of the union was measured first: PostgreSQL then joined the followers to
 * their events by hashing, which loses the order, and read a whole table to sort it for a page.
 */

/** Where each side keeps what a filter tests. */
export interface Columns {
  id: string;
  lead: string;
  type: string;
  created: string;
}

export const OWN: Columns = {
  id: 'id',
  lead: 'lead_id',
  type: 'activity_type',
  created: 'created_at',
};
export const FOLLOWED: Columns = {
  id: 'f.id',
  lead: 'f.lead_id',
  type: 'e.activity_type',
  created: 'e.created_at',
};

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

/** What a read of whole activities selects, in one order on both sides. */
const OWN_COLUMNS = ['id', ...ACTIVITY_COLUMN_LIST];

function followedColumns(db: Knex | Knex.Transaction): Array<string | Knex.Raw> {
  return [
    'f.id',
    'f.lead_id',
    'e.activity_type',
    'e.created_at',
    'e.attribute_name',
    'e.old_value',
    'e.new_value',
    'e.reason',
    'e.source',
    // A follower's activity has neither (propagationActivity).
    db.raw('NULL AS asset_name'),
    db.raw('NULL AS extra'),
    'e.actor',
    'e.cause_lead_id',
  ];
}

export function filtered(
  q: Knex.QueryBuilder,
  f: ActivityQuery,
  engine: Engine,
  c: Columns,
): Knex.QueryBuilder {
  let b = q;
  if (f.leadIds) b = whereAmong(b, c.lead, f.leadIds, engine);
  if (f.includeTypes) b = b.whereIn(c.type, f.includeTypes);
  if (f.excludeTypes && f.excludeTypes.length > 0) b = b.whereNotIn(c.type, f.excludeTypes);
  if (f.oldestCreatedAt !== undefined) b = b.andWhere(c.created, '>=', f.oldestCreatedAt);
  if (f.latestCreatedAt !== undefined) b = b.andWhere(c.created, '<=', f.latestCreatedAt);
  if (f.minId !== undefined) b = b.andWhere(c.id, '>=', f.minId);
  if (f.maxId !== undefined) b = b.andWhere(c.id, '<=', f.maxId);
  return b;
}

/**
 * The activities of other types than Change Data Value, as the partial index
 * activities_lead_other_types_idx states them (migration 20261203004000): SQLite reads a partial
 * index only for a query that names its condition as the index does.
 */
export const OTHER_TYPES = "activity_type <> 'Change Data Value'";
export const OTHER_TYPES_INDEX = 'activities_lead_other_types_idx';

/**
 * The index SQLite is told to read a lead's activities by under a type filter and no window of
 * ids: left to itself, its planner read the other types through (lead_id, id, activity_type),
 * every data-value change of the lead passed over, and a filter on Change Data Value through
 * (activity_type, id), every lead's changes passed over (150 ms for a page of a lead of 100 in
 * a table of 100,000).
 */
function sqliteLeadIndex(f: ActivityQuery): string | null {
  if (f.withoutDataValues) return OTHER_TYPES_INDEX;
  const typed = f.includeTypes !== undefined || (f.excludeTypes ?? []).length > 0;
  if (f.leadIds === undefined || !typed || f.minId !== undefined || f.maxId !== undefined)
    return null;
  return 'activities_lead_id_type_idx';
}

/** Whether a filter tests what only the followers' events hold (their type, their time). */
const testsEvents = (f: ActivityQuery) =>
  f.includeTypes !== undefined ||
  (f.excludeTypes !== undefined && f.excludeTypes.length > 0) ||
  f.oldestCreatedAt !== undefined ||
  f.latestCreatedAt !== undefined;

/** A position test on a side's id: `id < 42`, `id > 42`. */
export type Bound = { op: '<' | '>'; id: number } | null;

/** Ids strictly below `id` (none: no bound). */
export const belowId = (id: number | null): Bound => (id === null ? null : { op: '<', id });

export type Direction = 'asc' | 'desc';

/** Both sides of the log: the same question asked of each. */
export class ActivitySources {
  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly engine: Engine,
  ) {}

  /** The two sides under `filter` and `bound`; the followers joined to their events if needed. */
  private sides(
    filter: ActivityQuery,
    bound: Bound,
    rows: boolean,
  ): [Knex.QueryBuilder, Knex.QueryBuilder] {
    const hint = this.engine === 'sqlite' ? sqliteLeadIndex(filter) : null;
    const table = hint
      ? this.db.from(this.db.raw(`activities INDEXED BY ${hint}`))
      : this.db('activities');
    let own = filtered(table, filter, this.engine, OWN);
    let followed = this.db('activity_followers as f');
    if (rows || testsEvents(filter))
      followed = followed.join('propagation_events as e', 'e.id', 'f.event_id');
    followed = filtered(followed, filter, this.engine, FOLLOWED);
    if (filter.withoutDataValues) {
      own = own.whereRaw(OTHER_TYPES);
      // A propagation logs Change Data Value on its followers and nothing else
      // (propagationActivity): none of them is read.
      followed = followed.whereRaw('1 = 0');
    }
    if (bound) {
      own = own.andWhere(OWN.id, bound.op, bound.id);
      followed = followed.andWhere(FOLLOWED.id, bound.op, bound.id);
    }
    // A date-bounded read's seek (ActivitySources.dateSeek): ids past it lie outside the dates.
    if (filter.ownMinId !== undefined) own = own.andWhere(OWN.id, '>=', filter.ownMinId);
    if (filter.ownMaxId !== undefined) own = own.andWhere(OWN.id, '<=', filter.ownMaxId);
    if (filter.followedMaxId !== undefined)
      followed = followed.andWhere(FOLLOWED.id, '<=', filter.followedMaxId);
    return [own, followed];
  }

  /** Two pages, each ordered and cut by its own side, as one (unordered) union. */
  private merged(own: Knex.QueryBuilder, followed: Knex.QueryBuilder): Knex.QueryBuilder {
    // Each page in a subquery of its own: SQLite takes no ORDER BY or LIMIT on a member of a
    // compound SELECT.
    const db = this.db;
    return db
      .select('*')
      .from(own.as('o'))
      .unionAll(db.select('*').from(followed.as('p')))
      .as('u');
  }

  /** Up to `limit` whole activities past `bound` under `filter`, in `direction` of id. */
  async rows(
    filter: ActivityQuery,
    bound: Bound,
    direction: Direction,
    limit: number,
  ): Promise<Array<Record<string, unknown>>> {
    const [own, followed] = this.sides(filter, bound, true);
    const union = this.merged(
      own.select(OWN_COLUMNS).orderBy(OWN.id, direction).limit(limit, INLINE),
      followed
        .select(followedColumns(this.db))
        .orderBy(FOLLOWED.id, direction)
        .limit(limit, INLINE),
    );
    return (await this.db
      .select('*')
      .from(union)
      .orderBy('id', direction)
      .limit(limit, INLINE)) as Array<Record<string, unknown>>;
  }

  /** The id of the n-th activity past `bound` under `filter`, in `direction`; null: fewer. */
  async nthId(
    filter: ActivityQuery,
    bound: Bound,
    direction: Direction,
    n: number,
  ): Promise<number | null> {
    const [own, followed] = this.sides(filter, bound, false);
    const union = this.merged(
      own.select(OWN.id).orderBy(OWN.id, direction).limit(n, INLINE),
      followed.select(FOLLOWED.id).orderBy(FOLLOWED.id, direction).limit(n, INLINE),
    );
    const [row] = (await this.db
      .select('id')
      .from(union)
      .orderBy('id', direction)
      .limit(1, INLINE)
      .offset(n - 1, INLINE)) as Array<{ id: number | string }>;
    return row ? Number(row.id) : null;
  }

  /** The activities past `bound` under `filter`, as one query of their ids (for countRows). */
  ids(filter: ActivityQuery, bound: Bound): Knex.QueryBuilder {
    const [own, followed] = this.sides(filter, bound, false);
    // No order and no cut per side: a count reads them one after the other, and a capped one
    // stops at its cap.
    return this.db.from(own.select(OWN.id).unionAll(followed.select(FOLLOWED.id)).as('u'));
  }

  /**
   * How many of these leads' activities lie below `before` (all: null), counting no further
   * than `cap`. PostgreSQL counts one lead's by lead_activity_count (migration
   * 20261202000400), whose plan stops at the cap whatever the statistics: the statement read
   * the lead's whole history (a bitmap scan) or the table from its start (a sequential scan),
   * depending on them. SQLite's plan is an index search that stops at the cap.
   */
  async leadCount(leadIds: readonly number[], before: number | null, cap: number): Promise<number> {
    if (this.engine !== 'postgres' || leadIds.length !== 1)
      return countRows(this.db, this.ids({ leadIds }, belowId(before)), cap);
    const r = (await this.db.raw('SELECT lead_activity_count(?, ?, ?) AS n', [
      leadIds[0]!,
      before,
      cap,
    ])) as { rows: Array<{ n: number | string | null }> };
    return Number(r.rows[0]?.n ?? 0);
  }

  /** The lowest id of an activity created at or after `createdAt`, or null. */
  async firstIdSince(createdAt: number): Promise<number | null> {
    // A propagation's event has the id of its first follower, the lowest of them.
    const [row] = (await this.db
      .from(
        this.db('activities')
          .where('created_at', '>=', createdAt)
          .min({ m: 'id' })
          .unionAll(
            this.db('propagation_events').where('created_at', '>=', createdAt).min({ m: 'id' }),
          )
          .as('u'),
      )
      .min({ m: 'm' })) as Array<{ m: number | string | null }>;
    return row?.m === null || row?.m === undefined ? null : Number(row.m);
  }

  /**
   * Where a read bounded by dates may start and stop (ActivityQueries.dateSeek). Each is the
   * exact extreme id of the rows within the date (not the id of the extreme time: ids need not
   * follow times, an imported activity is older than its id), so no activity within the dates
   * lies past it. The planner reads each through the (created_at, id) index or the primary key,
   * whichever reaches it first. None: a bound no id passes.
   */
  async dateSeek(
    oldest: number | undefined,
    latest: number | undefined,
    followers: boolean,
  ): Promise<Pick<ActivityQuery, 'ownMinId' | 'ownMaxId' | 'followedMaxId'>> {
    const db = this.db;
    const one = async (q: Knex.QueryBuilder) => {
      const [row] = (await q) as Array<{ m: number | string | null }>;
      return row?.m === null || row?.m === undefined ? null : Number(row.m);
    };
    const [min, max, followedMax] = await Promise.all([
      oldest === undefined
        ? undefined
        : one((await dateSide(db, this.engine, oldest, '>=')).side.min({ m: 'id' })),
      latest === undefined
        ? undefined
        : one((await dateSide(db, this.engine, latest, '<=')).side.max({ m: 'id' })),
      latest === undefined || !followers
        ? undefined
        : one(
            db('activity_followers as f')
              .join('propagation_events as e', 'e.id', 'f.event_id')
              .where('e.created_at', '<=', latest)
              .max({ m: 'f.id' }),
          ),
    ]);
    const seek: Pick<ActivityQuery, 'ownMinId' | 'ownMaxId' | 'followedMaxId'> = {};
    if (min !== undefined) seek.ownMinId = min ?? Number.MAX_SAFE_INTEGER;
    if (max !== undefined) seek.ownMaxId = max ?? 0;
    if (followedMax !== undefined) seek.followedMaxId = followedMax ?? 0;
    return seek;
  }

  /**
   * PostgreSQL: the highest id up to which no transaction in flight holds an id (the stream
   * reads no further, activity-horizon.ts); read before the rows, by a statement of its own.
   * SQLite: null, no bound (one writer: ids follow commits).
   */
  async settledId(): Promise<number | null> {
    if (this.engine !== 'postgres') return null;
    const r = (await this.db.raw(SETTLED_ACTIVITY_ID)) as { rows: Array<{ h: number | string }> };
    return Number(r.rows[0]?.h ?? 0);
  }

  /**
   * The highest id the log has handed out, or may have: PostgreSQL's sequence (ids of writes
   * rolled back included, which a position may have passed), SQLite's AUTOINCREMENT counter.
   */
  async highestId(): Promise<number> {
    const counter =
      this.engine === 'postgres'
        ? ((await this.db.raw(`SELECT ${SEQUENCE_VALUE} AS v`)) as { rows: Array<{ v: unknown }> })
            .rows[0]?.v
        : (
            (await this.db('sqlite_sequence').where({ name: 'activities' }).first('seq')) as
              { seq: unknown } | undefined
          )?.seq;
    return Math.max(Number(counter ?? 0), await this.lastId());
  }

  /** The highest id of the log (0: empty). */
  async lastId(): Promise<number> {
    const [row] = (await this.db
      .from(
        this.db('activities')
          .max({ m: 'id' })
          .unionAll(this.db('activity_followers').max({ m: 'id' }))
          .as('u'),
      )
      .max({ m: 'm' })) as Array<{ m: number | string | null }>;
    return Number(row?.m ?? 0);
  }
}
