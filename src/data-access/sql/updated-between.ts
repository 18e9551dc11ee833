import type { Knex } from 'knex';
import { INLINE } from '../inline-limit.js';
import type { UpdatePosition } from '../../domain/ports.js';

/**
 * The people changed from `oldest` on (to `latest`, when given), after `after` in the keyset
 * order (updated_at, id): the page and its count must select the same rows.
 */
export function updatedBetween(
  q: Knex.QueryBuilder,
  oldest: number,
  latest: number | null,
  after: UpdatePosition | null,
): Knex.QueryBuilder {
  let b = q.where('updated_at', '>=', oldest);
  if (latest !== null) b = b.andWhere('updated_at', '<=', latest);
  if (!after) return b;
  return b.andWhere((w) =>
    w
      .where('updated_at', '>', after.updatedAt)
      .orWhere((x) => x.where('updated_at', after.updatedAt).andWhere('id', '>', after.id)),
  );
}

/** A page's statement: the window's people of one partition (every one: none), in keyset order. */
export function updatedPageOf(
  oldest: number,
  latest: number | null,
  after: UpdatePosition | null,
  limit: number,
  partition?: string,
): (q: Knex.QueryBuilder) => Knex.QueryBuilder {
  return (q) =>
    updatedBetween(
      partition === undefined ? q : q.where('partition', partition),
      oldest,
      latest,
      after,
    )
      .orderBy([{ column: 'updated_at' }, { column: 'id' }])
      .limit(limit, INLINE);
}

/**
 * The first `limit` of pages read one per partition, in keyset order. Each reads its own
 * range of leads_partition_updated_idx (partition, updated_at, id), at most `limit` entries:
 * one statement over all of them would read and sort every change of the window in them.
 */
export function firstOfPages<T extends UpdatePosition>(pages: readonly T[][], limit: number): T[] {
  if (pages.length === 1) return pages[0]!;
  // Linear in the partitions' pages: at most `limit` people each.
  return pages
    .flat()
    .sort((a, b) => a.updatedAt - b.updatedAt || a.id - b.id)
    .slice(0, limit);
}
