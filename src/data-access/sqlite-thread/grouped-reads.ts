import type { Knex } from 'knex';
import type { RowSet } from '../sql/row-set.js';
import type { SqliteThreadConnection } from './connection.js';
import { TurnGatherer } from '../turn-gatherer.js';

/** What this module uses of the knex client of the reader threads (client.ts). */
interface ReaderClient {
  /** Set on the thread client's prototype (client.ts): its connections answer readAll. */
  readonly groupsReads?: boolean;
  connectionSettings: { readonly?: boolean };
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  emit(event: string, ...args: unknown[]): boolean;
  _formatBindings(bindings: readonly unknown[] | undefined): unknown[];
}

/** A read waiting for its rows. */
interface PendingRead {
  readonly sql: string;
  readonly bindings: unknown[];
  resolve(rows: RowSet): void;
  reject(error: unknown): void;
}

/** Per knex client: the reads of one turn of the event loop, sent together. */
const gatherer = new TurnGatherer<ReaderClient, PendingRead>((client, reads) => {
  void serve(client, reads);
});

/**
 * `sql` with `bindings` as a RowSet, when `db` is the reader threads' knex outside a
 * transaction (UnitOfWork.read); null otherwise, and the caller runs it as any statement. On
 * the writer (SQLITE_READ_THREADS=0) reads keep their own messages: they may meet an open
 * transaction there.
 *
 * Each read costs the main thread a message to a reader thread and one back, and knex's query
 * path and pool checkout: the reads asked for in one turn of the event loop (those of the
 * requests that arrived together) go instead as one message to one reader, past knex's query
 * path, and come back in one answer. The thread runs them one after the other, each alone
 * and outside any transaction, so each sees the last commit when it starts (an acknowledged
 * write included), as in a message of its own; one that fails fails alone (worker-reads.ts).
 * Their rows come as arrays of values with their names, as pg-rows.ts gives them.
 *
 * Observable as knex's own statements are: a `query` event before it is sent and, on failure,
 * the SQL text before the error's message and a `query-error` event.
 */
export function readOnThread(
  db: Knex | Knex.Transaction,
  sql: string,
  bindings: readonly unknown[],
): Promise<RowSet> | null {
  if (db.isTransaction === true) return null;
  const client = db.client as unknown as ReaderClient;
  if (client.groupsReads !== true || client.connectionSettings.readonly !== true) return null;
  return new Promise<RowSet>((resolve, reject) => {
    const read = { sql, bindings: client._formatBindings(bindings), resolve, reject };
    gatherer.add(client, read);
  });
}

/** Sends `reads` as one message to a reader thread of the pool, and ends each read. */
async function serve(client: ReaderClient, reads: PendingRead[]): Promise<void> {
  try {
    let connection: SqliteThreadConnection & { __knexUid?: string };
    try {
      connection = (await client.acquireConnection()) as typeof connection;
    } catch (error) {
      // Every reader busy past the acquire timeout: each read's error.
      for (const read of reads) read.reject(error);
      return;
    }
    const uid = connection.__knexUid;
    let outcomes: Array<RowSet | Error>;
    try {
      for (const { sql, bindings } of reads)
        client.emit('query', { __knexUid: uid, sql, bindings, method: 'raw' });
      outcomes = await connection.readAll(reads.map(({ sql, bindings }) => ({ sql, bindings })));
    } catch (error) {
      // The thread ended under them (SQLITE_THREAD_EXITED): every read fails with it.
      outcomes = reads.map(() => sameError(error));
    } finally {
      await client.releaseConnection(connection);
    }
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i]!;
      const outcome = outcomes[i] ?? new Error('no answer from the SQLite thread');
      if (!(outcome instanceof Error)) {
        read.resolve(outcome);
        continue;
      }
      outcome.message = `${read.sql} - ${outcome.message}`;
      client.emit('query-error', outcome, {
        __knexUid: uid,
        sql: read.sql,
        bindings: read.bindings,
      });
      read.reject(outcome);
    }
  } catch (error) {
    // Not expected (a query listener that throws): no read is left waiting.
    for (const read of reads) read.reject(error);
  }
}

/** A copy of `error` (its name, message and code) for each read it ended. */
function sameError(error: unknown): Error {
  const e = error as { name?: string; message?: string; code?: string };
  const copy = new Error(e?.message ?? String(error)) as Error & { code?: string };
  if (e?.name) copy.name = e.name;
  if (e?.code !== undefined) copy.code = e.code;
  return copy;
}
