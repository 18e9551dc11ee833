import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import { WRITER_FLOOR_LOCK } from './activity-horizon.js';
import { replicatedCommit } from './pg-replicated-commit.js';
import type { StatementForm } from './sql/fixed-sql.js';

/*
 * The service's PostgreSQL client (database.ts opens knex with it): knex's own, with fewer round
 * trips per transaction (deferredBeginPgClient below) and COMMIT confirmed by the synchronous
 * standby (pg-replicated-commit.ts).
 */
const require = createRequire(import.meta.url);

interface PgQueryObject {
  sql: string;
  bindings?: readonly unknown[];
  response?: unknown;
}
type PgClientClass = new (config: Knex.Config) => {
  _query(connection: unknown, obj: PgQueryObject): Promise<PgQueryObject>;
};

/** What the service's PostgreSQL client adds to knex's: statements sent with the next one. */
export interface PgDeferringClient {
  /**
   * Queues `sql` (a statement without bindings, inside a transaction) to be sent in one
   * message with the transaction's next statement, ahead of it: an address lock and the read
   * it protects cost one round trip. Each statement of such a message runs with a snapshot
   * of its own, so the read sees what was committed before the lock was granted. Without
   * `result` (a lock) it is dropped if the transaction ends first (it read and wrote nothing
   * under it). With `result` (a write whose result is read later, if at all) it must run: it
   * goes with COMMIT when no statement follows, is dropped only by ROLLBACK, and `result` is
   * told its result once its message is answered (never, if that message fails: the
   * transaction fails with it, as if the write had been awaited). false: not queued (the
   * connection is not in a transaction begun by knex), the caller sends it itself. `form`:
   * the statement's text and values apart, when its values were written in (read by
   * sql/pg-step.ts; a plain transaction sends `sql`).
   */
  sendWithNext(
    connection: unknown,
    sql: string,
    result?: (response: unknown) => void,
    form?: StatementForm,
  ): boolean;
  /** `BEGIN;` and the settings every write transaction starts with (`SET LOCAL`). */
  readonly transactionHead: string;
  /** transactionHead without its activity floor lock (the group of steps runs it prepared). */
  readonly transactionBegin: string;
  /** The activity floor lock of transactionHead (activity-horizon.ts), without its `;`. */
  readonly floorLock: string;
  /**
   * Runs `commit`, which sends COMMIT on `connection`, as the transaction's own COMMIT is run:
   * failing with CommitNotReplicated when the synchronous standby did not confirm it.
   */
  commitReplicated<T>(connection: object, commit: () => Promise<T>): Promise<T>;
}

/** A statement waiting for the next one (sendWithNext); `result`: a write that must run. */
interface Queued {
  sql: string;
  result?: (response: unknown) => void;
}

/**
 * Each statement to PostgreSQL is a round trip, and knex sends a transaction's BEGIN alone.
 * Here BEGIN waits for the transaction's first statement: one without bindings (the address
 * lock, a read with its values written in) goes with it as one simple-protocol message; one
 * with bindings is preceded by BEGIN as before. A transaction that ends before any statement
 * sends neither BEGIN nor its end. Statements queued by sendWithNext (the address locks, the
 * writes of statement.ts's queueCalls) ride the same way with the next statement, or with
 * COMMIT, and a statement that ends its transaction (runStatement's endsTransaction) carries
 * its COMMIT: a one-statement write is one message.
 *
 * The transaction's settings (`SET LOCAL`) travel in that same message: they end with the
 * transaction, so nothing is left on a server connection that a transaction-mode pooler
 * (PgBouncer) hands to another client next.
 */
export function deferredBeginPgClient(
  transactionSettings: readonly string[],
  commitTimeoutMs: number,
): PgClientClass {
  const Base = require('knex/lib/dialects/postgres/index.js') as PgClientClass;
  // Connections inside a transaction (from knex's BEGIN to its COMMIT or ROLLBACK).
  const open = new WeakSet<object>();
  // Transactions whose BEGIN is not sent yet.
  const pending = new WeakSet<object>();
  // Statements waiting for the transaction's next one (sendWithNext).
  const queued = new WeakMap<object, Queued[]>();
  // Transactions whose COMMIT went with their last statement (endsTransaction).
  const ended = new WeakSet<object>();
  // Connections whose failed COMMIT message this client already rolled back: the ROLLBACK
  // their unit of work sends next (pg-transaction.ts) is answered here, not sent again.
  const rolledBack = new WeakSet<object>();
  const nothing = (command: string) => ({ command, rows: [], rowCount: null, fields: [] });
  // The activity writers' floor lock goes with BEGIN: a reader of the change stream stops
  // below any id this transaction may take (activity-horizon.ts).
  const opening = ['BEGIN;', ...transactionSettings.map((s) => `SET LOCAL ${s};`)].join(' ');
  const begin = `${opening} ${WRITER_FLOOR_LOCK};`;
  /**
   * Tells the queued statements `list` their results, from `response`, the answer of the
   * message they went in: one result per statement, theirs followed by `after` others.
   */
  const tell = (list: readonly Queued[], response: unknown, after: number) => {
    if (!list.some((q) => q.result)) return;
    const results = Array.isArray(response) ? (response as unknown[]) : [response];
    const first = results.length - after - list.length;
    list.forEach((q, i) => q.result?.(results[first + i]));
  };
  return class DeferredBeginPgClient extends Base implements PgDeferringClient {
    readonly transactionHead = begin;
    readonly transactionBegin = opening;
    readonly floorLock = WRITER_FLOOR_LOCK;

    commitReplicated<T>(connection: object, commit: () => Promise<T>): Promise<T> {
      return replicatedCommit(connection, commitTimeoutMs, commit);
    }

    sendWithNext(connection: unknown, sql: string, result?: (response: unknown) => void): boolean {
      const c = connection as object;
      if (!open.has(c)) return false;
      // A write after COMMIT went out would be dropped unseen: it fails, as a statement would.
      if (result && ended.has(c)) throw new Error('A statement after its transaction had ended');
      const list = queued.get(c) ?? [];
      list.push({ sql: `${sql.replace(/;\s*$/, '')};`, ...(result ? { result } : {}) });
      queued.set(c, list);
      return true;
    }

    override async _query(connection: object, obj: PgQueryObject): Promise<PgQueryObject> {
      const ending = obj.sql === 'COMMIT;' || obj.sql === 'ROLLBACK';
      if (ending) open.delete(connection);
      if (rolledBack.has(connection)) {
        rolledBack.delete(connection);
        if (obj.sql === 'ROLLBACK') {
          obj.response = nothing('ROLLBACK');
          return obj;
        }
      }
      if (ended.has(connection)) {
        // A ROLLBACK here means the work failed after its last statement had committed.
        if (!ending) throw new Error('A statement after its transaction had ended');
        ended.delete(connection);
        obj.response = nothing(obj.sql.replace(';', ''));
        return obj;
      }
      if (obj.sql === 'BEGIN;') {
        open.add(connection);
        pending.add(connection);
        obj.response = nothing('BEGIN');
        return obj;
      }
      const list = queued.get(connection) ?? [];
      const head: string[] = pending.has(connection) ? [begin] : [];
      head.push(...list.map((q) => q.sql));
      const unsent = pending.has(connection);
      pending.delete(connection);
      queued.delete(connection);
      if (ending) {
        const writes = obj.sql === 'COMMIT;' && list.some((q) => q.result);
        if (unsent && !writes) {
          // Nothing was sent: no transaction to end (the queued locks guarded nothing).
          obj.response = nothing(obj.sql.replace(';', ''));
          return obj;
        }
        if (obj.sql === 'ROLLBACK') return super._query(connection, obj);
        if (!writes)
          return replicatedCommit(connection, commitTimeoutMs, () => super._query(connection, obj));
        // Queued writes still to run: they go in COMMIT's message, ahead of it.
        const sql = [...head, 'COMMIT;'].join(' ');
        const sent = await replicatedCommit(connection, commitTimeoutMs, () =>
          super._query(connection, { sql, bindings: [] }),
        ).catch(async (error: unknown) => {
          // A write that failed skipped the message's COMMIT and left the transaction open,
          // aborted; knex, told that COMMIT failed, sends no ROLLBACK: the connection would go
          // back to the pool inside it. (After a COMMIT that ran, this ROLLBACK does nothing.)
          // Done, the unit's own ROLLBACK after it costs no round trip; not done (the
          // connection lost), that one is sent, fails and has the connection discarded.
          const done = await super._query(connection, { sql: 'ROLLBACK', bindings: [] }).then(
            () => true,
            () => false,
          );
          if (done) rolledBack.add(connection);
          throw error;
        });
        tell(list, sent.response, 1);
        obj.response = nothing('COMMIT');
        return obj;
      }
      if (obj.bindings && obj.bindings.length > 0) {
        if (head.length > 0) {
          const sent = await super._query(connection, { sql: head.join(' '), bindings: [] });
          tell(list, sent.response, 0);
        }
        return super._query(connection, obj);
      }
      // Outside a transaction a statement is its own: it has no COMMIT to carry.
      const ends =
        open.has(connection) && (obj as { endsTransaction?: boolean }).endsTransaction === true;
      const parts = [...head, ends ? `${obj.sql.replace(/;\s*$/, '')}; COMMIT;` : obj.sql];
      if (parts.length === 1 && !ends) return super._query(connection, obj);
      const send = () => super._query(connection, { ...obj, sql: parts.join(' ') });
      const sent = ends ? await replicatedCommit(connection, commitTimeoutMs, send) : await send();
      if (ends) ended.add(connection);
      // Several statements in one message answer with one result each: ours is the last, or
      // the one before COMMIT's.
      const r = sent.response;
      tell(list, r, ends ? 2 : 1);
      obj.response = Array.isArray(r) ? (r[r.length - (ends ? 2 : 1)] as unknown) : r;
      return obj;
    }
  };
}
