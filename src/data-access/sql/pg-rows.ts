import type { Knex } from 'knex';
import { inlined, type FixedSql } from './statement.js';

/**
 * The hot plain reads on PostgreSQL (getLead, the no-change sync) sent on the pool's connection
 * without knex's query path and without pg's result objects. Per read, those cost more than
 * the indexed lookup: knex's query object, events and promise layers; pg's Query, its config
 * copy and a Result that builds an empty object of every column name before a row arrives
 * (`addFields`) and then copies it per row. Here the read is one simple-protocol message on
 * the connection knex's pool hands out (its limit, acquire timeout and errors as for any
 * statement), and its rows come back as the arrays of values pg's protocol parser gives,
 * each turned into its JavaScript value by the connection's own type parsers (the same
 * values pg's rows hold). Nothing named is prepared: nothing outlives the statement, as
 * PgBouncer's transaction mode needs.
 */

/** A statement's rows: the column names once, then each row's values in that order. */
export interface RowSet {
  readonly names: readonly string[];
  readonly rows: readonly unknown[][];
}

type Parser = (text: string) => unknown;

/** What this module uses of pg's Client (the connection knex's pool hands out). */
interface PgConnection {
  query(submittable: RowSetQuery, callback: (error: Error | null, rows?: RowSet) => void): void;
  getTypeParser(oid: number, format: 'text'): Parser;
}

/** What this module uses of pg's wire connection, as pg's client gives it to a query. */
interface WireConnection {
  query(text: string): void;
  sendCopyFail(message: string): void;
}

interface FieldDescription {
  name: string;
  dataTypeID: number;
}

/**
 * A query pg's client runs as it runs its own (its queue, its errors, a lost connection), for
 * one simple-protocol statement that returns rows: what pg calls a submittable.
 */
class RowSetQuery {
  callback: ((error: Error | null, rows?: RowSet) => void) | undefined;
  private names: string[] = [];
  private parsers: Parser[] = [];
  private readonly rows: unknown[][] = [];
  private failed: Error | null = null;

  constructor(
    private readonly text: string,
    private readonly typesOf: PgConnection,
  ) {}

  submit(connection: WireConnection): null {
    connection.query(this.text);
    return null;
  }

  handleRowDescription(msg: { fields: FieldDescription[] }): void {
    const fields = msg.fields;
    const names = new Array<string>(fields.length);
    const parsers = new Array<Parser>(fields.length);
    for (let i = 0; i < fields.length; i++) {
      names[i] = fields[i]!.name;
      parsers[i] = this.typesOf.getTypeParser(fields[i]!.dataTypeID, 'text');
    }
    this.names = names;
    this.parsers = parsers;
  }

  handleDataRow(msg: { fields: Array<string | null> }): void {
    if (this.failed) return;
    const values = msg.fields;
    const parsers = this.parsers;
    try {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v !== null) values[i] = parsers[i]!(v!) as string;
      }
    } catch (error) {
      // As pg does: the statement still runs to its end, and then fails with this.
      this.failed = error as Error;
      return;
    }
    this.rows.push(values);
  }

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  handleError(error: Error): void {
    this.callback?.(this.failed ?? error);
  }

  handleReadyForQuery(): void {
    if (this.failed) this.callback?.(this.failed);
    else this.callback?.(null, { names: this.names, rows: this.rows });
  }

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: WireConnection): void {
    connection.sendCopyFail('No source stream defined');
  }

  handleCopyData(): void {}
}

interface KnexPgClient {
  dialect?: string;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  emit(event: string, ...args: unknown[]): boolean;
}

/**
 * `sql` with `bindings` as a RowSet, read as above, when it is a plain read on PostgreSQL
 * outside a transaction whose values can be written into its text (statement.ts's inlined);
 * null otherwise, and the caller runs it as any statement. Inside a transaction statements go
 * through knex's client (database.ts sends BEGIN and the address locks with them).
 *
 * Observable as knex's own statements are: a `query` event before it is sent (tests watch
 * where reads go) and, on failure, the SQL text before the error's message and a
 * `query-error` event.
 */
export async function readRowSet(
  db: Knex | Knex.Transaction,
  sql: FixedSql,
  bindings: readonly unknown[],
): Promise<RowSet | null> {
  if (db.isTransaction === true) return null;
  const client = db.client as unknown as KnexPgClient;
  if (client.dialect !== 'postgresql') return null;
  const text = inlined(sql, bindings)?.postgres;
  if (text === undefined) return null;
  const connection = (await client.acquireConnection()) as PgConnection & {
    __knexUid?: string;
  };
  try {
    const uid = connection.__knexUid;
    client.emit('query', { __knexUid: uid, sql: text, bindings: [], method: 'raw' });
    return await new Promise<RowSet>((resolve, reject) => {
      connection.query(new RowSetQuery(text, connection), (error, rows) =>
        error ? reject(error) : resolve(rows!),
      );
    }).catch((error: unknown) => {
      if (error instanceof Error) {
        error.message = `${text} - ${error.message}`;
        client.emit('query-error', error, { __knexUid: uid, sql: text, bindings: [] });
      }
      throw error;
    });
  } finally {
    await client.releaseConnection(connection);
  }
}
