import type { Knex } from 'knex';
import type { ReadExpectation } from '../../domain/ports.js';
import { addressLockId } from '../address-lock.js';
import { staleReadError } from '../sqlite-thread/protocol.js';
import { fixedSql, queueExpectation, type FixedSql } from './statement.js';

/**
 * WriteScope.expect: one SELECT saying whether the store still holds what a read outside the
 * transaction saw.
 *
 * SQLite: its `ok` column, checked by the writer thread in the writer's transaction, in the
 * message of the write it guards (statement.ts, queueExpectation); it needs no lock, SQLite
 * has one writer.
 *
 * PostgreSQL: the first statements of a one-step unit (pg-step.ts), made under the advisory lock
 * of the person's address as read, the lock every writer of that address takes first: the
 * check is a statement of its own after the lock's, so it reads what was committed before the
 * lock was granted, and what it finds cannot change until the unit's transaction ends (the
 * person is locked too, by the check, as the locked path locks it). It calls
 * stale_read_unless (a function of the migrations), which fails the statement with
 * PG_STALE_READ_CODE when the check does not hold: its step is rolled back to its savepoint and
 * fails alone (pg-step-group.ts), the other steps of its group unaffected.
 */

/**
 * The SQLSTATE stale_read_unless fails with (migration 20261202000000); database-errors.ts
 * reads it.
 */
export const PG_STALE_READ_CODE = 'SR001';

/** The person as read: every write of a row gives it a greater change_seq. */
const SAME_LEAD = fixedSql(
  '(SELECT change_seq FROM leads WHERE id = ?) = ?',
  // The row locked as the locked path locks it (leads.lockRow), and read as it then stands.
  'EXISTS (SELECT 1 FROM leads WHERE id = ? AND change_seq = ? FOR UPDATE)',
);
/** Nobody of the address changed after the person (lead.repository.ts, LATEST_FIRST_SQL). */
const STILL_LATEST = fixedSql(
  '(SELECT id FROM leads WHERE email_key = ? ORDER BY change_seq DESC, id DESC LIMIT 1) = ?',
);
/** What a re-subscribe reads of an unsubscribed status: its reason and date. */
const SAME_UNSUBSCRIBE = fixedSql(
  `EXISTS (SELECT 1 FROM email_status
  WHERE email_key = ? AND unsubscribed = 1 AND reason IS ? AND changed_at = ?)`,
  `EXISTS (SELECT 1 FROM email_status
  WHERE email_key = ? AND unsubscribed AND reason IS NOT DISTINCT FROM ? AND changed_at = ?)`,
);
/**
 * The status read without opt_outs_recorded_since still has none: set since, an opt-out that
 * found nothing to record must be recorded after all (acknowledged-opt-outs.ts). Once set it
 * never changes, so a read that found it needs no check.
 */
const STILL_UNMARKED = fixedSql(
  'NOT EXISTS (SELECT 1 FROM email_status WHERE email_key = ? AND opt_outs_recorded_since IS NOT NULL)',
);
const NOT_UNSUBSCRIBED = fixedSql(
  'NOT EXISTS (SELECT 1 FROM email_status WHERE email_key = ? AND unsubscribed = 1)',
  'NOT EXISTS (SELECT 1 FROM email_status WHERE email_key = ? AND unsubscribed)',
);

/**
 * A re-subscribe's kept opt-out (email_status_joined) as read: the address has no row of its
 * own yet (a row written since is what the locked path must read), and the kept row, never
 * written again, holds the reason and date read. Only the address's own row needs its lock.
 */
const SAME_KEPT = fixedSql(
  `NOT EXISTS (SELECT 1 FROM email_status WHERE email_key = ?)
  AND EXISTS (SELECT 1 FROM email_status_joined
  WHERE joined_key = ? AND unsubscribed = 1 AND reason IS ? AND changed_at = ?)`,
  `NOT EXISTS (SELECT 1 FROM email_status WHERE email_key = ?)
  AND EXISTS (SELECT 1 FROM email_status_joined
  WHERE joined_key = ? AND unsubscribed AND reason IS NOT DISTINCT FROM ? AND changed_at = ?)`,
);

type StatusCheck = 'none' | 'same' | 'sameUnmarked' | 'not' | 'kept';

/** The SQL of each combination, built once. */
const checks = new Map<string, FixedSql>();
function checkSql(latest: boolean, status: StatusCheck): FixedSql {
  const name = `${latest}/${status}`;
  let sql = checks.get(name);
  if (!sql) {
    const parts = [SAME_LEAD];
    if (latest) parts.push(STILL_LATEST);
    if (status === 'same' || status === 'sameUnmarked') parts.push(SAME_UNSUBSCRIBE);
    if (status === 'sameUnmarked') parts.push(STILL_UNMARKED);
    if (status === 'not') parts.push(NOT_UNSUBSCRIBED);
    if (status === 'kept') parts.push(SAME_KEPT);
    const all = (engine: keyof FixedSql) => parts.map((p) => p[engine]).join(' AND ');
    sql = fixedSql(
      `SELECT coalesce(${all('sqlite')}, 0) AS ok`,
      `SELECT stale_read_unless(${all('postgres')}) AS ok`,
    );
    checks.set(name, sql);
  }
  return sql;
}

/**
 * Queues the check of `expected` to run first with the transaction's next statement (SQLite),
 * or first in its one-step unit under its address's lock (`locked`: PostgreSQL). There, a
 * person read without an address (no lock to check under), or a check of another address than
 * the person's, fails with StaleRead at once, nothing sent: the caller takes the locked path.
 */
export async function expectRead(
  db: Knex | Knex.Transaction,
  expected: ReadExpectation,
  locked = false,
): Promise<void> {
  const { lead, latestOf, status } = expected;
  const bindings: unknown[] = [lead.id, lead.changeSeq];
  if (latestOf !== undefined) bindings.push(latestOf, lead.id);
  let check: StatusCheck = 'none';
  if (status) {
    const record = status.record;
    check = !record?.unsubscribed
      ? 'not'
      : status.keptUnder !== undefined
        ? 'kept'
        : record.optOutsRecordedSince !== undefined
          ? 'same'
          : 'sameUnmarked';
    bindings.push(status.key);
    if (check === 'kept') bindings.push(status.keptUnder);
    if (record?.unsubscribed) bindings.push(record.reason, record.changedAt);
    if (check === 'sameUnmarked') bindings.push(status.key);
  }
  const sql = checkSql(latestOf !== undefined, check);
  if (!locked) return queueExpectation(db, sql, bindings);
  const address = expected.address;
  // Only what that lock guards can be checked under it.
  if (!address || (latestOf ?? address) !== address || (status?.key ?? address) !== address)
    throw staleReadError();
  return queueExpectation(db, sql, bindings, addressLockId(address));
}
