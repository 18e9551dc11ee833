import type { Database } from '../../src/data-access/database.js';

/** The first activity id past the 32-bit range that PostgreSQL's ids had before bigint. */
export const PAST_32_BITS = 2 ** 31 + 1000;

/**
 * Moves the activities' sequence so that the next activity id taken is `next` (PostgreSQL's
 * sequence, SQLite's AUTOINCREMENT row): a log as long as years of writes, without writing it.
 */
export async function nextActivityIdAt(db: Database, next: number): Promise<void> {
  if (db.engine === 'postgres') {
    await db.knex.raw(`SELECT setval('activities_id_seq', ?::bigint, false)`, [next]);
    return;
  }
  await db.knex.raw(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'activities'`, [next - 1]);
}
