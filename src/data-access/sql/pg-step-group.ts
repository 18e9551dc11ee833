import { callTimedOut } from '../../domain/ports.js';
import type { PgDeferringClient } from '../pg-client.js';
import type { Connection, KnexPgClient } from './pg-rows.js';
import { FORGET, isStale, PLAIN, StepForms, type GroupForms } from './pg-step-forms.js';
import {
  allStatements,
  answer,
  expectCommitted,
  messageOf,
  ranOf,
  rolledBack,
  send,
  stepAt,
  statementsIn,
  UNDO,
  withStatement,
  type PendingStep,
  type Ran,
} from './pg-step-message.js';

export type { PendingStep, StepResult } from './pg-step-message.js';

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

/** What this module uses of pg-client.ts. */
export type StepClient = KnexPgClient & PgDeferringClient;

/** A connection knex's pool discards at its next checkout instead of handing it out. */
type Discardable = Connection & { __knex__disposed?: unknown };

/** Most steps in one transaction: bounds the first step's wait and the savepoints' count. */
export const MOST_STEPS_PER_GROUP = 16;

/** Messages of steps one client has in flight at once; the others' steps wait and group. */
export const MAX_GROUPS_IN_FLIGHT = 1;

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
