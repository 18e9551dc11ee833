import type { Knex } from 'knex';

/**
 * The order statuses were written in, by their history rows' ids: unlike their stamps, it does
 * not depend on the clocks of the instances that wrote them.
 */

/** The newest history row's id (0: none). */
export async function lastHistoryId(db: Knex | Knex.Transaction): Promise<number> {
  const [row] = (await db('email_status_history').max({ n: 'id' })) as Array<{ n: unknown }>;
  return Number(row?.n ?? 0);
}

/** Whether the address has a history row after `afterId`, read by the (email_key, id) index. */
export async function writtenAfter(
  db: Knex | Knex.Transaction,
  key: string,
  afterId: number,
): Promise<boolean> {
  const row: unknown = await db('email_status_history')
    .where('email_key', key)
    .andWhere('id', '>', afterId)
    .first('id');
  return row !== undefined;
}
