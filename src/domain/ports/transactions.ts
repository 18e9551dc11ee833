import type { ConsoleJobStore } from './console-jobs.js';
import type { ActivityQueries, LeadQueries, PeopleSelection, StatusQueries } from './queries.js';
import type { SalesforceNotificationStore } from './salesforce.js';
import type { WriteScope } from './write-scope.js';
import type { CallDeadline } from './call-deadline.js';

export { CallDeadline, callTimedOut } from './call-deadline.js';

/**
 * What a batch of lead changes (syncMultipleLeads, a console batch) may touch: every lead it
 * names by id or foreign id, and every address it names.
 */
export interface BatchScope {
  ids: readonly number[];
  foreignIds: readonly string[];
  emailKeys: readonly string[];
  /**
   * The lead columns the batch's rules read besides a person's own fields (columnsRead in
   * lead-rules.ts); every column when absent. The people are loaded with these alone.
   */
  columns?: readonly string[];
}

/**
 * A batch of changes run against memory: the rules read and write `repos` as they would one
 * transaction, and each record can be undone on its own.
 */
export interface BatchMemory {
  readonly repos: WriteScope;
  /** Marks the start of one record; `rollbackTo` undoes everything since. */
  savepoint(): number;
  rollbackTo(mark: number): void;
}

/** A batch in a write transaction (openBatch): `complete` writes the result. */
export interface BatchWrites extends BatchMemory {
  /**
   * Writes the batch; false when the records must be run again first (new people needed ids
   * the batch could not hold): the caller runs them again, then completes again.
   */
  complete(): Promise<boolean>;
}

/** Everything one unit of work may read and write, and the address locks its rules take. */
export interface TransactionScope extends WriteScope {
  readonly leads: LeadQueries;
  readonly emailStatus: StatusQueries;
  readonly activities: ActivityQueries;
  readonly salesforceNotifications: SalesforceNotificationStore;
  readonly selection: PeopleSelection;
  readonly jobs: ConsoleJobStore;
  /**
   * Loads (and locks) everything a batch can touch and hands back a write scope over that
   * memory. In a write transaction only.
   */
  openBatch(scope: BatchScope): Promise<BatchWrites>;
}

/** How a one-step unit (Transactions.writeStep) may be committed. */
export interface StepOptions {
  /**
   * Once its message is answered without error, nothing the unit does can undo it: what it
   * does with the answer only reads it (a failure there is a fault of the code, told to its
   * caller while its write stays). A SQLite file's group writer then posts the group's COMMIT
   * right behind its steps instead of after their answers have crossed back; every caller is
   * still answered after that COMMIT. Without it, a unit that fails after its answer has its
   * group rolled back. PostgreSQL's step carries its COMMIT anyway (sql/pg-step.ts).
   */
  final?: boolean;
  /** The deadline of the call the unit serves (call-deadline.ts). */
  deadline?: CallDeadline;
}

/** How a unit of work (Transactions.write, writeChecked) may be committed. */
export interface WriteOptions {
  /**
   * The deadline of the call the unit serves: past it the unit is withdrawn rather than
   * committed, unless it was already committing (call-deadline.ts).
   */
  deadline?: CallDeadline;
}

/** writeStep's options for a unit whose outcome is its message's. */
export const FINAL_STEP: StepOptions = Object.freeze({ final: true });

/**
 * Where the domain's units of work run. Errors come out typed: a database that is not there
 * is an AppError (DATABASE_UNAVAILABLE), a saturated pool another (CONCURRENCY_LIMIT_EXCEEDED).
 */
export interface Transactions {
  /**
   * One transaction; the whole function may run again (deadlock, serialisation failure, a
   * RetryTransaction thrown by the work), so it must have no effect outside the scope.
   */
  write<T>(work: (scope: TransactionScope) => Promise<T>, options?: WriteOptions): Promise<T>;
  /**
   * write, for work that is one step: one write of the scope (unsubscribeAddressOnce), whose
   * statements all go with the one it awaits; nothing after its answer may fail or write. The
   * store may then start the next unit of a shared transaction without waiting for this
   * one's answer (a SQLite file: one message to the writer thread, run whole or not at all).
   * A second statement is refused.
   *
   * `final`: the unit's outcome is its message's (StepOptions): the store may commit the shared
   * transaction without waiting for the unit to read its answer.
   */
  writeStep<T>(work: (scope: TransactionScope) => Promise<T>, options?: StepOptions): Promise<T>;
  /**
   * Whether a change planned on a plain read pays to write as one writeStep checked against
   * that read (WriteScope.expect), rather than read again under locks: true where a step
   * shares its transaction and its message with others. On a SQLite file a step is one
   * message to a writer that runs units one after the other, so that it saves the unit's reads
   * and the next unit's wait for their answers; on PostgreSQL the steps of a process go
   * together in one transaction and one message, the check made under the address's lock
   * in each step's savepoint, where a unit of its own would cost two round trips and a
   * transaction's commit.
   */
  readonly guardedSteps: boolean;
  /**
   * A batch read outside any write transaction, for a store where the rules applied meanwhile
   * would hold up every other writer: `apply` runs the records over it (once), then its result
   * is written only if nothing the batch read has changed since, whole or not at all, and
   * `apply`'s value comes back. null: nothing written (what it read moved); undefined: no such
   * batch here, nothing read. Either way the caller runs the records again with write and
   * openBatch.
   */
  writeChecked?<T>(
    scope: BatchScope,
    apply: (batch: BatchMemory) => Promise<T>,
    options?: WriteOptions,
  ): Promise<{ value: T } | null | undefined>;
  /**
   * Resolves once every write transaction in flight when it was called (in any instance on
   * the store) has ended: a read that follows misses nothing a transaction begun before the
   * call commits. Writers are not held up. `horizon` (a LastUpdateAt page's bound): raised
   * first (LeadStore.raiseUpdateHorizon), so that a lead stamped at or below it by a writer
   * not yet in flight, in any process, is stored past it instead of behind the page.
   */
  settleWrites(horizon?: number): Promise<void>;
  /** Reads outside a transaction (each statement sees committed data). */
  read<T>(work: (scope: TransactionScope) => Promise<T>): Promise<T>;
  /**
   * Reads that may be served by a read replica within its staleness bound: only for answers
   * to callers, never for a read a write decides on.
   */
  readReplicated<T>(work: (scope: TransactionScope) => Promise<T>): Promise<T>;
}
