import type { Knex } from 'knex';

/**
 * The people changed from `oldest` on (to `latest`, when given), after `after` in the keyset
 * order (updated_at, id): the page and its count must select the same rows.
 */
export function updatedBetween(
  q: Knex.QueryBuilder,
  oldest: number,
  latest: number | null,
  after: { updatedAt: number; id: number } | null,
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
