import type { Knex } from 'knex';

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
  /** See StatementOptions.endsTransaction (read by database.ts's PostgreSQL client). */
  endsTransaction?: true;
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

export interface StatementOptions {
  /**
   * PostgreSQL, a statement without bindings that is the last of its transaction: COMMIT is
   * sent in the same message (BEGIN too, when it is the first), and the transaction's own
   * COMMIT then costs nothing. Any statement after it in that transaction fails.
   */
  endsTransaction?: boolean;
}

/** Runs one fixed statement on the connection `db` stands for. */
export async function runStatement(
  db: Knex | Knex.Transaction,
  sql: FixedSql,
  bindings: readonly unknown[],
  options: StatementOptions = {},
): Promise<StatementResult> {
  const client = db.client as unknown as StatementClient;
  // A transaction's client hands back the transaction's connection (and releasing it is a
  // no-op); the base client takes one from the pool for this statement alone.
  const connection = await client.acquireConnection();
  // PostgreSQL: the values written into the text where they can be (see inlined).
  const pg = client.dialect === 'postgresql';
  const text = pg && bindings.length > 0 ? inlined(sql, bindings) : null;
  try {
    const obj = await client.query(connection, {
      sql: text ? text.postgres : pg ? sql.postgres : sql.sqlite,
      bindings: text ? [] : [...bindings],
      method: 'raw',
      options: {},
      ...(options.endsTransaction ? { endsTransaction: true as const } : {}),
    });
    return resultOf(obj.response);
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * A value written into PostgreSQL SQL text. A statement without bindings is sent in one message
 * with the transaction's deferred BEGIN (database.ts), saving a round trip.
 *
 * knex numbers every `?` of a statement's text as a placeholder, inside quotes too, so a string
 * holding `?` or a backslash is written as an escape string (E'…') with `?` as `\x3f`: the text
 * then holds no `?` that knex could take. PostgreSQL cannot store NUL in text: refused here,
 * as the server refuses it as a binding.
 */
export function pgLiteral(value: string | number | bigint | boolean | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') {
    if (value.includes('\0')) throw new RangeError('text cannot hold a NUL character');
    if (!/[?\\]/.test(value)) return `'${value.replace(/'/g, "''")}'`;
    return ` E'${value.replace(/[?'\\]/g, (c) => (c === '?' ? '\\x3f' : c + c))}'`;
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  // In parentheses: `x - ?` must not become the comment `x --1`.
  if (typeof value === 'bigint' || Number.isSafeInteger(value))
    return value < 0 ? `(${String(value)})` : String(value);
  throw new RangeError(`not an integer: ${value}`);
}

/**
 * PostgreSQL: `sql`'s text with `bindings` written in (pgLiteral), or null when one of them
 * cannot be (a NUL, a fraction, an object): the caller then sends the bindings. A statement
 * without bindings is sent by the simple protocol, cheaper on both sides for a short
 * statement, and can share a message with BEGIN and the address locks (database.ts). Every
 * `?` of a fixed text is a placeholder (knex reads them so too).
 */
export function inlined(sql: FixedSql, bindings: readonly unknown[]): FixedSql | null {
  const parts = sql.postgres.split('?');
  if (parts.length !== bindings.length + 1) throw new Error('placeholders and bindings differ');
  let text = parts[0]!;
  for (let i = 0; i < bindings.length; i++) {
    const v = bindings[i];
    const t = typeof v;
    if (v !== null && t !== 'string' && t !== 'number' && t !== 'bigint' && t !== 'boolean')
      return null;
    if (t === 'number' && !Number.isSafeInteger(v)) return null;
    if (t === 'string' && (v as string).includes('\0')) return null;
    text += pgLiteral(v as string | number | bigint | boolean | null) + parts[i + 1]!;
  }
  return { sqlite: sql.sqlite, postgres: text };
}
