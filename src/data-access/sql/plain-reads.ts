import type { Knex } from 'knex';
import { readPgRowSet } from './pg-rows.js';
import type { RowSet } from './row-set.js';
import type { FixedSql } from './statement.js';
import { readOnThread } from '../sqlite-thread/grouped-reads.js';

/**
 * A hot plain read outside a transaction, past knex's query path and grouped with the other
 * reads of its event-loop turn in one message: on PostgreSQL to a pooled connection
 * (pg-rows.ts), on SQLite to a reader thread (sqlite-thread/grouped-reads.ts). null where
 * neither applies (a transaction, the writer, a value that cannot be inlined): the caller then
 * runs it as any statement.
 */
export function readRowSet(
  db: Knex | Knex.Transaction,
  sql: FixedSql,
  bindings: readonly unknown[],
): Promise<RowSet | null> {
  if (db.isTransaction === true) return Promise.resolve(null);
  const onThread = readOnThread(db, sql.sqlite, bindings);
  return onThread ?? readPgRowSet(db, sql, bindings);
}
