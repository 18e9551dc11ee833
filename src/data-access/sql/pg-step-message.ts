import type { CallDeadline } from '../../domain/ports.js';
import { RowTemplate } from '../sqlite-thread/row-shapes.js';
import type { StatementForm } from './fixed-sql.js';
import { RowSetsQuery, type Connection, type Outcome } from './pg-rows.js';
import { statementAt, type GroupForms } from './pg-step-forms.js';

/**
 * The messages of a group of steps (pg-step-group.ts): the text that runs its steps in one
 * transaction, each in its savepoint, what each step's statements ended with, and each step's
 * answer or failure from them.
 */

type Row = Record<string, unknown>;

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

export interface Sent {
  error: Error | null;
  outcomes: Outcome[];
  commands: string[];
  lastCommand: string;
}

/** Sends `text`; what its statements ended with, and the error that stopped the rest. */
export function send(connection: Connection, text: string): Promise<Sent> {
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
export function statementsIn(text: string): number {
  return text.split(';').filter((s) => s.trim() !== '').length;
}

const SAVEPOINT = 'SAVEPOINT step;';
const RELEASE = 'RELEASE step;';
/** After a step failed: its writes undone, its savepoint gone, the transaction usable again. */
export const UNDO = 'ROLLBACK TO SAVEPOINT step; RELEASE step;';

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
export function withStatement(
  step: PendingStep,
  error: unknown,
  shared = false,
  failed = -1,
): Error {
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
export const allStatements = (step: PendingStep) =>
  step.statements.map((_, i) => statementAt(step, i)).join('; ');

/** What one step's statements ended with, where the message's outcomes hold them. */
export interface Ran {
  step: PendingStep;
  outcomes: Outcome[];
  commands: string[];
}

/** Answers a step whose statements ran and whose transaction committed. */
export function answer(ran: Ran): void {
  const { step } = ran;
  try {
    step.resolve(step.statements.map((_, i) => resultOf(ran.outcomes[i], ran.commands[i])));
  } catch (error) {
    step.reject(withStatement(step, error));
  }
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
export function messageOf(
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
export function ranOf(step: PendingStep, start: number, sent: Sent): Ran {
  const end = start + step.statements.length;
  return {
    step,
    outcomes: sent.outcomes.slice(start, end),
    commands: sent.commands.slice(start, end),
  };
}

/** The step among `steps` whose statements hold the failed statement's place; -1 for none. */
export function stepAt(steps: PendingStep[], starts: number[], failed: number): number {
  return starts.findIndex(
    (start, i) => failed >= start && failed < start + steps[i]!.statements.length,
  );
}

/** Throws unless the message ended with a COMMIT that ran (not one PostgreSQL turned into ROLLBACK). */
export function expectCommitted(sent: Sent): void {
  if (sent.lastCommand !== 'COMMIT')
    throw new Error(`the transaction ended with ${sent.lastCommand || 'nothing'}`);
}
