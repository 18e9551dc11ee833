import type { Knex } from 'knex';
import type { PgDeferringClient } from '../pg-client.js';
import { toBool } from '../lead-row.js';
import { staleReadError } from '../sqlite-thread/protocol.js';
import { formOf, formText, type FixedSql, type StatementForm } from './fixed-sql.js';

export { fixedSql, type FixedSql } from './fixed-sql.js';

/**
 * The hottest statements (getLead, the no-change sync, an unsubscribe) skip the query builder:
 * compiling a builder costs more than the indexed lookup it describes. Their SQL is fixed text,
 * written once per engine, and it still runs through knex's client, so that it goes to the
 * connection knex would use (the transaction's own inside a write, the pool's otherwise),
 * through the same driver code (SQLite's statement cache, PostgreSQL's deferred BEGIN) and
 * with the same errors. PostgreSQL gets unnamed statements (but a grouped transaction's
 * repeated ones, prepared for it alone: pg-step-forms.ts): nothing outlives the transaction,
 * as a transaction-mode pooler (PgBouncer) needs. (PostgreSQL's plain lookups of
 * people outside a transaction go one step further, past knex's query path: pg-rows.ts.)
 */

type Row = Record<string, unknown>;

interface QueryObject {
  sql: string;
  bindings: unknown[];
  method: 'raw';
  options: Record<string, never>;
  /** Read by the SQLite thread client (sqlite-thread/client.ts): send with the next one. */
  resultUnused?: boolean;
  /** Read by the SQLite thread client: told a queued statement's changes (queueCalls). */
  onChanges?: (changes: number) => void;
  /** Read by the SQLite thread client and pg-step.ts: a check that must hold (queueExpectation). */
  expect?: true;
  /** Read by the SQLite thread client: runUnless's statements, run in the same message. */
  unless?: { column: string; then: Array<{ sql: string; bindings: unknown[] }> };
  /** Read by the SQLite thread client: runIfRow's statements, run in the same message. */
  ifRow?: Array<{ sql: string; bindings: unknown[] }>;
  /** See StatementOptions.endsTransaction (read by pg-client.ts). */
  endsTransaction?: true;
  /** See StatementOptions.stepLock (read by pg-step.ts). */
  stepLock?: bigint;
  /** PostgreSQL, values written in: the statement's form (read by pg-step.ts). */
  form?: StatementForm;
  response?: unknown;
  /** The changes of the last of `unless.then`, when they ran. */
  thenChanges?: number;
}

interface StatementClient {
  /** knex's name for the SQL dialect: 'postgresql' for PostgreSQL. */
  dialect?: string;
  /** The client runs `unless` itself, in one message (the SQLite thread client). */
  runsUnless?: boolean;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  query(connection: unknown, obj: QueryObject): Promise<QueryObject>;
  /** PostgreSQL through pg-client.ts: a statement sent with the transaction's next one. */
  sendWithNext?: PgDeferringClient['sendWithNext'];
  /**
   * PostgreSQL, a one-step unit's client (pg-step.ts): it takes a statement whose values can be
   * written in as its form alone, and writes its text only where it sends it as text; `sql`
   * (and sendWithNext's) is then the form's template, with its placeholders.
   */
  takesForms?: boolean;
}

/** What a statement gave back: its rows (RETURNING or SELECT) and how many rows it changed. */
export interface StatementResult {
  rows: Row[];
  changes: number;
}

function resultOf(response: unknown): StatementResult {
  // SQLite: an array of rows for a statement that returns rows, else { changes }.
  if (Array.isArray(response)) return { rows: response as Row[], changes: response.length };
  const r = response as { rows?: Row[]; rowCount?: number | null; changes?: number };
  // PostgreSQL: a result with rows and rowCount.
  return { rows: r.rows ?? [], changes: r.rowCount ?? r.changes ?? 0 };
}

/** A fixed statement and its values: one step of a write made of several statements. */
export type StatementCall = readonly [FixedSql, readonly unknown[]];

const textOf = (client: StatementClient, sql: FixedSql) =>
  client.dialect === 'postgresql' ? sql.postgres : sql.sqlite;

export interface StatementOptions {
  /**
   * PostgreSQL, a statement without bindings that is the last of its transaction: COMMIT is
   * sent in the same message (BEGIN too, when it is the first), and the transaction's own
   * COMMIT then costs nothing. Any statement after it in that transaction fails.
   */
  endsTransaction?: boolean;
  /**
   * PostgreSQL, a one-step unit's statement that takes this address lock first: the steps
   * that share a transaction (pg-step.ts) run in the order of their locks, the global order.
   */
  stepLock?: bigint;
}

type SendExtra = Pick<
  QueryObject,
  'resultUnused' | 'unless' | 'ifRow' | 'onChanges' | 'endsTransaction' | 'expect' | 'stepLock'
>;

/** queueStatement's extra, the same object each time. */
const RESULT_UNUSED: SendExtra = Object.freeze({ resultUnused: true });

async function send(
  db: Knex | Knex.Transaction,
  sql: FixedSql,
  bindings: readonly unknown[],
  extra?: SendExtra,
): Promise<QueryObject> {
  const client = db.client as unknown as StatementClient;
  // A transaction's client hands back the transaction's connection (and releasing it is a
  // no-op); the base client takes one from the pool for this statement alone.
  const connection = await client.acquireConnection();
  // PostgreSQL: the values written into the text where they can be (see fixed-sql.ts, formOf),
  // by the client itself where it takes forms.
  const pg = client.dialect === 'postgresql';
  const form = pg && bindings.length > 0 ? formOf(sql, bindings) : null;
  const text = form && client.takesForms !== true ? formText(form) : null;
  // The caller's values as they are: every client reads them without changing them (knex's
  // better-sqlite3 formats a copy, node-postgres prepares one), and the call is built per call
  // site. One object, its properties set in place: no spread copies for each statement.
  const obj: QueryObject = {
    sql: text ?? textOf(client, sql),
    bindings: form ? [] : (bindings as unknown[]),
    method: 'raw',
    options: {},
  };
  if (form) obj.form = form;
  if (extra !== undefined) Object.assign(obj, extra);
  try {
    return await client.query(connection, obj);
  } catch (error) {
    // knex leads the error's message with the statement it ran: the one with its placeholders,
    // not the text with the values written in (addresses, which are never logged).
    if (form && error instanceof Error) {
      const ran = text ?? formText(form);
      if (error.message.startsWith(ran))
        error.message = sql.postgres + error.message.slice(ran.length);
    }
    throw error;
  } finally {
    await client.releaseConnection(connection);
  }
}

/** Runs one fixed statement on the connection `db` stands for. */
export async function runStatement(
  db: Knex | Knex.Transaction,
  sql: FixedSql,
  bindings: readonly unknown[],
  options: StatementOptions = {},
): Promise<StatementResult> {
  let extra: SendExtra | undefined;
  if (options.endsTransaction) extra = { endsTransaction: true };
  if (options.stepLock !== undefined) (extra ??= {}).stepLock = options.stepLock;
  return resultOf((await send(db, sql, bindings, extra)).response);
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
  await send(db, sql, bindings, db.isTransaction === true ? RESULT_UNUSED : undefined);
}

/**
 * Runs the statements `calls` of one write, in order, inside a transaction: all but the last
 * with queueStatement (their results are not read), so that on a SQLite file they cross to
 * the writer thread in one message. The result is the last one's.
 */
export async function runCalls(
  db: Knex | Knex.Transaction,
  calls: readonly StatementCall[],
): Promise<StatementResult> {
  const last = calls.length - 1;
  for (let i = 0; i < last; i++) await queueStatement(db, calls[i]![0], calls[i]![1]);
  const [sql, bindings] = calls[last]!;
  return runStatement(db, sql, bindings);
}

/**
 * runCalls for a write whose result is read later, if at all (a count for metrics): on a
 * SQLite file inside a transaction every statement is queued (queueStatement), and the last
 * one's changes come when the message they go in is answered: `changes` settles then, and
 * never if that message fails (the transaction fails with it). PostgreSQL inside a transaction:
 * the same, in the message of the transaction's next statement or COMMIT (queueWithNext).
 * Elsewhere the statements run now, as runCalls.
 */
export async function queueCalls(
  db: Knex | Knex.Transaction,
  calls: readonly StatementCall[],
): Promise<{ changes: Promise<number> }> {
  const client = db.client as unknown as StatementClient;
  if (db.isTransaction === true && client.dialect === 'postgresql') {
    const queued = await queueWithNext(client, calls);
    if (queued) return queued;
  }
  if (client.runsUnless !== true || db.isTransaction !== true)
    return { changes: Promise.resolve((await runCalls(db, calls)).changes) };
  const last = calls.length - 1;
  for (let i = 0; i < last; i++) await queueStatement(db, calls[i]![0], calls[i]![1]);
  const [sql, bindings] = calls[last]!;
  let told: (changes: number) => void = () => undefined;
  const changes = new Promise<number>((resolve) => (told = resolve));
  await send(db, sql, bindings, { resultUnused: true, onChanges: told });
  return { changes };
}

/**
 * PostgreSQL, inside a transaction: `calls` with their values written in, queued to go in one
 * message with the transaction's next statement, or its COMMIT (pg-client.ts, sendWithNext),
 * and run ahead of it; a failure of one of them is that message's, so the transaction fails
 * and stores none of it. The last one's changes settle when that message is answered. null:
 * not queued (a value that cannot be written in, a client without the queue), nothing sent.
 */
async function queueWithNext(
  client: StatementClient,
  calls: readonly StatementCall[],
): Promise<{ changes: Promise<number> } | null> {
  const queued = await sendCallsWithNext(client, calls);
  return queued && { changes: queued.result.then((r) => r.changes) };
}

/**
 * PostgreSQL, inside a transaction: the read `call`, its values written in, queued to go in one
 * message with the transaction's next statement and run ahead of it (with a snapshot of its
 * own, after the address locks queued before it): its rows come when that message is
 * answered, and never if it fails (the transaction fails with it), so the caller awaits them
 * only after that statement. null: not queued (see queueWithNext), the caller runs it itself.
 */
export async function queueRead(
  db: Knex | Knex.Transaction,
  call: StatementCall,
): Promise<{ result: Promise<StatementResult> } | null> {
  const client = db.client as unknown as StatementClient;
  if (db.isTransaction !== true || client.dialect !== 'postgresql') return null;
  return sendCallsWithNext(client, [call]);
}

/** queueWithNext's queue: the last statement's result once its message is answered. */
async function sendCallsWithNext(
  client: StatementClient,
  calls: readonly StatementCall[],
): Promise<{ result: Promise<StatementResult> } | null> {
  if (typeof client.sendWithNext !== 'function') return null;
  const texts: string[] = [];
  const forms: Array<StatementForm | undefined> = [];
  for (const [sql, bindings] of calls) {
    const form = bindings.length > 0 ? formOf(sql, bindings) : null;
    if (bindings.length > 0 && !form) return null;
    // A client that takes forms writes the text itself, where it sends it as text (send).
    texts.push(form && client.takesForms !== true ? formText(form) : sql.postgres);
    forms.push(form ?? undefined);
  }
  // A transaction's client hands back the transaction's own connection.
  const connection = await client.acquireConnection();
  let told: (result: StatementResult) => void = () => undefined;
  const result = new Promise<StatementResult>((resolve) => (told = resolve));
  const last = texts.length - 1;
  try {
    for (let i = 0; i < texts.length; i++) {
      // Each one with a result: a write must run whatever follows, so a queued statement with
      // a result is never dropped but by ROLLBACK.
      const tell = i === last ? (r: unknown) => told(resultOf(r)) : () => undefined;
      if (!client.sendWithNext(connection, texts[i]!, tell, forms[i])) {
        if (i > 0) throw new Error('queueWithNext: the transaction ended while queueing');
        return null;
      }
    }
  } finally {
    await client.releaseConnection(connection);
  }
  return { result };
}

/**
 * A check that must hold for the transaction's work to go on: `sql`, a SELECT whose first row's
 * `ok` column is true when it holds. On a SQLite file inside a transaction it is queued, and
 * the writer thread runs it first in the message of the next statement (a one-step unit's
 * too), which fails with STALE_READ_CODE when it does not hold: nothing of that message is
 * stored. PostgreSQL, `lock` given: the first statements of a one-step unit (pg-step.ts), run
 * under that address lock, where `sql` itself fails when the check does not hold. Elsewhere it
 * runs now, and throws the same error.
 */
export async function queueExpectation(
  db: Knex | Knex.Transaction,
  sql: FixedSql,
  bindings: readonly unknown[],
  lock?: bigint,
): Promise<void> {
  const client = db.client as unknown as StatementClient;
  if (lock !== undefined && db.isTransaction === true && client.dialect === 'postgresql') {
    await send(db, sql, bindings, { expect: true, stepLock: lock });
    return;
  }
  if (client.runsUnless === true && db.isTransaction === true) {
    await send(db, sql, bindings, { resultUnused: true, expect: true });
    return;
  }
  const { rows } = await runStatement(db, sql, bindings);
  if (!toBool(rows[0]?.ok)) throw staleReadError();
}

/**
 * Runs `guard` (a SELECT), then, unless its first row's `column` is true, `then` (runCalls):
 * a check and the write it decides, which on a SQLite file is one message to the writer
 * thread. Gives the guard's rows and, when `then` ran, its last statement's changes.
 */
export async function runUnless(
  db: Knex | Knex.Transaction,
  guard: StatementCall,
  column: string,
  then: readonly StatementCall[],
): Promise<{ rows: Row[]; thenChanges: number | null }> {
  const client = db.client as unknown as StatementClient;
  if (client.runsUnless === true && db.isTransaction === true) {
    const unless = {
      column,
      then: then.map(([sql, bindings]) => ({ sql: textOf(client, sql), bindings: [...bindings] })),
    };
    const obj = await send(db, guard[0], guard[1], { unless });
    return { rows: resultOf(obj.response).rows, thenChanges: obj.thenChanges ?? null };
  }
  const { rows } = await runStatement(db, guard[0], guard[1]);
  if (toBool(rows[0]?.[column])) return { rows, thenChanges: null };
  return { rows, thenChanges: (await runCalls(db, then)).changes };
}

/**
 * Runs `write` (a statement returning the rows it wrote) and, if it gave a row, `then`, whose
 * results nobody reads (the activities logging the write), inside a transaction: on a SQLite
 * file one message to the writer thread, where a failure of `then` is the write's failure.
 * Gives the write's result.
 */
export async function runIfRow(
  db: Knex | Knex.Transaction,
  write: StatementCall,
  then: readonly StatementCall[],
): Promise<StatementResult> {
  const client = db.client as unknown as StatementClient;
  if (client.runsUnless === true && db.isTransaction === true && then.length > 0) {
    const ifRow = then.map(([sql, bindings]) => ({
      sql: textOf(client, sql),
      bindings: [...bindings],
    }));
    return resultOf((await send(db, write[0], write[1], { ifRow })).response);
  }
  const result = await runStatement(db, write[0], write[1]);
  if (result.rows.length > 0)
    for (const [sql, bindings] of then) await queueStatement(db, sql, bindings);
  return result;
}
