import type { Knex } from 'knex';
import { AppError, ErrorCode } from '../errors.js';
import { addressLockId, lockAddresses } from './address-lock.js';
import { ActivityRepository } from './sql/activity.repository.js';
import { BatchMoved, BatchSession, type BatchScope } from './batch/batch-session.js';
import type { Database, Engine } from './database.js';
import { classifyDatabaseError, errorCode, isRetryable } from './database-errors.js';
import { EmailStatusRepository } from './sql/email-status.repository.js';
import { LeadRepository } from './sql/lead.repository.js';
import { queueStatusAndPropagate } from './sql/lead-propagation.js';
import { runUnless, type StatementCall } from './sql/statement.js';
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
  type TransactionScope,
  type Transactions,
  type WriteOptions,
} from '../domain/ports.js';
import { ConsoleJobRepository } from './console-job.repository.js';
import { PeopleSelectionRepository } from './people-selection.repository.js';

export { RetryTransaction };
import type { ReadReplica } from './read-replica.js';
import { SalesforceNotificationRepository } from './sql/salesforce-notification.repository.js';
import { expectRead } from './sql/read-expectation.js';
import { MAX_GROUP_UNITS, SqliteGroupWriter, type UnitKind } from './sqlite-group-writer.js';

export { MAX_GROUP_UNITS };

/**
 * The repositories of one transaction (or of plain reads), plus the address locks: the SQL
 * implementation of the domain's transaction scope (domain/ports/transactions.ts).
 */
export interface Repositories extends TransactionScope {
  readonly engine: Engine;
  readonly leads: LeadRepository;
  readonly emailStatus: EmailStatusRepository;
  readonly activities: ActivityRepository;
  readonly salesforceNotifications: SalesforceNotificationRepository;
  readonly selection: PeopleSelectionRepository;
  readonly jobs: ConsoleJobRepository;
  /**
   * Loads (and locks) everything a batch of lead changes can touch and hands back a write
   * scope over that memory; its `complete` writes the batch set-based. Transactions only.
   */
  openBatch(scope: BatchScope): Promise<BatchSession>;
  /**
   * Runs `check` and, unless its row's `moved` is true, `writes` (statement.ts, runUnless: on
   * a SQLite file one message); true when they ran. A checked batch's write (batch-checked.ts).
   */
  checkedWrite(check: StatementCall, writes: readonly StatementCall[]): Promise<boolean>;
}

function repositories(
  db: Knex | Knex.Transaction,
  engine: Engine,
  transaction: Knex.Transaction | null = null,
  step = false,
): Repositories {
  // Locks already held by this transaction: taking one again would only cost a round trip.
  const held = new Set<bigint>();
  const lockEmailKeys = async (keys: ReadonlyArray<string | null>) => {
    // SQLite: BEGIN IMMEDIATE already gave this transaction the only write lock.
    if (engine !== 'postgres') return;
    const ids = [...new Set(keys.filter((k): k is string => k !== null).map(addressLockId))]
      .filter((id) => !held.has(id))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (ids.length === 0) return;
    await lockAddresses(db, ids);
    for (const id of ids) held.add(id);
  };
  const leads = new LeadRepository(db, engine);
  return {
    engine,
    leads,
    // One statement each on PostgreSQL (one round trip), two on SQLite.
    setStatusAndPropagate: (status, exceptLeadId, activity) =>
      leads.setStatusAndPropagate(status, exceptLeadId, activity),
    queueStatusAndPropagate: (status, exceptLeadId, activity) =>
      queueStatusAndPropagate(db, engine, status, exceptLeadId, activity),
    updateLogged: (lead, change, now, activities, last) =>
      leads.updateLogged(lead, change, now, activities, last),
    // Checked in the write's own message: on SQLite any unit's, on PostgreSQL a one-step unit's,
    // whose message the check heads (read-expectation.ts).
    ...(engine === 'sqlite' ? { expect: (expected) => expectRead(db, expected) } : {}),
    ...(engine === 'postgres' && step
      ? { expect: (expected) => expectRead(db, expected, true) }
      : {}),
    emailStatus: new EmailStatusRepository(db, engine),
    activities: new ActivityRepository(db, engine),
    salesforceNotifications: new SalesforceNotificationRepository(db, engine),
    selection: new PeopleSelectionRepository(db),
    jobs: new ConsoleJobRepository(db),
    lockEmailKeys,
    async checkedWrite(check, writes) {
      return (await runUnless(db, check, 'moved', writes)).thenChanges !== null;
    },
    async openBatch(scope) {
      if (!transaction) throw new Error('openBatch needs a transaction');
      try {
        return await BatchSession.open(transaction, engine, scope, lockEmailKeys);
      } catch (error) {
        if (error instanceof BatchMoved) throw new RetryTransaction();
        throw error;
      }
    },
  };
}

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
