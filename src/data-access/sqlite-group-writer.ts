import path from 'node:path';
import type { Knex } from 'knex';
import type { Database } from './database.js';
import type { SqliteStep } from './sqlite-thread/connection.js';
import { RetryTransaction } from '../domain/ports.js';

/**
 * Write transactions on one file queue here, one at a time per process, whichever Database
 * object of the process runs them (a test or a command may open the file twice): two writer
 * threads of one process would otherwise meet at BEGIN IMMEDIATE and one would sleep through
 * the busy timeout, or fail, instead of simply waiting its turn. Other processes (the CLI)
 * still wait for the lock through the busy timeout.
 */
const sqliteWriters = new Map<string, Promise<void>>();

export async function queueSqliteWriter<T>(database: Database, run: () => Promise<T>): Promise<T> {
  if (database.engine !== 'sqlite' || database.location === ':memory:') return run();
  const file = path.resolve(database.location);
  const previous = sqliteWriters.get(file) ?? Promise.resolve();
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => done);
  sqliteWriters.set(file, tail);
  await previous;
  try {
    return await run();
  } finally {
    release();
    if (sqliteWriters.get(file) === tail) sqliteWriters.delete(file);
  }
}

/** Units of work one shared SQLite transaction may hold: bounds the wait of the first caller. */
export const MAX_GROUP_UNITS = 32;

type Outcome =
  | { ok: true; value: unknown }
  /**
   * stepStored: a one-step unit that failed with some of its writes in the transaction (its
   * message failed after writing, or was answered and a second statement was refused).
   */
  | { ok: false; error: unknown; stepStored?: boolean };

/** The repositories of a unit: `db` carries its statements, inside the transaction `trx`. */
export type UnitScope<R> = (db: Knex.Transaction, trx: Knex.Transaction) => R;

interface GroupUnit<R> {
  work: (repos: R) => Promise<unknown>;
  /** The unit's whole work is one message to the writer thread (UnitOfWork.writeStep). */
  step: boolean;
  settle: (outcome: Outcome) => void;
}

interface StepConnection {
  openStep(): SqliteStep;
  holdSteps(): void;
  releaseSteps(): void;
}

function stepsOn(connection: unknown): connection is StepConnection {
  return typeof (connection as Partial<StepConnection> | null)?.openStep === 'function';
}

/** The transaction `trx` whose fixed statements (sql/statement.ts) go through `step`. */
function throughStep(trx: Knex.Transaction, step: SqliteStep): Knex.Transaction {
  const client = trx.client as unknown as { query(c: unknown, o: object): Promise<unknown> };
  const stepClient = Object.create(client, {
    query: { value: (c: unknown, o: object) => client.query(c, Object.assign(o, { step })) },
  }) as unknown;
  return Object.create(trx, { client: { value: stepClient } }) as Knex.Transaction;
}

/**
 * Group commit for a SQLite file: with synchronous=FULL every COMMIT waits for an fsync, which
 * costs far more than the statements of a unit. Units that queue while the file's writer is
 * busy run together in one BEGIN IMMEDIATE, in the order a serial queue would give, each
 * inside a SAVEPOINT so that a unit that fails leaves no trace; every caller is answered only
 * after the shared COMMIT, so an answer still means "on disk". The statements and the fsync
 * run in the writer thread (sqlite-thread/): meanwhile the event loop goes on reading
 * requests, and their units gather in the next group.
 *
 * A unit starts once the one before it is done, except after a one-step unit (writeStep):
 * its one message runs whole or not at all in the writer thread (protocol.ts, step), so the
 * next unit starts as soon as that message is posted, without waiting for its answer to cross
 * back through this thread's busy event loop. The thread runs messages in order: each unit
 * still sees what the ones before it wrote. A step has no savepoint of its own: one that
 * fails after writing has the whole group rolled back, and the other units run again in a
 * later transaction (UnitOfWork's retry), while it keeps its own error.
 */
export class SqliteGroupWriter<R> {
  private open: Array<GroupUnit<R>> | null = null;

  constructor(
    private readonly database: Database,
    private readonly scope: UnitScope<R>,
  ) {}

  run<T>(work: (repos: R) => Promise<T>, step = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const unit: GroupUnit<R> = {
        work,
        step,
        settle: (o) => (o.ok ? resolve(o.value as T) : reject(o.error)),
      };
      if (this.open && this.open.length < MAX_GROUP_UNITS) {
        this.open.push(unit);
        return;
      }
      const group = [unit];
      this.open = group;
      // A group is closed once its transaction starts (its units run inside it, and the ones
      // that come meanwhile form the next group, which waits for the whole of this one,
      // COMMIT's fsync included, in the writer thread): the first unit waits one turn of the
      // event loop for the requests already read from their sockets.
      setImmediate(() => {
        void queueSqliteWriter(this.database, () => {
          // Started: later units form the next group.
          if (this.open === group) this.open = null;
          return this.commitGroup(group);
        });
      });
    });
  }

  private async commitGroup(group: Array<GroupUnit<R>>): Promise<void> {
    // One per unit, in order; a one-step unit's settles when its message is answered.
    const outcomes: Array<Promise<Outcome>> = [];
    try {
      await this.database.knex.transaction(async (trx) => {
        if (group.length === 1) {
          // Alone: a failure rolls the whole transaction back, no savepoint needed.
          const value = await group[0]!.work(this.scope(trx, trx));
          outcomes.push(Promise.resolve({ ok: true, value }));
          return;
        }
        const connection = group.some((u) => u.step)
          ? await (trx.client as Knex.Client).acquireConnection()
          : null;
        // The group's one-step units cross to the thread as one message (any other unit's
        // statements post the ones held before them first).
        const steps = stepsOn(connection) ? connection : null;
        steps?.holdSteps();
        try {
          for (const unit of group) {
            if (unit.step && steps)
              outcomes.push((await this.startStep(trx, unit, steps)).answered);
            else outcomes.push(Promise.resolve(await this.runUnit(trx, unit)));
          }
        } finally {
          steps?.releaseSteps();
        }
        // Every unit answered first: a one-step unit that failed with some of its writes in
        // the transaction has the group rolled back; the others run again.
        const settled = await Promise.all(outcomes);
        if (settled.some((o) => !o.ok && o.stepStored)) throw new RetryTransaction();
      });
    } catch (error) {
      // BEGIN, COMMIT or a lone unit failed: nothing of the group is stored. Units that had
      // failed on their own keep their own error.
      const own = await Promise.all(outcomes);
      group.forEach((unit, i) => {
        const o = own[i];
        unit.settle(o && !o.ok ? { ok: false, error: o.error } : { ok: false, error });
      });
      return;
    }
    const settled = await Promise.all(outcomes);
    group.forEach((unit, i) => unit.settle(settled[i]!));
  }

  /** One unit in a savepoint, run to its end; throws when the transaction is lost. */
  private async runUnit(trx: Knex.Transaction, unit: GroupUnit<R>): Promise<Outcome> {
    await trx.raw('SAVEPOINT group_unit');
    try {
      const value = await unit.work(this.scope(trx, trx));
      await trx.raw('RELEASE group_unit');
      return { ok: true, value };
    } catch (error) {
      try {
        await trx.raw('ROLLBACK TO group_unit');
        await trx.raw('RELEASE group_unit');
      } catch {
        // SQLite ended the transaction itself (disk full, I/O error…): the unit's error
        // is what every unit of the group is told, and what decides a retry.
        throw error;
      }
      return { ok: false, error };
    }
  }

  /**
   * Starts a one-step unit and comes back once its message is posted (or the unit ended
   * without one): the outcome it gives settles with the answer.
   */
  private async startStep(
    trx: Knex.Transaction,
    unit: GroupUnit<R>,
    connection: StepConnection,
  ): Promise<{ answered: Promise<Outcome> }> {
    const step = connection.openStep();
    // What its message left decides, whatever the unit's work made of its answer.
    const done = (async () => unit.work(this.scope(throughStep(trx, step), trx)))().then(
      (value): Outcome => {
        if (step.outcome === 'refused') return { ok: false, error: new RetryTransaction() };
        if (step.outcome === 'spoiled') return { ok: false, error: step.error, stepStored: true };
        return step.unsent
          ? { ok: false, error: new Error('a one-step unit ended without its statement') }
          : { ok: true, value };
      },
      (error: unknown): Outcome =>
        // Refused: a step before it spoiled the transaction; it runs again.
        step.outcome === 'refused'
          ? { ok: false, error: new RetryTransaction() }
          : {
              ok: false,
              error,
              stepStored: step.outcome === 'stored' || step.outcome === 'spoiled',
            },
    );
    await Promise.race([step.posted, done]);
    step.close();
    return { answered: done };
  }
}
