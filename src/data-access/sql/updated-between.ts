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

/**
 * A page's statement: the window's people, in keyset order; with `partitions`, theirs only (a
 * SOAP user confined to them), selected here so that neither the page nor its position holds
 * anyone else. Read through (updated_at, id), other partitions' changes skipped: an index by
 * partition would cost every write of a person's update time (benchmarks.md, twenty-sixth round).
 */
export function updatedPageOf(
  oldest: number,
  latest: number | null,
  after: UpdatePosition | null,
  limit: number,
  partitions?: readonly string[],
): (q: Knex.QueryBuilder) => Knex.QueryBuilder {
  return (q) =>
    updatedBetween(
      partitions === undefined ? q : q.whereIn('partition', partitions),
      oldest,
      latest,
      after,
    )
      .orderBy([{ column: 'updated_at' }, { column: 'id' }])
      .limit(limit, INLINE);
}
