import type { Knex } from 'knex';
import type { Engine } from '../database.js';
import { INLINE } from '../inline-limit.js';

/**
 * The activities created on one side of a date (`>=`: at or after it), read the cheaper way
 * for the extreme id ActivitySources.dateSeek wants. The lowest id created at or after a date
 * is read either along the primary key from the start (stopping at the first such row) or
 * along the (created_at, id) index from the date to its end; the highest id at or before it,
 * from the end of the key or from the start of the index to the date. PostgreSQL's planner
 * weighs the two by its statistics; SQLite's, without them, took the primary key always: a
 * date among the newest activities (a poller's) read the whole log, 7 ms at 200,000
 * activities. Here the date's place in the log is found first, by one descent of the
 * (created_at, id) index (the id at the date, against the log's first and last ids: ids
 * mostly follow times), and the nearer side is read: a date near either end costs a few
 * entries, one in the middle about half the log. The id at the date alone would cost one
 * descent but is not the answer: ids need not follow times (an imported activity is older
 * than its id), and the extreme id is exact.
 */
export async function dateSide(
  db: Knex | Knex.Transaction,
  engine: Engine,
  date: number,
  op: '>=' | '<=',
): Promise<{ side: Knex.QueryBuilder }> {
  // Wrapped: a query builder is a thenable, which an async function's answer would run.
  if (engine !== 'sqlite') return { side: db('activities').where('created_at', op, date) };
  const byDate = db.from(db.raw('activities INDEXED BY activities_created_idx'));
  const dir = op === '>=' ? 'asc' : 'desc';
  const [at] = (await byDate
    .clone()
    .where('created_at', op, date)
    .orderBy([
      { column: 'created_at', order: dir },
      { column: 'id', order: dir },
    ])
    .select('id')
    .limit(1, INLINE)) as Array<{ id: number | string }>;
  // Nothing on that side: either way reads nothing.
  if (at === undefined) return { side: byDate.clone().where('created_at', op, date) };
  // Each in a statement of its own: SQLite reads one end of the key for a lone min() or
  // max(), and the whole table for both together.
  const ends = (await db.raw(
    'SELECT (SELECT min(id) FROM activities) AS lo, (SELECT max(id) FROM activities) AS hi',
  )) as Array<{ lo: number | string; hi: number | string }>;
  const lo = Number(ends[0]!.lo);
  const hi = Number(ends[0]!.hi);
  const id = Number(at.id);
  // Entries the index side reads (from the date to its end), against the key side's.
  const indexSide = op === '>=' ? hi - id : id - lo;
  const keySide = op === '>=' ? id - lo : hi - id;
  return {
    side:
      indexSide <= keySide
        ? byDate.clone().where('created_at', op, date)
        : db('activities').where('created_at', op, date),
  };
}
