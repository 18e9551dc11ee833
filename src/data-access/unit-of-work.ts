import type { Knex } from 'knex';
import { AppError, ErrorCode } from '../errors.js';
import type { BatchScope } from './batch/batch-session.js';
import type { Database, Engine } from './database.js';
import { classifyDatabaseError, errorCode, isRetryable } from './database-errors.js';
import { settleWrites } from './settle-writes.js';
import { pgStepTransaction } from './sql/pg-step.js';
import { pgTransaction } from './sql/pg-transaction.js';
import { writeCheckedBatch } from './batch/batch-checked.js';
import { propagationLog } from './propagation-log.js';
import { BatchGate } from './batch/batch-gate.js';
import { writerReads } from './sqlite-thread/writer-reads.js';
import {
  callTimedOut,
  RetryTransaction,
  type BatchMemory,
  type CallDeadline,
  type StepOptions,
  type Transactions,
  type WriteOptions,
} from '../domain/ports.js';
import { repositories, type Repositories } from './repositories.js';

export { RetryTransaction };
export type { Repositories };
import type { ReadReplica } from './read-replica.js';
import { MAX_GROUP_UNITS, SqliteGroupWriter, type UnitKind } from './sqlite-group-writer.js';

export { MAX_GROUP_UNITS };

const groupWriters = new WeakMap<Database, SqliteGroupWriter<Repositories>>();
/**
 * The write units of this process admitted on each Database and not yet ended (committed,
 * rolled back or given up). A unit's work takes its time stamps when it runs, which can be
 * before its transaction's BEGIN is sent or granted: a PostgreSQL step waits for its group
 * (pg-step-group.ts) or a connection with its statements already written, stamps in them. Such
 * a unit holds no lock the database could show a reader yet; settleWrites waits for it here.
 */
const admittedUnits = new WeakMap<Database, Set<Promise<unknown>>>();
/** The checked batches of each SQLite file (batch/batch-gate.ts). */
const batchGates = new WeakMap<Database, BatchGate>();

/**
 * One write transaction of `work`: grouped with others on a SQLite file, alone otherwise.
 * `kind` not 'unit': the work is one statement (writeStep): one message to the writer thread, or on
 * PostgreSQL one message with its BEGIN and COMMIT (sql/pg-step.ts). Other PostgreSQL units
 * run on a pooled connection without knex.transaction's objects (sql/pg-transaction.ts).
 */
function transact<T>(
  database: Database,
  work: (repos: Repositories) => Promise<T>,
  kind: UnitKind,
  deadline: CallDeadline | undefined,
): Promise<T> {
  if (database.engine === 'sqlite' && database.location !== ':memory:') {
    let writer = groupWriters.get(database);
    if (!writer) {
      const scope = (db: Knex.Transaction, trx: Knex.Transaction) =>
        repositories(db, 'sqlite', trx);
      groupWriters.set(database, (writer = new SqliteGroupWriter(database, scope)));
    }
    return writer.run(work, kind, deadline);
  }
  if (database.engine === 'postgres') {
    // A one-step unit's statement goes with its BEGIN and COMMIT, past knex.transaction.
    if (kind !== 'unit')
      return work(repositories(pgStepTransaction(database.knex, deadline), 'postgres', null, true));
    // Any other unit: on a connection of the pool, past knex.transaction too (pg-transaction.ts).
    return pgTransaction(
      database.knex,
      (trx) => work(repositories(trx, 'postgres', trx)),
      deadline,
    );
  }
  return database.knex.transaction(async (trx) => {
    const value = await work(repositories(trx, database.engine, trx));
    // Its COMMIT follows: past the call's deadline it rolls back instead.
    if (deadline && !deadline.mayCommit()) throw callTimedOut();
    return value;
  });
}

export interface UnitOfWorkOptions {
  maxAttempts?: number;
  /** Where reads that accept bounded staleness may go (DATABASE_READ_URL). */
  replica?: ReadReplica;
}

/** Runs domain work in transactions, retrying the ones the database asks us to redo. */
export class UnitOfWork implements Transactions {
  private readonly maxAttempts: number;
  private readonly replica: ReadReplica | undefined;

  constructor(
    private readonly database: Database,
    options: UnitOfWorkOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.replica = options.replica;
  }

  get engine(): Engine {
    return this.database.engine;
  }

  /**
   * Transactions.guardedSteps: SQLite's one writer runs a step's check with its writes; on
   * PostgreSQL the check heads the step's statements in its group's message (sql/pg-step.ts).
   */
  get guardedSteps(): boolean {
    return true;
  }

  /** One transaction; the whole function is re-run on deadlock, serialisation failure or busy. */
  write<T>(work: (repos: Repositories) => Promise<T>, options?: WriteOptions): Promise<T> {
    return this.transactWithRetries(work, 'unit', options?.deadline);
  }

  /**
   * write, for work that is one step (domain/ports/transactions.ts): on a SQLite file the
   * group writer starts the next unit once this one's message is posted; a group of `final`
   * steps alone has its COMMIT posted right behind them (sqlite-group-writer.ts).
   */
  writeStep<T>(work: (repos: Repositories) => Promise<T>, options?: StepOptions): Promise<T> {
    return this.transactWithRetries(work, options?.final ? 'final' : 'step', options?.deadline);
  }

  /**
   * SQLite file: the batch read on the writer's connection (its cache is warm there, where a
   * reader thread's drops at every commit), posted past the pool so that it need not wait for
   * the group in flight (sqlite-thread/writer-reads.ts), and written by one checked step of
   * the group commit (batch/batch-checked.ts). PostgreSQL: none; its batches lock only their
   * addresses and rows, so batches on other addresses already write side by side, and one
   * that waits for a lock waits for the rows it needs, which a check would only find moved.
   */
  writeChecked<T>(
    scope: BatchScope,
    apply: (batch: BatchMemory) => Promise<T>,
    options?: WriteOptions,
  ): Promise<{ value: T } | null | undefined> {
    const database = this.database;
    if (database.engine !== 'sqlite' || database.location === ':memory:')
      return Promise.resolve(undefined);
    // Admitted from its read on: `apply` stamps the batch's changes before its step is queued.
    return this.admit(this.checkedBatch(scope, apply, options));
  }

  private async checkedBatch<T>(
    scope: BatchScope,
    apply: (batch: BatchMemory) => Promise<T>,
    options?: WriteOptions,
  ): Promise<{ value: T } | null> {
    const database = this.database;
    const deadline = options?.deadline;
    if (deadline?.passed) throw callTimedOut();
    let gate = batchGates.get(database);
    if (!gate) batchGates.set(database, (gate = new BatchGate()));
    try {
      const reader = writerReads(database.knex) ?? database.knex;
      return await writeCheckedBatch(
        gate,
        propagationLog(database.knex),
        reader,
        scope,
        apply,
        (check, writes) =>
          this.writeStep(
            (repos) => repos.checkedWrite(check, writes),
            deadline ? { deadline } : undefined,
          ),
      );
    } catch (error) {
      throw classifyDatabaseError(error);
    }
  }

  private transactWithRetries<T>(
    work: (repos: Repositories) => Promise<T>,
    kind: UnitKind,
    deadline?: CallDeadline,
  ): Promise<T> {
    return this.admit(this.attempts(work, kind, deadline));
  }

  /** `unit`, among the admitted units until it ends (admittedUnits, settleWrites). */
  private admit<T>(unit: Promise<T>): Promise<T> {
    let admitted = admittedUnits.get(this.database);
    if (!admitted) admittedUnits.set(this.database, (admitted = new Set()));
    admitted.add(unit);
    const ended = () => admitted.delete(unit);
    unit.then(ended, ended);
    return unit;
  }

  private async attempts<T>(
    work: (repos: Repositories) => Promise<T>,
    kind: UnitKind,
    deadline?: CallDeadline,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      // Past its call's deadline no unit starts (nor runs again): the call was told it timed
      // out with nothing stored.
      if (deadline?.passed) throw callTimedOut();
      try {
        return await transact(this.database, work, kind, deadline);
      } catch (error) {
        if (attempt < this.maxAttempts && isRetryable(error)) {
          await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** attempt));
          continue;
        }
        throw classifyDatabaseError(error);
      }
    }
  }

  /**
   * Transactions.settleWrites: the write units this process had admitted when called end
   * first (admittedUnits: stamped, perhaps not begun), then those the database shows in flight
   * (settle-writes.ts). `horizon`: raised before the wait, for the writes another process has
   * stamped and not yet begun, which neither wait sees (settle-writes.ts).
   */
  async settleWrites(horizon?: number): Promise<void> {
    const admitted = [...(admittedUnits.get(this.database) ?? [])];
    if (admitted.length > 0) await Promise.allSettled(admitted);
    // A file opened read-only has no write lock to wait on (cli/read-only.ts says when a
    // writer may be in flight all the same).
    if (this.database.readOnly) return;
    // SQLite: a statement in the transaction, so that its BEGIN IMMEDIATE is sent and waits;
    // the horizon raised there, under the write lock every process's writers take in turn.
    return settleWrites(
      this.database,
      () =>
        this.write(async (repos) => {
          if (horizon !== undefined) await repos.leads.raiseUpdateHorizon(horizon);
          else await repos.emailStatus.get('');
        }),
      horizon,
    );
  }

  /**
   * Reads outside a transaction (each statement sees committed data, an acknowledged write
   * included): on SQLite, by the reader threads, beside the writer.
   */
  async read<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    try {
      return await work(repositories(this.database.readKnex, this.database.engine));
    } catch (error) {
      throw classifyDatabaseError(error);
    }
  }

  /**
   * Reads that may be served by the read replica while it is within its staleness bound
   * (read-replica.ts); otherwise, or when the replica cannot be reached, by the primary.
   * Only for answers to callers: never for a read a write decides on.
   */
  async readReplicated<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    const replica = this.replica;
    if (!replica?.usable()) return this.read(work);
    try {
      return await work(repositories(replica.database.knex, replica.database.engine));
    } catch (error) {
      const classified = classifyDatabaseError(error);
      const unreachable =
        classified instanceof AppError && classified.code === ErrorCode.DATABASE_UNAVAILABLE;
      // 40001 on a standby: the read was cancelled by a conflict with WAL replay.
      if (!unreachable && errorCode(error) !== '40001') throw classified;
      if (unreachable) replica.markUnreachable();
      return this.read(work);
    }
  }
}
