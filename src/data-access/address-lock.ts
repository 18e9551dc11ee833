import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { PgDeferringClient } from './pg-client.js';

/**
 * The PostgreSQL advisory lock of an address: every writer of an address takes this one (the
 * general path, and the unsubscribe function of the migrations), so they serialise.
 */
export function addressLockId(key: string): bigint {
  // One-shot hash: the same digest as createHash, without its object.
  return crypto.hash('sha256', key, 'buffer').readBigInt64BE(0);
}

/**
 * Takes the locks of `ids` (sorted: the global order) until the transaction `db` ends. One
 * statement however many keys: unnest yields the sorted array in order. The ids (integers) are
 * written inline, so the statement needs no bindings: on PostgreSQL through pg-client.ts it is
 * queued and sent with the transaction's next statement, in the same message (before it, when
 * that one has bindings) — the address lock and the read it protects are one round trip.
 */
export async function lockAddresses(
  db: Knex | Knex.Transaction,
  ids: readonly bigint[],
): Promise<void> {
  if (ids.length === 0) return;
  const sql = `SELECT pg_advisory_xact_lock(k) FROM unnest('{${ids.join(',')}}'::bigint[]) AS k`;
  const client = db.client as unknown as Partial<PgDeferringClient> & {
    acquireConnection(): Promise<unknown>;
  };
  // A transaction's client hands back the transaction's own connection.
  const queued =
    db.isTransaction &&
    typeof client.sendWithNext === 'function' &&
    client.sendWithNext(await client.acquireConnection(), sql);
  if (!queued) await db.raw(sql);
}
