import type { Knex } from 'knex';
import type { ReadExpectation } from '../../domain/ports.js';
import { fixedSql, queueExpectation, type FixedSql } from './statement.js';

/**
 * WriteScope.expect on SQLite: one SELECT whose `ok` says whether the store still holds what a
 * read outside the transaction saw. It needs no lock: SQLite has one writer, and the check runs
 * in the writer's transaction, in the message of the write it guards (statement.ts,
 * queueExpectation). PostgreSQL does not take this path (Transactions.guardedSteps).
 */

/** The person as read: every write of a row gives it a greater change_seq. */
const SAME_LEAD = '(SELECT change_seq FROM leads WHERE id = ?) = ?';
/** Nobody of the address changed after the person (lead.repository.ts, LATEST_FIRST_SQL). */
const STILL_LATEST =
  '(SELECT id FROM leads WHERE email_key = ? ORDER BY change_seq DESC, id DESC LIMIT 1) = ?';
/** What a re-subscribe reads of an unsubscribed status: its reason and date. */
const SAME_UNSUBSCRIBE = `EXISTS (SELECT 1 FROM email_status
  WHERE email_key = ? AND unsubscribed = 1 AND reason IS ? AND changed_at = ?)`;
const NOT_UNSUBSCRIBED =
  'NOT EXISTS (SELECT 1 FROM email_status WHERE email_key = ? AND unsubscribed = 1)';

type StatusCheck = 'none' | 'same' | 'not';

/** The SQL of each combination, built once. */
const checks = new Map<string, FixedSql>();
function checkSql(latest: boolean, status: StatusCheck): FixedSql {
  const name = `${latest}/${status}`;
  let sql = checks.get(name);
  if (!sql) {
    const parts = [SAME_LEAD];
    if (latest) parts.push(STILL_LATEST);
    if (status === 'same') parts.push(SAME_UNSUBSCRIBE);
    if (status === 'not') parts.push(NOT_UNSUBSCRIBED);
    sql = fixedSql(`SELECT coalesce(${parts.join(' AND ')}, 0) AS ok`);
    checks.set(name, sql);
  }
  return sql;
}

/** Queues the check of `expected` to run first with the transaction's next statement. */
export function expectRead(db: Knex | Knex.Transaction, expected: ReadExpectation): Promise<void> {
  const { lead, latestOf, status } = expected;
  const bindings: unknown[] = [lead.id, lead.changeSeq];
  if (latestOf !== undefined) bindings.push(latestOf, lead.id);
  let check: StatusCheck = 'none';
  if (status) {
    const record = status.record;
    check = record?.unsubscribed ? 'same' : 'not';
    bindings.push(status.key);
    if (record?.unsubscribed) bindings.push(record.reason, record.changedAt);
  }
  return queueExpectation(db, checkSql(latestOf !== undefined, check), bindings);
}
