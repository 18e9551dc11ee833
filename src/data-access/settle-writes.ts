import type { Database } from './database.js';
import { WRITERS_IN_FLIGHT, WRITERS_STILL_IN_FLIGHT } from './activity-horizon.js';
import { fixedSql } from './sql/fixed-sql.js';

/**
 * Raises the LastUpdateAt horizon (migrations/…_lead_update_horizon.ts) to `?`; no write at all
 * when it is there already (the pages of one run raise it little).
 */
export const RAISE_UPDATE_HORIZON = fixedSql(
  'UPDATE lead_update_horizon SET v = ? WHERE id = 1 AND v < ?',
);

/** Between two looks at the write transactions a settling reader waits for. */
const POLL_MS = 20;

/**
 * Resolves once every write transaction in flight when it was called, in this process or
 * another one on the same database, has ended (committed or rolled back).
 *
 * PostgreSQL: every write transaction holds its activity floor lock from its BEGIN to its end
 * (activity-horizon.ts); the ones holding one now are watched until none holds it any more.
 * Nothing is locked: writers are not held up. SQLite: a write transaction of its own, which
 * starts (BEGIN IMMEDIATE) only once the one writer in flight, any process's, has ended.
 *
 * `horizon` (a LastUpdateAt page's bound): raised first (PostgreSQL: committed on its own
 * before the writers are looked for; SQLite: by `write`), so that a lead written by a writer
 * not yet in flight, in any process, is stamped past it (migrations/…_lead_update_horizon.ts).
 */
export async function settleWrites(
  database: Database,
  write: () => Promise<void>,
  horizon?: number,
): Promise<void> {
  if (database.engine !== 'postgres') return write();
  if (horizon !== undefined)
    await database.knex.raw(RAISE_UPDATE_HORIZON.postgres, [horizon, horizon]);
  const found = (await database.knex.raw(WRITERS_IN_FLIGHT)) as { rows: Array<{ v: string }> };
  const ids = found.rows.map((r) => r.v);
  while (ids.length > 0) {
    const left = (await database.knex.raw(WRITERS_STILL_IN_FLIGHT, [ids])) as {
      rows: Array<{ n: number | string }>;
    };
    if (Number(left.rows[0]?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
