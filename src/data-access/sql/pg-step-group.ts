import { callTimedOut, type CallDeadline } from '../../domain/ports.js';
import type { PgDeferringClient } from '../pg-client.js';
import { RowTemplate } from '../sqlite-thread/row-shapes.js';
import type { StatementForm } from './fixed-sql.js';
import { RowSetsQuery, type Connection, type KnexPgClient, type Outcome } from './pg-rows.js';
import {
  FORGET,
  isStale,
  PLAIN,
  statementAt,
  StepForms,
  type GroupForms,
} from './pg-step-forms.js';

/**
 * Group commit of one-step units on PostgreSQL (pg-step.ts): the steps of one process that
 * wait while its earlier ones are in flight go together in one transaction, one message:
 *
 *   BEGIN; SET LOCAL …; SAVEPOINT step; <step 1>; RELEASE step; SAVEPOINT step; <step 2>; …; COMMIT;
 *
 * A step is one statement (the one-click unsubscribe's function) or a few (a checked write:
 * its address lock, the check, its writes), each of them one statement of the message.
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
 * Each transaction ends within the messages of one group on one connection, as PgBouncer's
 * transaction mode needs. A statement form seen before, or repeated in the group, runs as a
 * statement prepared on the server connection and kept there (pg-step-forms.ts).
 */

type Row = Record<string, unknown>;

/** What this module uses of pg-client.ts. */
export type StepClient = KnexPgClient & PgDeferringClient;

/** A connection knex's pool discards at its next checkout instead of handing it out. */
type Discardable = Connection & { __knex__disposed?: unknown };

/** Most steps in one transaction: bounds the first step's wait and the savepoints' count. */
export const MOST_STEPS_PER_GROUP = 16;

/** Messages of steps one client has in flight at once; the others' steps wait and group. */
export const MAX_GROUPS_IN_FLIGHT = 1;

/** What one statement of a step gave: its rows, and the rows it wrote or read. */
export interface StepResult {
  rows: Row[];
  rowCount: number;
}

/** A one-step unit waiting for its answer. */
export interface PendingStep {
  /**
   * Its statements in order, each one statement; the last is the one the unit awaits. One
   * given by its form alone (undefined here) is written as text only where it is sent so
   * (pg-step-forms.ts, statementAt).
   */
  readonly statements: ReadonlyArray<string | undefined>;
  /** Each statement's text and values apart, where known (pg-step-forms.ts). */
  readonly forms?: ReadonlyArray<StatementForm | undefined>;
  /** The address lock it takes first, if known (its place in the group). */
  readonly lock?: bigint;
  /**
   * The deadline of the call it serves: a step whose deadline passed while it waited for a
   * group or a connection is not sent (CallDeadline); sent, it is committing.
   */
  readonly deadline?: CallDeadline;
  /** Once COMMIT completed: the result of each statement, in order. */
  resolve(results: StepResult[]): void;
  reject(error: Error): void;
}

/** RowSetsQuery that also keeps each statement's command tag (COMMIT's last, when it ran). */
class StepQuery extends RowSetsQuery {
  readonly commands: string[] = [];

  override handleCommandComplete(msg?: { text?: string }): void {
    this.commands.push(msg?.text ?? '');
    super.handleCommandComplete();
  }
}

interface Sent {
  error: Error | null;
  outcomes: Outcome[];
  commands: string[];
  lastCommand: string;
}

/** Sends `text`; what its statements ended with, and the error that stopped the rest. */
function send(connection: Connection, text: string): Promise<Sent> {
  return new Promise((resolve) => {
    const query = new StepQuery(text, connection);
    connection.query(query, (error, outcomes) =>
      resolve({
        error,
        outcomes,
        commands: query.commands,
        lastCommand: query.commands[query.commands.length - 1] ?? '',
      }),
    );
  });
}

/**
 * Ends whatever transaction the connection is left in (what was prepared stays: it is still
 * right); false when it could not.
 */
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

/** The rows written or read, from a command tag (`INSERT 0 10`, `UPDATE 3`, `SELECT 1`). */
function countOf(command: string): number {
  const n = Number(command.slice(command.lastIndexOf(' ') + 1));
  return Number.isSafeInteger(n) ? n : 0;
}

function resultOf(outcome: Outcome | undefined, command: string | undefined): StepResult {
  if (outcome === undefined || outcome instanceof Error) throw outcome ?? new Error('no result');
  return {
    rows: RowTemplate.of(outcome.names).objects(outcome.rows),
    rowCount: countOf(command ?? ''),
  };
}

/**
 * `error` as knex reports a statement's failure: its SQL first (the step's statement that
 * failed, else its last), with its placeholders where its form is known, never the values
 * written into its text (addresses, which are never logged: runStatement puts the placeholders
 * back only for its own statement, and the one that failed may be a check or a write queued
 * ahead of it). `shared`: the error of several steps, each given a copy (its code and fields
 * kept).
 */
function withStatement(step: PendingStep, error: unknown, shared = false, failed = -1): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const reason = shared
    ? (Object.assign(Object.create(Object.getPrototypeOf(original) as object), original, {
        message: original.message,
        stack: original.stack,
        cause: original,
      }) as Error)
    : original;
  const at = failed >= 0 && failed < step.statements.length ? failed : step.statements.length - 1;
  const statement = step.forms?.[at]?.template ?? statementAt(step, at);
  reason.message = `${statement} - ${original.message}`;
  return reason;
}

/** A step's statements as text, for listeners of its failure. */
const allStatements = (step: PendingStep) =>
  step.statements.map((_, i) => statementAt(step, i)).join('; ');

/** What one step's statements ended with, where the message's outcomes hold them. */
interface Ran {
  step: PendingStep;
  outcomes: Outcome[];
  commands: string[];
}

/** Answers a step whose statements ran and whose transaction committed. */
function answer(ran: Ran): void {
  const { step } = ran;
  try {
    step.resolve(step.statements.map((_, i) => resultOf(ran.outcomes[i], ran.commands[i])));
  } catch (error) {
    step.reject(withStatement(step, error));
  }
}

interface GroupState {
  waiting: PendingStep[];
  inFlight: number;
  scheduled: boolean;
  forms: StepForms;
}

const groupsOf = new WeakMap<StepClient, GroupState>();

/** Runs `step` with the other steps of `client` that wait with it (see above). */
export function runGroupedStep(client: StepClient, step: PendingStep): void {
  let state = groupsOf.get(client);
  if (state === undefined)
    groupsOf.set(
      client,
      (state = { waiting: [], inFlight: 0, scheduled: false, forms: new StepForms() }),
    );
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
      void runGroup(client, state.forms, group).finally(() => {
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

/**
 * A connection for `group`'s message; undefined when none could be had (each step then failed
 * with the reason).
 */
async function acquireFor(
  client: StepClient,
  group: PendingStep[],
): Promise<Discardable | undefined> {
  try {
    return (await client.acquireConnection()) as Discardable;
  } catch (error) {
    for (const step of group) step.reject(withStatement(step, error, group.length > 1));
    return undefined;
  }
}

/** Sent, a step is committing; one past its call's deadline is answered instead, unsent. */
function dueSteps(group: PendingStep[]): PendingStep[] {
  return group.filter((step) => {
    if (step.deadline === undefined || step.deadline.mayCommit()) return true;
    step.reject(callTimedOut());
    return false;
  });
}

/** One message of a group: its text, and where each step's first statement is among its outcomes. */
interface Message {
  text: string;
  starts: number[];
}

/**
 * The message that runs `steps` after `begin` and `opening` (the forms it prepares) and ends
 * with COMMIT: a step alone without a savepoint, a group's steps each in one.
 */
function messageOf(
  begin: string,
  opening: readonly string[],
  steps: PendingStep[],
  forms: GroupForms,
  alone: boolean,
): Message {
  const starts: number[] = [];
  let at = statementsIn(begin) + opening.length;
  const parts = [begin, ...opening];
  for (const step of steps) {
    const statements = forms.statementsOf(step);
    if (alone) parts.push(...statements);
    else parts.push(SAVEPOINT, ...statements, RELEASE);
    starts.push(at + (alone ? 0 : 1));
    at += statements.length + (alone ? 0 : 2);
  }
  parts.push('COMMIT;');
  return { text: parts.join(' '), starts };
}

/** What `step`'s statements, the first of them at `start` in the message, ended with. */
function ranOf(step: PendingStep, start: number, sent: Sent): Ran {
  const end = start + step.statements.length;
  return {
    step,
    outcomes: sent.outcomes.slice(start, end),
    commands: sent.commands.slice(start, end),
  };
}

/** The step among `steps` whose statements hold the failed statement's place; -1 for none. */
function stepAt(steps: PendingStep[], starts: number[], failed: number): number {
  return starts.findIndex(
    (start, i) => failed >= start && failed < start + steps[i]!.statements.length,
  );
}

/** Throws unless the message ended with a COMMIT that ran (not one PostgreSQL turned into ROLLBACK). */
function expectCommitted(sent: Sent): void {
  if (sent.lastCommand !== 'COMMIT')
    throw new Error(`the transaction ended with ${sent.lastCommand || 'nothing'}`);
}

/** Fails `step` with `reason`, told to the client's listeners as knex tells a query's failure. */
function failStep(
  client: StepClient,
  uid: string | undefined,
  step: PendingStep,
  reason: Error,
): void {
  client.emit('query-error', reason, { __knexUid: uid, sql: allStatements(step), bindings: [] });
  step.reject(reason);
}

async function runGroup(
  client: StepClient,
  policy: StepForms,
  group: PendingStep[],
): Promise<void> {
  const connection = await acquireFor(client, group);
  if (connection === undefined) return;
  const due = dueSteps(group);
  if (due.length === 0) {
    await client.releaseConnection(connection);
    return;
  }
  const uid = connection.__knexUid;
  let clean = true;
  // Steps that ran and wait for COMMIT, with what their statements ended with.
  const ran: Ran[] = [];
  let rest = lockOrder(due);
  // A step alone is sent without a savepoint; a group's steps each in one.
  const alone = rest.length === 1;
  // The forms prepared, made sure of at the head of the first message (pg-step-forms.ts),
  // and with them the activity floor lock every write transaction takes first, kept prepared.
  let forms: GroupForms = policy.of(rest, client.floorLock);
  let first = true;
  try {
    // What begins a message after the first (which begins the transaction).
    let head = '';
    for (;;) {
      // The floor lock runs as the last of forms.prepare when it is prepared, else as text.
      const begin = first
        ? forms.runsFirst
          ? client.transactionBegin
          : client.transactionHead
        : head;
      const { text, starts } = messageOf(begin, first ? forms.prepare : [], rest, forms, alone);
      client.emit('query', { __knexUid: uid, sql: text, bindings: [], method: 'raw' });
      const sent = await client.commitReplicated(connection, () => send(connection, text));
      const { error, outcomes } = sent;
      if (error === null) {
        expectCommitted(sent);
        rest.forEach((step, i) => ran.push(ranOf(step, starts[i]!, sent)));
        for (const r of ran) answer(r);
        return;
      }
      // The statement that failed: one step's own, or the group's (BEGIN, a savepoint, COMMIT).
      const failed = outcomes.length;
      if (first && policy.refusedAt(forms, failed - statementsIn(begin), error)) {
        // A PREPARE refused, before any step ran: the group again, each statement as it is.
        const reset = await send(connection, 'ROLLBACK;');
        if (reset.error) throw reset.error;
        forms = PLAIN;
        continue;
      }
      if (forms !== PLAIN && isStale(error)) {
        // A prepared statement that no longer fits: the whole transaction again, plainly (its
        // steps that ran are not answered yet; those that failed alone stay failed).
        const reset = await send(connection, FORGET);
        if (reset.error) throw reset.error;
        rest = [...ran.map((r) => r.step), ...rest];
        ran.length = 0;
        forms = PLAIN;
        first = true;
        continue;
      }
      first = false;
      const index = stepAt(rest, starts, failed);
      if (alone || index < 0) throw error;
      for (let i = 0; i < index; i++) ran.push(ranOf(rest[i]!, starts[i]!, sent));
      const step = rest[index]!;
      failStep(client, uid, step, withStatement(step, error, false, failed - starts[index]!));
      rest = rest.slice(index + 1);
      head = UNDO;
      if (rest.length === 0) {
        // The group's COMMIT, for the steps that ran before the one that failed.
        const end = await client.commitReplicated(connection, () =>
          send(connection, `${UNDO} COMMIT;`),
        );
        if (end.error) throw end.error;
        expectCommitted(end);
        for (const r of ran) answer(r);
        return;
      }
    }
  } catch (error) {
    clean = await rolledBack(connection);
    // Not one step's failure: none of the group's steps is stored, or known to be.
    const unanswered = [...ran.map((r) => r.step), ...rest];
    for (const step of unanswered)
      failStep(client, uid, step, withStatement(step, error, unanswered.length > 1));
  } finally {
    if (!clean) connection.__knex__disposed ??= 'a group of steps could not roll back';
    await client.releaseConnection(connection);
  }
}
