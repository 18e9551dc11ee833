import type { Database } from './database.js';
import { WRITERS_IN_FLIGHT, WRITERS_STILL_IN_FLIGHT } from './activity-horizon.js';
import { fixedSql } from './sql/fixed-sql.js';

/** The statement raising the LastUpdateAt horizon to `to`; none at all when it is there already. */
const raiseTo = (to: string) =>
  `UPDATE lead_update_horizon SET v = ${to} WHERE id = 1 AND v < ${to}`;

/**
 * Raises the LastUpdateAt horizon (migrations/…_lead_update_horizon.ts) to `?`; no write at all
 * when it is there already (the pages of one run raise it little).
 */
export const RAISE_UPDATE_HORIZON = fixedSql(raiseTo('?'));

/** What this module uses of knex's client: a connection of its pool, held for two statements. */
interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

type WriterRows = { rows: Array<{ v: string }> };

/**
 * PostgreSQL: the horizon raised to `horizon` and committed, then the write transactions in
 * flight looked for, in one message (one round trip): the look runs after the COMMIT, so that
 * every writer that may have read the horizon before it was raised is among those it finds.
 * The raise goes in a transaction of its own (BEGIN … COMMIT: a COMMIT of the implicit
 * transaction a message gives would warn, in the server's log, at every page). Should the
 * raise fail, PostgreSQL skips the rest of the message and leaves that transaction open,
 * aborted: it is rolled back on the same connection before the connection goes back to the
 * pool. A message of several statements takes no bindings: the horizon, a whole number, is
 * written into it.
 */
async function raiseThenLook(database: Database, horizon: number): Promise<WriterRows> {
  if (!Number.isSafeInteger(horizon)) throw new Error(`Not a LastUpdateAt horizon: ${horizon}`);
  const { knex } = database;
  const client = knex.client as unknown as PooledClient;
  const connection = await client.acquireConnection();
  try {
    const message = `BEGIN; ${raiseTo(String(horizon))}; COMMIT; ${WRITERS_IN_FLIGHT}`;
    const results = (await knex.raw(message).connection(connection)) as WriterRows[];
    return results[results.length - 1]!;
  } catch (error) {
    await knex
      .raw('ROLLBACK')
      .connection(connection)
      .catch(() => undefined);
    throw error;
  } finally {
    await client.releaseConnection(connection);
  }
}

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
 * `horizon` (a LastUpdateAt page's bound): raised first (PostgreSQL: committed before the
 * writers are looked for, in the look's message; SQLite: by `write`), so that a lead written by
 * a writer not yet in flight, in any process, is stamped past it
 * (migrations/…_lead_update_horizon.ts).
 */
export async function settleWrites(
  database: Database,
  write: () => Promise<void>,
  horizon?: number,
): Promise<void> {
  if (database.engine !== 'postgres') return write();
  const found =
    horizon === undefined
      ? ((await database.knex.raw(WRITERS_IN_FLIGHT)) as WriterRows)
      : await raiseThenLook(database, horizon);
  const ids = found.rows.map((r) => r.v);
  while (ids.length > 0) {
    const left = (await database.knex.raw(WRITERS_STILL_IN_FLIGHT, [ids])) as {
      rows: Array<{ n: number | string }>;
    };
    if (Number(left.rows[0]?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
