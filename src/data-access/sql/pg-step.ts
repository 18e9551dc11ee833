import type { Knex } from 'knex';
import { runGroupedStep, type StepClient } from './pg-step-group.js';

/**
 * A one-step unit of work on PostgreSQL (UnitOfWork.writeStep: the one-click unsubscribe) without
 * knex.transaction. Its one statement, which ends its transaction (runStatement's
 * endsTransaction, its values written in), was already sent as one message with BEGIN and
 * COMMIT (database.ts); what knex added around that message cost more than the message: a
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
 * under the call) is discarded, never handed out inside a transaction. Nothing named is
 * prepared and the transaction ends within its message, as PgBouncer's transaction mode needs.
 * Steps that wait while another is in flight share one transaction, each in a savepoint of its
 * own, and one message (pg-step-group.ts).
 */

type Row = Record<string, unknown>;

/** The query objects statement.ts (and knex's runner) hand a client. */
interface QueryObject {
  sql: string;
  bindings?: readonly unknown[];
  endsTransaction?: boolean;
  stepLock?: bigint;
  response?: unknown;
}

const NOT_ONE_STEP = "A one-step unit's statement must end its transaction, its values written in";

/**
 * A transaction handle for a one-step unit's repositories on `knex` (PostgreSQL through
 * database.ts): its first statement that ends its transaction is sent as above; any other
 * statement (one before it, or with bindings, a lock queued for the next one, anything after
 * it, a query builder's, a raw one) is refused, and nothing is sent for it: a one-step unit is
 * one statement.
 */
export function pgStepTransaction(knex: Knex): Knex.Transaction {
  const client = knex.client as unknown as StepClient;
  let sent = false;
  const query = async (_connection: unknown, obj: QueryObject): Promise<QueryObject> => {
    if (sent) throw new Error('A statement after its transaction had ended');
    if (obj.endsTransaction !== true || (obj.bindings?.length ?? 0) > 0)
      throw new Error(NOT_ONE_STEP);
    sent = true;
    obj.response = await runStep(client, obj.sql, obj.stepLock);
    return obj;
  };
  const stepClient = Object.create(client, {
    // The statement takes its connection from the pool when it is sent.
    acquireConnection: { value: () => Promise.resolve(null) },
    releaseConnection: { value: () => Promise.resolve() },
    // No statement follows the one that ends the transaction: nothing can wait for it.
    sendWithNext: { value: () => false },
    query: { value: query },
  }) as StepClient;
  // Not knex itself: its builders and raw statements would run on knex's own client.
  const refuse = (): never => {
    throw new Error(NOT_ONE_STEP);
  };
  return Object.assign(refuse, {
    client: stepClient,
    isTransaction: true,
    raw: refuse,
  }) as unknown as Knex.Transaction;
}

/** `statement` in its transaction's message (with those of other steps: pg-step-group.ts). */
function runStep(client: StepClient, statement: string, lock?: bigint): Promise<{ rows: Row[] }> {
  return new Promise((resolve, reject) =>
    runGroupedStep(client, {
      statement,
      ...(lock !== undefined ? { lock } : {}),
      resolve: (rows) => resolve({ rows }),
      reject,
    }),
  );
}
