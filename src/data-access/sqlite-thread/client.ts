import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import { SqliteThreadConnection, type SqliteStep, type ThreadExitListener } from './connection.js';
import { DEFAULT_WAL_AUTOCHECKPOINT_PAGES } from './protocol.js';

const require = createRequire(import.meta.url);

interface KnexQueryObject {
  sql: string;
  bindings?: readonly unknown[];
  /** Nobody reads this statement's result (statement.ts, queueStatement). */
  resultUnused?: boolean;
  /** Hears a queued statement's changes (statement.ts, queueCalls). */
  onChanges?: (changes: number) => void;
  /** A queued SELECT whose first value must be true (statement.ts, queueExpectation). */
  expect?: true;
  /** runUnless's check and write (statement.ts): one message. */
  unless?: { column: string; then: Array<{ sql: string; bindings: readonly unknown[] }> };
  /** runIfRow's write and what follows it (statement.ts): one message. */
  ifRow?: Array<{ sql: string; bindings: readonly unknown[] }>;
  thenChanges?: number;
  /** The one-step unit the statement belongs to (unit-of-work.ts, writeStep). */
  step?: SqliteStep;
  response?: unknown;
  context?: { lastID: number | bigint; changes: number };
}

interface BetterSqlite3ClientBase {
  connectionSettings: {
    filename: string;
    readonly?: boolean;
    busyTimeoutMs?: number;
    walAutocheckpointPages?: number;
  };
  _query(connection: unknown, obj: KnexQueryObject): Promise<unknown>;
  _formatBindings(bindings: readonly unknown[] | undefined): unknown[];
}
type BetterSqlite3ClientClass = new (config: Knex.Config) => BetterSqlite3ClientBase;

const base = () => require('knex/lib/dialects/better-sqlite3/index.js') as BetterSqlite3ClientClass;

/**
 * knex opens SQLite transactions with a deferred BEGIN: a transaction that reads and then
 * writes can then fail with SQLITE_BUSY when another process wrote in between, and the busy
 * timeout cannot help. BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy
 * timeout), so writers from the server and the CLI queue instead of failing.
 */
function immediate(obj: KnexQueryObject): KnexQueryObject {
  if (obj.sql === 'BEGIN;') obj.sql = 'BEGIN IMMEDIATE;';
  return obj;
}

/**
 * What opens a transaction or a savepoint: the thread runs it with the next statement (the
 * transaction's first), in one message. Its failure (SQLITE_BUSY past the busy timeout) is
 * that statement's failure, with the same code, so the transaction is retried as before.
 */
const OPENS = /^(BEGIN\b|SAVEPOINT\b)/i;

/** A queued statement's result, not yet known (read, never changed): shared by all of them. */
const QUEUED_RESPONSE = Object.freeze({ changes: 0, lastInsertRowid: 0 });
const QUEUED_CONTEXT = Object.freeze({ lastID: 0, changes: 0 });

/**
 * Releasing a savepoint whose statements all answered cannot fail (SQLite could only have
 * ended the whole transaction, and then those statements failed): with nothing queued it goes
 * with the next statement too. With something queued it is answered, so that a queued
 * statement's failure is the unit's, before its savepoint is gone (unit-of-work.ts).
 */
const RELEASES = /^RELEASE\b/i;

/** knex's better-sqlite3 client, in this process (in-memory databases). */
export function inProcessClient(): BetterSqlite3ClientClass {
  return class ImmediateBetterSqlite3Client extends base() {
    override _query(connection: unknown, obj: KnexQueryObject): Promise<unknown> {
      return super._query(connection, immediate(obj));
    }
  };
}

/**
 * knex's better-sqlite3 client whose connections live in threads (connection.ts): each
 * statement is posted to the thread and its rows, or its changes, come back. knex's pool,
 * transactions, savepoints and dialect are unchanged; a thread that died is found invalid by
 * the pool and replaced by a new one.
 */
export function threadClient(onExit?: ThreadExitListener): BetterSqlite3ClientClass {
  return class SqliteThreadClient extends base() {
    /** Runs statement.ts's runUnless in one message. */
    // On the prototype: a transaction's client is made from the prototype, not this object.
    get runsUnless(): boolean {
      return true;
    }

    /** Its connections answer grouped plain reads (grouped-reads.ts). */
    get groupsReads(): boolean {
      return true;
    }

    /** The last thread this client opened (writer-reads.ts: the writer's, past the pool). */
    latestThread: SqliteThreadConnection | null = null;

    async acquireRawConnection(): Promise<SqliteThreadConnection> {
      const { filename, readonly, busyTimeoutMs, walAutocheckpointPages } = this.connectionSettings;
      const thread = await SqliteThreadConnection.open(
        {
          filename,
          readonly: readonly === true,
          busyTimeoutMs: busyTimeoutMs ?? 5000,
          walAutocheckpointPages: walAutocheckpointPages ?? DEFAULT_WAL_AUTOCHECKPOINT_PAGES,
        },
        onExit,
      );
      this.latestThread = thread;
      return thread;
    }

    destroyRawConnection(connection: SqliteThreadConnection): Promise<void> {
      return connection.close();
    }

    validateConnection(connection: SqliteThreadConnection): boolean {
      return connection.alive;
    }

    override async _query(connection: unknown, obj: KnexQueryObject): Promise<KnexQueryObject> {
      if (!obj.sql) throw new Error('The query is empty');
      // A one-step unit's statements go through its step (connection.ts, SqliteStep).
      const thread = obj.step ?? (connection as SqliteThreadConnection);
      const { sql } = immediate(obj);
      const bindings = this._formatBindings(obj.bindings);
      if (
        obj.resultUnused === true ||
        OPENS.test(sql) ||
        (RELEASES.test(sql) && !thread.hasQueued)
      ) {
        const told = obj.expect ? { expect: obj.expect } : obj.onChanges;
        thread.queue(sql, bindings, obj.resultUnused === true ? told : undefined);
        obj.response = QUEUED_RESPONSE;
        obj.context = QUEUED_CONTEXT;
        return obj;
      }
      const unless = obj.unless && {
        column: obj.unless.column,
        then: obj.unless.then.map((c) => ({
          sql: c.sql,
          bindings: this._formatBindings(c.bindings),
        })),
      };
      const ifRow = obj.ifRow?.map((c) => ({
        sql: c.sql,
        bindings: this._formatBindings(c.bindings),
      }));
      const result = await thread.run(sql, bindings, unless, ifRow);
      if ('rows' in result) {
        obj.response = result.rows;
        if (result.thenChanges !== undefined) obj.thenChanges = result.thenChanges;
      } else {
        obj.response = result;
        obj.context = { lastID: result.lastInsertRowid, changes: result.changes };
      }
      return obj;
    }
  };
}
