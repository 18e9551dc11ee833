import type { Knex } from 'knex';
import type { CallDeadline } from '../../domain/ports.js';
import { staleReadError } from '../sqlite-thread/protocol.js';
import type { StatementForm } from './fixed-sql.js';
import { runGroupedStep, type StepClient, type StepResult } from './pg-step-group.js';

/**
 * A one-step unit of work on PostgreSQL (UnitOfWork.writeStep: the one-click unsubscribe, and a
 * syncLead's checked write, below) without knex.transaction. Its one statement, which ends its transaction (runStatement's
 * endsTransaction, its values written in), was already sent as one message with BEGIN and
 * COMMIT (pg-client.ts); what knex added around that message cost more than the message: a
 * transaction object and a knex instance of its own, BEGIN and COMMIT each through knex's query
 * path, and their promises, events and pg result objects. Here the message, `BEGIN; SET LOCAL
 * …; <statement>; COMMIT;`, goes by the simple protocol on a connection of knex's pool (its
 * limit, acquire timeout and errors as for any statement), and its rows come back as pg-rows.ts
 * reads them.
 *
 * The answer comes once COMMIT has completed (and the synchronous standby confirmed it, when
 * asked: commitReplicated). A statement that fails leaves its transaction aborted on the
 * connection (PostgreSQL skips the rest of the message, COMMIT included): ROLLBACK is sent
 * before the connection goes back to the pool, and a connection that cannot take it (lost
 * under the call) is discarded, never handed out inside a transaction. The transaction ends
 * within its message, as PgBouncer's transaction mode needs. Steps that wait while another is
 * in flight share one transaction, each in a savepoint of its own, and one message
 * (pg-step-group.ts); what is prepared there by name is kept on the server connection for the
 * next groups, at most MOST_KEPT names (pg-step-forms.ts).
 */

/** The query objects statement.ts (and knex's runner) hand a client. */
interface QueryObject {
  sql: string;
  bindings?: readonly unknown[];
  endsTransaction?: boolean;
  stepLock?: bigint;
  /** Its text and values apart, when its values were written in (pg-step-forms.ts). */
  form?: StatementForm;
  /** statement.ts's queueExpectation: a check the step's writes go on only if it holds. */
  expect?: boolean;
  response?: unknown;
}

/**
 * A statement of the step (ahead of its last, told its result once COMMIT completed): its text,
 * or its form alone, whose text is written only where it is sent as text (pg-step-forms.ts).
 */
interface Ahead {
  text?: string;
  result?: (response: unknown) => void;
  form?: StatementForm;
}

/** A statement as the step keeps it: with a form, the form alone (`sql` is its template). */
const statementOf = (sql: string, form?: StatementForm): Ahead => (form ? { form } : { text: sql });

const NOT_ONE_STEP = "A one-step unit's statement must end its transaction, its values written in";

/** The statement that takes an address lock until the transaction ends (address-lock.ts). */
const lockStatement = (lock: bigint) => `SELECT pg_advisory_xact_lock(${lock})`;

/**
 * A transaction handle for a one-step unit's repositories on `knex` (PostgreSQL through
 * pg-client.ts): its first statement that ends its transaction is sent as above; any other
 * statement (one before it, or with bindings, a lock queued for the next one, anything after
 * it, a query builder's, a raw one) is refused, and nothing is sent for it: a one-step unit is
 * one statement.
 *
 * A checked step (WriteScope.expect) is the exception: its check comes first (queueExpectation,
 * with the address lock it runs under as stepLock), and then its writes may be queued ahead of
 * its last statement (sendWithNext, queueCalls), all in its message, in order: the lock, the
 * check (a statement of its own, so that it reads what was committed before the lock was
 * granted), the writes, the last statement. A statement such a step cannot carry (a value that
 * cannot be written into the text, a read whose answer it would wait for) fails with StaleRead
 * before anything is sent: the caller takes the locked path, which can.
 */
export function pgStepTransaction(knex: Knex, deadline?: CallDeadline): Knex.Transaction {
  const stepClient = Object.create(stepClientOf(knex.client as unknown as StepClient)) as {
    step: StepStatements;
  };
  const step = (stepClient.step = new StepStatements(deadline));
  // Not knex itself: its builders and raw statements would run on knex's own client.
  const refuse = (): never => {
    throw step.refusal();
  };
  const transaction = refuse as unknown as Record<string, unknown>;
  transaction.client = stepClient;
  transaction.isTransaction = true;
  transaction.raw = refuse;
  return transaction as unknown as Knex.Transaction;
}

/**
 * What one step's statements are until its message is sent (pgStepTransaction): one object per
 * step, its methods shared, rather than a closure for each of them made at every step.
 */
class StepStatements {
  sent = false;
  readonly ahead: Ahead[] = [];
  checkLock: bigint | undefined = undefined;

  constructor(readonly deadline: CallDeadline | undefined) {}

  refusal(): Error {
    return this.ahead.length > 0 ? staleReadError() : new Error(NOT_ONE_STEP);
  }

  async query(client: StepClient, obj: QueryObject): Promise<QueryObject> {
    if (this.sent) throw new Error('A statement after its transaction had ended');
    const bound = (obj.bindings?.length ?? 0) > 0;
    if (obj.expect === true) {
      // The step's first statements: the lock, then the check made under it.
      if (bound || this.ahead.length > 0 || obj.stepLock === undefined) throw staleReadError();
      this.checkLock = obj.stepLock;
      this.ahead.push({ text: lockStatement(obj.stepLock) }, statementOf(obj.sql, obj.form));
      obj.response = { rows: [], rowCount: 0 };
      return obj;
    }
    if (bound || obj.endsTransaction !== true) throw this.refusal();
    this.sent = true;
    const last = statementOf(obj.sql, obj.form);
    const lock = this.checkLock ?? obj.stepLock;
    obj.response = await runStep(client, this.ahead, last, lock, this.deadline);
    return obj;
  }

  sendWithNext(sql: string, result?: Ahead['result'], form?: StatementForm): boolean {
    if (this.sent) throw new Error('A statement after its transaction had ended');
    // Only behind a check: a plain step is its one statement.
    if (this.ahead.length === 0) return false;
    const statement = statementOf(sql, form);
    if (result) statement.result = result;
    this.ahead.push(statement);
    return true;
  }
}

/** Each client's prototype of its steps' clients (stepClientOf). */
const stepClients = new WeakMap<StepClient, object>();

/**
 * The prototype of a step's client on `client`, made once per client: a step's client is an
 * object inheriting from it, with the step's StepStatements as `step`.
 */
function stepClientOf(client: StepClient): object {
  let prototype = stepClients.get(client);
  if (prototype === undefined) {
    prototype = Object.create(client, {
      // Statements come as their forms; their texts are written where they are sent as text.
      takesForms: { value: true },
      // The statement takes its connection from the pool when it is sent.
      acquireConnection: { value: () => Promise.resolve(null) },
      releaseConnection: { value: () => Promise.resolve() },
      sendWithNext: {
        value(
          this: { step: StepStatements },
          _connection: unknown,
          sql: string,
          result?: Ahead['result'],
          form?: StatementForm,
        ) {
          return this.step.sendWithNext(sql, result, form);
        },
      },
      query: {
        value(this: { step: StepStatements }, _connection: unknown, obj: QueryObject) {
          return this.step.query(client, obj);
        },
      },
    }) as object;
    stepClients.set(client, prototype);
  }
  return prototype;
}

/**
 * The step's statements in its transaction's message (with those of other steps:
 * pg-step-group.ts): those ahead told their results, the last one's given back. Their forms
 * go along: a form that repeats in the group is prepared once (pg-step-forms.ts).
 */
function runStep(
  client: StepClient,
  ahead: readonly Ahead[],
  last: Ahead,
  lock?: bigint,
  deadline?: CallDeadline,
): Promise<StepResult> {
  const all = [...ahead, last];
  return new Promise((resolve, reject) =>
    runGroupedStep(client, {
      statements: all.map((a) => a.text),
      ...(all.some((a) => a.form) ? { forms: all.map((a) => a.form) } : {}),
      ...(lock !== undefined ? { lock } : {}),
      ...(deadline ? { deadline } : {}),
      resolve: (results) => {
        ahead.forEach((a, i) => a.result?.(results[i]));
        resolve(results[results.length - 1]!);
      },
      reject,
    }),
  );
}
