import type { Knex } from 'knex';
import { inlined, type FixedSql, type StatementForm } from './fixed-sql.js';
import { isStale, StepForms, type GroupForms } from './pg-step-forms.js';
import type { RowSet } from './row-set.js';
import { TurnGatherer } from '../turn-gatherer.js';

/**
 * The hot plain reads on PostgreSQL (getLead, the no-change sync) sent on the pool's connection
 * without knex's query path and without pg's result objects. Per read, those cost more than
 * the indexed lookup: knex's query object, events and promise layers; pg's Query, its config
 * copy and a Result that builds an empty object of every column name before a row arrives
 * (`addFields`) and then copies it per row. Here the read is a simple-protocol statement (in
 * one message with the others of its event-loop turn: readRowSet) on the connection knex's
 * pool hands out (its limit, acquire timeout and errors as for any statement), and its rows
 * come back as the arrays of values pg's protocol parser gives, each turned into its
 * JavaScript value by the connection's own type parsers (the same values pg's rows hold).
 * Nothing named is prepared: nothing outlives the statement, as PgBouncer's transaction mode
 * needs.
 */

type Parser = (text: string) => unknown;

/** What this module uses of pg's Client (the connection knex's pool hands out). */
export interface PgConnection {
  query(
    submittable: RowSetsQuery,
    callback: (error: Error | null, outcomes: Outcome[]) => void,
  ): void;
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

/** What a statement of a RowSetsQuery ended with: its rows, or the error reading them. */
export type Outcome = RowSet | Error;

/**
 * A query pg's client runs as it runs its own (its queue, its errors, a lost connection), for
 * one simple-protocol message of one or more statements that return rows: what pg calls a
 * submittable. Each statement's outcome is known at its CommandComplete; the callback gets
 * those of the statements that ended, in order, and the error that stopped the rest if any.
 */
export class RowSetsQuery {
  callback: ((error: Error | null, outcomes: Outcome[]) => void) | undefined;
  private names: string[] = [];
  private parsers: Parser[] = [];
  private rows: unknown[][] = [];
  private failed: Error | null = null;
  private readonly outcomes: Outcome[] = [];
  private done = false;

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

  handleCommandComplete(): void {
    this.outcomes.push(this.failed ?? { names: this.names, rows: this.rows });
    this.names = [];
    this.parsers = [];
    this.rows = [];
    this.failed = null;
  }

  handleEmptyQuery(): void {
    this.handleCommandComplete();
  }

  handleError(error: Error): void {
    this.finish(this.failed ?? error);
  }

  handleReadyForQuery(): void {
    this.finish(null);
  }

  private finish(error: Error | null): void {
    // Once: a connection lost after an ErrorResponse may report to the query again.
    if (this.done) return;
    this.done = true;
    this.callback?.(error, this.outcomes);
  }

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: WireConnection): void {
    connection.sendCopyFail('No source stream defined');
  }

  handleCopyData(): void {}
}

/** What this module (and pg-step.ts) uses of knex's PostgreSQL client. */
export interface KnexPgClient {
  dialect?: string;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  emit(event: string, ...args: unknown[]): boolean;
}

export type Connection = PgConnection & { __knexUid?: string };

/** A read waiting for its rows. */
interface PendingRead {
  readonly text: string;
  /** Its one statement and that statement's form (pg-step-forms.ts). */
  readonly statements: readonly [string];
  readonly forms: readonly [StatementForm];
  resolve(rows: RowSet): void;
  reject(error: unknown): void;
}

/** Per knex client: the forms of its reads the server refused to prepare (pg-step-forms.ts). */
const formsOf = new WeakMap<KnexPgClient, StepForms>();

/** Per knex client (the primary's, a replica's): the reads of one turn, sent together. */
const gatherer = new TurnGatherer<KnexPgClient, PendingRead>((client, reads) => {
  void serve(client, reads);
});

/**
 * `sql` with `bindings` as a RowSet, read as above, when it is a plain read on PostgreSQL
 * outside a transaction whose values can be written into its text (fixed-sql.ts's inlined);
 * null otherwise, and the caller runs it as any statement. Inside a transaction statements go
 * through knex's client (pg-client.ts sends BEGIN and the address locks with them). `sql` is
 * one statement.
 *
 * Reads wait for the end of this turn of the event loop (the requests read in the same turn
 * have then asked for theirs), and those of a client go as one simple-protocol message of
 * several statements, on one connection of the pool: under load, each read no longer costs
 * its own pool checkout, socket write and read, and server round trip. A message's statements
 * run one after the other, each with its own snapshot (READ COMMITTED), in the implicit
 * transaction PostgreSQL gives a message (and a transaction-mode pooler expects); their rows
 * come back statement by statement. When one fails, PostgreSQL skips the rest of the message:
 * the reads that did not end then run again alone, so each read ends as it would have alone
 * (its rows, or its own error), a read whose connection was lost under it included. Reads of
 * one form in a message run as a statement kept prepared on the server connection (readForms).
 *
 * Observable as knex's own statements are: a `query` event before it is sent (tests watch
 * where reads go) and, on failure, the SQL text before the error's message and a
 * `query-error` event.
 */
export function readPgRowSet(
  db: Knex | Knex.Transaction,
  sql: FixedSql,
  bindings: readonly unknown[],
): Promise<RowSet | null> {
  if (db.isTransaction === true) return Promise.resolve(null);
  const client = db.client as unknown as KnexPgClient;
  if (client.dialect !== 'postgresql') return Promise.resolve(null);
  const made = inlined(sql, bindings);
  if (made === null) return Promise.resolve(null);
  const text = made.postgres;
  const form = { template: sql.postgres, literals: made.literals };
  return new Promise<RowSet>((resolve, reject) =>
    gatherer.add(client, { text, statements: [text], forms: [form], resolve, reject }),
  );
}

/**
 * The forms of `reads` that come more than once in their message, as kept prepared statements
 * (pg-step-forms.ts): a turn's reads of one kind (the latest person of each address a
 * syncLead names, under load) are then planned once per server connection, not once each. A
 * read alone goes as it is (the ensuring would cost what its planning saves).
 */
function readForms(client: KnexPgClient, reads: readonly PendingRead[]): GroupForms | null {
  if (reads.length < 2) return null;
  let policy = formsOf.get(client);
  if (policy === undefined) formsOf.set(client, (policy = new StepForms()));
  const forms = policy.repeatedIn(reads);
  return forms.prepare.length > 0 ? forms : null;
}

/** A statement of the service's prepared forms no longer fits: they are dropped (FORGET). */
function forgotten(connection: Connection): Promise<void> {
  return new Promise((resolve) =>
    connection.query(new RowSetsQuery('SELECT du_forget_prepared()', connection), () => resolve()),
  );
}

/** Sends `reads` as one message on a connection of the pool, and ends each read. */
async function serve(client: KnexPgClient, reads: PendingRead[]) {
  try {
    let connection: Connection;
    try {
      connection = (await client.acquireConnection()) as Connection;
    } catch (error) {
      // Every connection busy past the acquire timeout, or none to be made: each read's error.
      for (const read of reads) read.reject(error);
      return;
    }
    const uid = connection.__knexUid;
    // Listeners see each read's own text; the message may run it as a prepared form.
    for (const read of reads)
      client.emit('query', { __knexUid: uid, sql: read.text, bindings: [], method: 'raw' });
    const forms = readForms(client, reads);
    // The ensuring first (in the message's implicit transaction, so on one server connection
    // behind a transaction-mode pooler), then the reads.
    const ahead = forms ? forms.prepare.map((s) => s.replace(/;$/, '')) : [];
    const texts = forms ? reads.map((r) => forms.statementsOf(r)[0]!.replace(/;$/, '')) : [];
    // A new line before each `;`: a statement's text may end in a -- comment.
    const text = forms ? [...ahead, ...texts].join('\n;') : reads.map((r) => r.text).join('\n;');
    let ended: { error: Error | null; outcomes: Outcome[] };
    try {
      ended = await new Promise((resolve) =>
        connection.query(new RowSetsQuery(text, connection), (error, outcomes) =>
          resolve({ error, outcomes }),
        ),
      );
      if (forms && isStale(ended.error)) await forgotten(connection);
    } finally {
      await client.releaseConnection(connection);
    }
    const { error } = ended;
    if (forms && ended.outcomes.length < ahead.length) {
      // The ensuring failed (a refusal is remembered: that form goes as text from now on).
      formsOf.get(client)!.refusedAt(forms, forms.prepare.length - 1, error);
      for (const read of reads) void serve(client, [read]);
      return;
    }
    const outcomes = ended.outcomes.slice(ahead.length);
    if (reads.length === 1) {
      const outcome: Outcome | undefined = error ?? outcomes[0];
      if (outcome === undefined || outcome instanceof Error) fail(client, uid, reads[0]!, outcome);
      else reads[0]!.resolve(outcome);
      return;
    }
    // Outcomes that do not match the statements one for one cannot be told apart: all again.
    const matched = error !== null || outcomes.length === reads.length;
    for (let i = 0; i < reads.length; i++) {
      const outcome = matched ? outcomes[i] : undefined;
      // A prepared form that no longer fits: that read again alone, as text.
      if (outcome === undefined || (forms && isStale(outcome))) void serve(client, [reads[i]!]);
      else if (outcome instanceof Error) fail(client, uid, reads[i]!, outcome);
      else reads[i]!.resolve(outcome);
    }
  } catch (error) {
    // Not expected (a query listener that throws): no read is left waiting. A read already
    // ended keeps its end.
    for (const read of reads) read.reject(error);
  }
}

function fail(
  client: KnexPgClient,
  uid: string | undefined,
  read: PendingRead,
  error: Error | undefined,
) {
  const reason = error ?? new Error('no result');
  reason.message = `${read.text} - ${reason.message}`;
  client.emit('query-error', reason, { __knexUid: uid, sql: read.text, bindings: [] });
  read.reject(reason);
}
