import type { Knex } from 'knex';

/**
 * The order statuses were written in, by their history rows' ids: unlike their stamps, it does
 * not depend on the clocks of the instances that wrote them.
 */

/**
 * The newest history row's id (0: none), once every status write in flight has committed: a
 * point in the order statuses were committed in. PostgreSQL numbers a row when it is inserted,
 * not when its transaction commits, so a write in flight may commit a lower id after a higher
 * one is read. SHARE mode waits for every transaction that has inserted a row and holds new
 * ones back until this transaction (which the caller keeps short) ends. SQLite's writes are
 * one at a time, each numbered in commit order.
 */
export async function lastHistoryId(
  db: Knex | Knex.Transaction,
  engine: 'postgres' | 'sqlite',
): Promise<number> {
  if (engine === 'postgres') await db.raw('LOCK TABLE email_status_history IN SHARE MODE');
  const [row] = (await db('email_status_history').max({ n: 'id' })) as Array<{ n: unknown }>;
  return Number(row?.n ?? 0);
}

/** Addresses asked about in one statement: bound one value each, within either engine's limit. */
const KEYS_PER_READ = 1000;

/**
 * Which of the addresses `keys` have a history row after `afterId`, read by the (email_key, id)
 * index: one statement for up to KEYS_PER_READ of them. One address or a batch's, the same
 * statement.
 */
export async function writtenAfter(
  db: Knex | Knex.Transaction,
  keys: readonly string[],
  afterId: number,
): Promise<Set<string>> {
  const found = new Set<string>();
  const wanted = [...new Set(keys)];
  for (let i = 0; i < wanted.length; i += KEYS_PER_READ) {
    const rows = (await db('email_status_history')
      .whereIn('email_key', wanted.slice(i, i + KEYS_PER_READ))
      .andWhere('id', '>', afterId)
      .distinct('email_key')) as Array<{ email_key: string }>;
    for (const row of rows) found.add(row.email_key);
  }
  return found;
}
