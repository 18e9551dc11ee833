import type { Knex } from 'knex';
import type { SqliteThreadConnection } from './connection.js';
import { RowTemplate } from './row-shapes.js';

/** What this module uses of the writer's knex client (client.ts). */
interface WriterClient {
  readonly latestThread?: SqliteThreadConnection | null;
}

/**
 * A knex whose statements are plain reads posted straight to the SQLite writer thread of
 * `writer` (the file's write knex), past its pool: they do not wait for the connection to be
 * free. The thread runs them when it comes to them, in order with everything else posted to
 * it: between two group transactions, or inside the open one, between two of its messages,
 * seeing what that group has written so far, which may yet be rolled back. Only for reads
 * whose writes check, when they are written, that what they read is still what the file
 * holds (batch/batch-checked.ts); a write here is refused by the thread (worker-reads.ts).
 * Null when the writer has no live thread (none yet, or it died): the caller uses the pool.
 *
 * Through the pool, a checked batch's read waited for the writer's current group, COMMIT's
 * fsync included, so one batch's read no longer overlapped another's write.
 */
export function writerReads(writer: Knex): Knex | null {
  const thread = (writer.client as unknown as WriterClient).latestThread;
  if (!thread?.alive) return null;
  // What the thread client's _query asks of a connection (client.ts): `run` for a statement
  // whose rows are read; nothing is ever queued (only writes and BEGIN are).
  const connection = {
    hasQueued: false,
    queue(sql: string): never {
      throw new Error(`not a read past the writer's pool: ${sql.slice(0, 200)}`);
    },
    async run(sql: string, bindings: unknown[]) {
      const [outcome] = await thread.readAll([{ sql, bindings }]);
      if (!outcome) throw new Error('no answer from the SQLite thread');
      if (outcome instanceof Error) throw outcome;
      return { rows: RowTemplate.of(outcome.names).objects(outcome.rows) };
    },
  };
  const client = Object.create(writer.client as object, {
    acquireConnection: { value: () => Promise.resolve(connection) },
    releaseConnection: { value: () => Promise.resolve() },
  }) as unknown;
  return Object.create(writer, { client: { value: client } }) as Knex;
}
