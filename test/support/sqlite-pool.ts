import type { Knex } from 'knex';
import type { SqliteThreadConnection } from '../../src/data-access/sqlite-thread/connection.js';

/** knex's pool of SQLite thread connections, as the SQLite thread suites reach it. */
export interface ThreadPool {
  acquireConnection(): Promise<SqliteThreadConnection>;
  releaseConnection(connection: SqliteThreadConnection): Promise<unknown>;
}

/** The pool of `knex` (a file's writer or readers), or a transaction's own connection. */
export const threadPool = (knex: Knex | Knex.Transaction) => knex.client as unknown as ThreadPool;
