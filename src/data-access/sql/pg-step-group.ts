import type { PgDeferringClient } from '../database.js';
import { RowTemplate } from '../sqlite-thread/row-shapes.js';
import { RowSetsQuery, type Connection, type KnexPgClient, type Outcome } from './pg-rows.js';

/**
 * Group commit of one-step units on PostgreSQL (pg-step.ts): the steps of one process that
 * wait while its earlier ones are in flight go together in one transaction, one message:
 *
 *   BEGIN; SET LOCAL …; SAVEPOINT step; <step 1>; RELEASE step; SAVEPOINT step; <step 2>; …; COMMIT;
 *
 * Per step, the server's transaction start and end, its commit record and WAL flush, and the
 * process's socket write, read and pool checkout were most of the cost of a one-click
 * unsubscribe: one message for several steps shares them. synchronous_commit is untouched:
 * every step is answered once the shared COMMIT has completed (and the synchronous standby
 * confirmed it, when asked), so an answer still means "durable".
 *
 * Each step runs inside a savepoint of its own. A step that fails (PostgreSQL skips the rest
 * of the message) is rolled back to its savepoint and fails alone with its own error (a
 * deadlock's or serialisation failure's is retried by UnitOfWork as a new unit); the steps
 * before it keep their writes, and those after it go in the next message with the group's
 * COMMIT. A failure that is not one step's (the connection lost, COMMIT refused) fails every
 * step of the group: none was acknowledged, and none is known to be stored. Steps are sorted
 * by the address lock each takes first (statement.ts's stepLock), the order every writer takes
 * address locks in (address-lock.ts), so two groups never wait for each other in a cycle.
 *
 * A step alone is sent as before, without a savepoint. At most MAX_GROUPS_IN_FLIGHT messages
 * per client are in flight; steps asked for meanwhile wait, and go together when one ends.
 * Nothing is prepared by name and each transaction ends within the messages of one group on
 * one connection, as PgBouncer's transaction mode needs.
 */

type Row = Record<string, unknown>;

/** What this module uses of database.ts's PostgreSQL client. */
export type StepClient = KnexPgClient & PgDeferringClient;

/** A connection knex's pool discards at its next checkout instead of handing it out. */
type Discardable = Connection & { __knex__disposed?: unknown };

/** Most steps in one transaction: bounds the first step's wait and the savepoints' count. */
export const MOST_STEPS_PER_GROUP = 16;

/** Messages of steps one client has in flight at once; the others' steps wait and group. */
export const MAX_GROUPS_IN_FLIGHT = 1;

/** A one-step unit waiting for its answer. */
export interface PendingStep {
  /** Its one statement, which ends its transaction. */
  readonly statement: string;
  /** The address lock it takes first, if known (its place in the group). */
  readonly lock?: bigint;
  resolve(rows: Row[]): void;
  reject(error: Error): void;
}

/** RowSetsQuery that also keeps the last statement's command tag (COMMIT's, when it ran). */
class StepQuery extends RowSetsQuery {
  lastCommand = '';

  override handleCommandComplete(msg?: { text?: string }): void {
    this.lastCommand = msg?.text ?? '';
    super.handleCommandComplete();
  }
}

interface Sent {
  error: Error | null;
  outcomes: Outcome[];
  lastCommand: string;
}

/** Sends `text`; what its statements ended with, and the error that stopped the rest. */
function send(connection: Connection, text: string): Promise<Sent> {
  return new Promise((resolve) => {
    const query = new StepQuery(text, connection);
    connection.query(query, (error, outcomes) =>
      resolve({ error, outcomes, lastCommand: query.lastCommand }),
    );
  });
}

/** Ends whatever transaction the connection is left in; false when it could not. */
export function rolledBack(connection: Connection): Promise<boolean> {
  return new Promise((resolve) =>
    connection.query(new RowSetsQuery('ROLLBACK', connection), (error) => resolve(error === null)),
  );
}

/** The statements of `text` (each ends with a semicolon). */
function statementsIn(text: string): number {
  return text.split(';').filter((s) => s.trim() !== '').length;
}

const SAVEPOINT = 'SAVEPOINT step;';
const RELEASE = 'RELEASE step;';
/** After a step failed: its writes undone, its savepoint gone, the transaction usable again. */
const UNDO = 'ROLLBACK TO SAVEPOINT step; RELEASE step;';

function rowsOf(outcome: Outcome | undefined): Row[] {
  if (outcome === undefined || outcome instanceof Error) throw outcome ?? new Error('no result');
  return RowTemplate.of(outcome.names).objects(outcome.rows);
}

/**
 * `error` as knex reports a statement's failure: its SQL first. `shared`: the error of several
 * steps, each given a copy (its code and fields kept).
 */
function withStatement(step: PendingStep, error: unknown, shared = false): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const reason = shared
    ? (Object.assign(Object.create(Object.getPrototypeOf(original) as object), original, {
        message: original.message,
        stack: original.stack,
        cause: original,
      }) as Error)
    : original;
  reason.message = `${step.statement} - ${original.message}`;
  return reason;
}

/** Answers a step whose statement ran and whose transaction committed. */
function answer(step: PendingStep, outcome: Outcome | undefined): void {
  try {
    step.resolve(rowsOf(outcome));
  } catch (error) {
    step.reject(withStatement(step, error));
  }
}

interface GroupState {
  waiting: PendingStep[];
  inFlight: number;
  scheduled: boolean;
}

const groupsOf = new WeakMap<StepClient, GroupState>();

/** Runs `step` with the other steps of `client` that wait with it (see above). */
export function runGroupedStep(client: StepClient, step: PendingStep): void {
  let state = groupsOf.get(client);
  if (state === undefined)
    groupsOf.set(client, (state = { waiting: [], inFlight: 0, scheduled: false }));
  state.waiting.push(step);
  schedule(client, state);
}

function schedule(client: StepClient, state: GroupState): void {
  if (state.scheduled || state.inFlight >= MAX_GROUPS_IN_FLIGHT || state.waiting.length === 0)
    return;
  state.scheduled = true;
  // At the end of this turn: the steps of the requests read in it go together.
  setImmediate(() => {
    state.scheduled = false;
    while (state.inFlight < MAX_GROUPS_IN_FLIGHT && state.waiting.length > 0) {
      const group = state.waiting.splice(0, MOST_STEPS_PER_GROUP);
      state.inFlight++;
      void runGroup(client, group).finally(() => {
        state.inFlight--;
        schedule(client, state);
      });
    }
  });
}

function lockOrder(steps: PendingStep[]): PendingStep[] {
  if (steps.some((s) => s.lock === undefined)) return steps;
  return [...steps].sort((a, b) => (a.lock! < b.lock! ? -1 : a.lock! > b.lock! ? 1 : 0));
}

async function runGroup(client: StepClient, group: PendingStep[]): Promise<void> {
  let connection: Discardable;
  try {
    connection = (await client.acquireConnection()) as Discardable;
  } catch (error) {
    for (const step of group) step.reject(withStatement(step, error, group.length > 1));
    return;
  }
  const uid = connection.__knexUid;
  let clean = true;
  // Steps that ran and wait for COMMIT, with what their statement ended with.
  const ran: Array<{ step: PendingStep; outcome: Outcome | undefined }> = [];
  let rest = lockOrder(group);
  try {
    let head = client.transactionHead;
    const alone = rest.length === 1;
    for (;;) {
      const h = statementsIn(head);
      const text = alone
        ? `${head} ${rest[0]!.statement.replace(/;\s*$/, '')}; COMMIT;`
        : [
            head,
            ...rest.map((s) => `${SAVEPOINT} ${s.statement.replace(/;\s*$/, '')}; ${RELEASE}`),
            'COMMIT;',
          ].join(' ');
      const per = alone ? 1 : 3;
      const at = alone ? 0 : 1;
      client.emit('query', { __knexUid: uid, sql: text, bindings: [], method: 'raw' });
      const sent = await client.commitReplicated(connection, () => send(connection, text));
      const { error, outcomes } = sent;
      if (error === null) {
        if (sent.lastCommand !== 'COMMIT')
          throw new Error(`the transaction ended with ${sent.lastCommand || 'nothing'}`);
        rest.forEach((step, i) => ran.push({ step, outcome: outcomes[h + i * per + at] }));
        for (const r of ran) answer(r.step, r.outcome);
        return;
      }
      // The statement that failed: one step's own, or the group's (BEGIN, a savepoint, COMMIT).
      const failed = outcomes.length - h;
      const index = Math.floor(failed / per);
      if (alone || failed < 0 || failed % per !== at || index >= rest.length) throw error;
      rest
        .slice(0, index)
        .forEach((step, i) => ran.push({ step, outcome: outcomes[h + i * per + at] }));
      const step = rest[index]!;
      const reason = withStatement(step, error);
      client.emit('query-error', reason, { __knexUid: uid, sql: step.statement, bindings: [] });
      step.reject(reason);
      rest = rest.slice(index + 1);
      head = UNDO;
      if (rest.length === 0) {
        // The group's COMMIT, for the steps that ran before the one that failed.
        const end = await client.commitReplicated(connection, () =>
          send(connection, `${UNDO} COMMIT;`),
        );
        if (end.error) throw end.error;
        if (end.lastCommand !== 'COMMIT')
          throw new Error(`the transaction ended with ${end.lastCommand || 'nothing'}`);
        for (const r of ran) answer(r.step, r.outcome);
        return;
      }
    }
  } catch (error) {
    clean = await rolledBack(connection);
    // Not one step's failure: none of the group's steps is stored, or known to be.
    const unanswered = [...ran.map((r) => r.step), ...rest];
    for (const step of unanswered) {
      const reason = withStatement(step, error, unanswered.length > 1);
      client.emit('query-error', reason, { __knexUid: uid, sql: step.statement, bindings: [] });
      step.reject(reason);
    }
  } finally {
    if (!clean) connection.__knex__disposed ??= 'a group of steps could not roll back';
    await client.releaseConnection(connection);
  }
}
