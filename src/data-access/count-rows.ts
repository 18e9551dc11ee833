import type { Knex } from 'knex';
import { INLINE } from './inline-limit.js';

/**
 * COUNT(*) of a query's rows (its table must have an id), stopping at `cap` when one is given: a capped count reads at most
 * `cap` index entries, where an exact one reads everything from the position to the end.
 */
export async function countRows(
  db: Knex | Knex.Transaction,
  query: Knex.QueryBuilder,
  cap?: number,
): Promise<number> {
  const counted: Knex.QueryBuilder =
    cap === undefined ? query : db.from(query.select('id').limit(cap, INLINE).as('capped'));
  const [row] = (await counted.count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(row?.n ?? 0);
}

/** countRows for a table keyed by another column than id. */
export async function countRowsWhere(
  db: Knex | Knex.Transaction,
  query: Knex.QueryBuilder,
  key: string,
  cap: number,
): Promise<number> {
  const capped = db.from(query.select(key).limit(cap, INLINE).as('capped'));
  const [row] = (await capped.count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(row?.n ?? 0);
}
