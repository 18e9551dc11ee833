import type { Knex } from 'knex';
import { callTimedOut, type CallDeadline } from '../../domain/ports.js';
import type { PgDeferringClient } from '../pg-client.js';
import type { Connection, KnexPgClient } from './pg-rows.js';

/**
 * A write unit of several statements on PostgreSQL (UnitOfWork.write) without knex.transaction.
 * pg-client.ts already makes such a unit few messages (BEGIN with the first statement,
 * the address locks and queued writes with the next one, COMMIT with the last write); what knex
 * added around them cost the process more CPU than the messages: per unit a Transaction (an
 * event emitter and its promise chains), a client of its own with four listeners, a whole knex
 * instance (makeKnex: a method per query-builder verb, property definitions, an emitter and
 * four more listeners on that client), and every statement wrapped once more.
 *
 * Here a unit takes a connection of knex's pool (its limit, acquire timeout and errors, as for
 * any statement), and its repositories get a handle that is knex for them: the handle is a
 * function (`db('leads')`) whose prototype is knex itself, so every method of knex is there,
 * and whose client is knex's client with this connection pinned (a transaction's client:
 * acquireConnection hands the connection back, releasing it is a no-op). Building it is three
 * small objects; query builders, raw statements and statement.ts's fixed statements all run
 * through knex's client as before (its 'query' and 'query-error' events included), and BEGIN,
 * COMMIT and ROLLBACK are the statements knex.transaction sends, handled by pg-client.ts as
 * they were: deferred BEGIN, COMMIT carried by the last write or sent with the queued writes
 * and confirmed by the synchronous standby when asked (commitReplicated).
 *
 * A statement of the unit after its end (an un-awaited one) is refused, as knex refuses it,
 * rather than run in whatever transaction the connection is in by then. A unit that fails, or
 * whose COMMIT fails, is rolled back before its connection goes back to the pool (a message
 * that failed leaves its transaction aborted, COMMIT skipped), and a connection that cannot
 * take ROLLBACK (lost under the call) is discarded, never handed out inside a transaction.
 * Nothing is prepared by name and nothing outlives the transaction (PgBouncer's transaction
 * mode). Transactions inside the unit (savepoints) are not offered: no repository opens one.
 */

/** What this module uses of pg-client.ts. */
type BaseClient = KnexPgClient &
  PgDeferringClient & {
    query(connection: unknown, obj: unknown): Promise<unknown>;
  };

/** A connection knex's pool discards at its next checkout instead of handing it out. */
type Discardable = Connection & { __knex__disposed?: unknown };

/** The client of one unit: knex's, with the unit's connection pinned. */
interface UnitClient {
  connection: Discardable;
  /** The unit ended (committed or rolled back): any statement of it is refused. */
  done: boolean;
  /** The deadline of the call it serves, until the unit is let commit (mayCommit). */
  deadline: CallDeadline | undefined;
}

/**
 * Whether the unit may send what commits it (its last statement carrying COMMIT, or COMMIT):
 * once its call's deadline has passed, it may not (CallDeadline); once let, it stays let.
 */
function mayCommit(client: UnitClient): boolean {
  const deadline = client.deadline;
  if (deadline === undefined) return true;
  if (!deadline.mayCommit()) return false;
  client.deadline = undefined;
  return true;
}

const ENDED = 'Transaction query already complete (a statement after its unit of work ended)';

/** How long a failed unit waits for its ROLLBACK before discarding the connection instead. */
const ROLLBACK_WAIT_MS = 5000;

/** Per knex client: what every unit's client inherits (the pinned connection's methods). */
const unitClients = new WeakMap<object, object>();

function unitClientPrototype(base: BaseClient): object {
  let proto = unitClients.get(base);
  if (proto) return proto;
  // Methods, not closures: a unit's client is one Object.create with two fields.
  proto = Object.create(base, {
    transacting: { value: true },
    acquireConnection: {
      value(this: UnitClient) {
        return this.done ? Promise.reject(new Error(ENDED)) : Promise.resolve(this.connection);
      },
    },
    releaseConnection: { value: () => Promise.resolve() },
    query: {
      value(this: UnitClient, connection: unknown, obj: unknown) {
        if (this.done) return Promise.reject(new Error(ENDED));
        if (connection !== this.connection)
          return Promise.reject(new Error('Invalid connection for transaction query.'));
        // The statement that may carry the unit's COMMIT (pg-client.ts): not past its deadline.
        if (
          this.deadline !== undefined &&
          (obj as { endsTransaction?: boolean } | null)?.endsTransaction === true &&
          !mayCommit(this)
        )
          return Promise.reject(callTimedOut());
        return base.query.call(this, connection, obj);
      },
    },
    sendWithNext: {
      value(this: UnitClient, connection: unknown, sql: string, result?: (r: unknown) => void) {
        if (this.done) throw new Error(ENDED);
        return base.sendWithNext.call(this, connection, sql, result);
      },
    },
    transaction: {
      value() {
        throw new Error('A unit of work on PostgreSQL cannot open a transaction inside itself');
      },
    },
  }) as object;
  unitClients.set(base, proto);
  return proto;
}

/** The repositories' handle for a unit on `connection`: knex, with the unit's client. */
function unitHandle(knex: Knex, client: UnitClient): Knex.Transaction {
  const context = Object.create((knex as unknown as { context: object }).context) as {
    client: unknown;
  };
  context.client = client;
  // As knex's own instance: `db(table)` is a query builder on the table.
  const handle = (table?: string, options?: unknown) => {
    const builder = (client as unknown as Knex.Client).queryBuilder();
    return table ? builder.table(table, options as never) : builder;
  };
  Object.setPrototypeOf(handle, knex);
  return Object.assign(handle, { context, isTransaction: true }) as unknown as Knex.Transaction;
}

/**
 * Runs `work` in one transaction on a connection of `knex`'s pool (PostgreSQL through
 * pg-client.ts), as knex.transaction would: committed when it resolves, rolled back when it
 * throws, and its error (or COMMIT's) thrown as it was.
 */
export async function pgTransaction<T>(
  knex: Knex,
  work: (trx: Knex.Transaction) => Promise<T>,
  deadline?: CallDeadline,
): Promise<T> {
  const base = knex.client as unknown as BaseClient;
  const connection = (await base.acquireConnection()) as Discardable;
  const client = Object.create(unitClientPrototype(base)) as UnitClient;
  client.connection = connection;
  client.done = false;
  client.deadline = deadline;
  let clean = true;
  try {
    // pg-client.ts sends nothing for it: BEGIN goes with the first statement.
    await base.query(connection, 'BEGIN;');
    let value: T;
    try {
      value = await work(unitHandle(knex, client));
    } catch (error) {
      client.done = true;
      clean = await rolledBack(base, connection);
      throw error;
    }
    client.done = true;
    if (!mayCommit(client)) {
      // Past its call's deadline: rolled back instead, nothing of it stored.
      clean = await rolledBack(base, connection);
      throw callTimedOut();
    }
    try {
      await base.query(connection, 'COMMIT;');
    } catch (error) {
      // A queued write that failed in COMMIT's message leaves the transaction aborted.
      clean = await rolledBack(base, connection);
      throw error;
    }
    return value;
  } finally {
    if (!clean) connection.__knex__disposed ??= 'a unit of work could not roll back';
    await base.releaseConnection(connection);
  }
}

/** Ends the unit's transaction; false when the connection could not (lost, or no answer). */
async function rolledBack(base: BaseClient, connection: Discardable): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ROLLBACK_WAIT_MS);
  });
  try {
    const sent = base.query(connection, 'ROLLBACK').then(
      () => true,
      () => false,
    );
    return await Promise.race([sent, late]);
  } finally {
    clearTimeout(timer);
  }
}
