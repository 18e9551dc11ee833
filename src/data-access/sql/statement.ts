import type { Knex } from 'knex';
import pg from 'pg';

/**
 * The hottest statements (getLead, the no-change sync, an unsubscribe) skip the query builder:
 * compiling a builder costs more than the indexed lookup it describes. Their SQL is fixed text,
 * written once per engine, and it still runs through knex's client, so that it goes to the
 * connection knex would use (the transaction's own inside a write, the pool's otherwise),
 * through the same driver code (SQLite's statement cache, PostgreSQL's deferred BEGIN) and
 * with the same errors. PostgreSQL gets unnamed statements only: nothing outlives the
 * transaction, as a transaction-mode pooler (PgBouncer) needs.
 */

type Row = Record<string, unknown>;

interface QueryObject {
  sql: string;
  bindings: unknown[];
  method: 'raw';
  options: Record<string, never>;
  /** Read by the SQLite thread client (sqlite-thread/client.ts): send with the next one. */
  resultUnused?: boolean;
  response?: unknown;
}

interface StatementClient {
  /** knex's name for the SQL dialect: 'postgresql' for PostgreSQL. */
  dialect?: string;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  query(connection: unknown, obj: QueryObject): Promise<QueryObject>;
}

/** What a statement gave back: its rows (RETURNING or SELECT) and how many rows it changed. */
export interface StatementResult {
  rows: Row[];
  changes: number;
}

/**
 * SQL text for `engine`: written once with `?` placeholders, as knex writes them; PostgreSQL
 * numbers them itself (the knex client does so as it sends). Kept as one value per engine so
 * a statement's text is built once, at load.
 */
export interface FixedSql {
  readonly sqlite: string;
  readonly postgres: string;
}

export function fixedSql(sqlite: string, postgres: string = sqlite): FixedSql {
  return { sqlite, postgres };
}

function resultOf(response: unknown): StatementResult {
  // SQLite: an array of rows for a statement that returns rows, else { changes }.
  if (Array.isArray(response)) return { rows: response as Row[], changes: response.length };
  const r = response as { rows?: Row[]; rowCount?: number | null; changes?: number };
  // PostgreSQL: a result with rows and rowCount.
  return { rows: r.rows ?? [], changes: r.rowCount ?? r.changes ?? 0 };
}

async function send(
  db: Knex | Knex.Transaction,
  sql: FixedSql,
  bindings: readonly unknown[],
  resultUnused: boolean,
): Promise<unknown> {
  const client = db.client as unknown as StatementClient;
  // A transaction's client hands back the transaction's connection (and releasing it is a
  // no-op); the base client takes one from the pool for this statement alone.
  const connection = await client.acquireConnection();
  try {
    const obj = await client.query(connection, {
      sql: client.dialect === 'postgresql' ? sql.postgres : sql.sqlite,
      bindings: [...bindings],
      method: 'raw',
      options: {},
      ...(resultUnused ? { resultUnused } : {}),
    });
    return obj.response;
  } finally {
    await client.releaseConnection(connection);
  }
}

/** Runs one fixed statement on the connection `db` stands for. */
export async function runStatement(
  db: Knex | Knex.Transaction,
  sql: FixedSql,
  bindings: readonly unknown[],
): Promise<StatementResult> {
  return resultOf(await send(db, sql, bindings, false));
}

/**
 * A write whose result the caller never reads (a history row, an activity), inside a write
 * transaction. On a SQLite file it is not awaited alone: it goes to the writer thread in one
 * message with the transaction's next statement, or its COMMIT, and runs before it. Its
 * failure is that statement's failure, so the transaction fails and stores none of it, as if
 * it had been awaited. Elsewhere (PostgreSQL, outside a transaction) it simply runs.
 */
export async function queueStatement(
  db: Knex | Knex.Transaction,
  sql: FixedSql,
  bindings: readonly unknown[],
): Promise<void> {
  await send(db, sql, bindings, db.isTransaction === true);
}

/** queueStatement for a statement of the query builder (a write whose result is not read). */
export function queueQuery(db: Knex | Knex.Transaction, query: Knex.QueryBuilder): Promise<void> {
  const { sql, bindings } = query.toSQL();
  return queueStatement(db, fixedSql(sql), bindings);
}

/**
 * A value written into PostgreSQL SQL text (pg's own quoting). A statement without bindings is
 * sent in one message with the transaction's deferred BEGIN (database.ts), saving a round
 * trip; only for the first statement of a write, with values of known types.
 */
export function pgLiteral(value: string | number | bigint | boolean | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return pg.escapeLiteral(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'bigint' || Number.isSafeInteger(value)) return String(value);
  throw new RangeError(`not an integer: ${value}`);
}
