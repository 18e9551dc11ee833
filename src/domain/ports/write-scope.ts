import type {
  EmailStatusRecord,
  LeadRecord,
  LeadUpdate,
  NewActivity,
  NewLead,
  PropagationActivity,
} from '../records.js';

/**
 * What the rules of a change read and write (sync, durable status): the ports the domain
 * depends on. Two implementations serve them: data-access's SQL repositories (one transaction)
 * and a batch in memory (data-access/batch/batch-write-scope.ts). A call the rules start making
 * must be added here, and then neither implementation compiles until it serves it.
 */

/** The people, as the rules of a change read and write them. */
export interface LeadStore {
  /** `lock` (PostgreSQL): the row stays locked until the transaction ends. */
  findById(id: number, lock?: boolean): Promise<LeadRecord | null>;
  findByForeignId(foreignId: string, lock?: boolean): Promise<LeadRecord | null>;
  /**
   * The most recently changed person holding an address (what a sync by email changes);
   * `partitions`: among the people of these only (a caller confined to them).
   */
  findLatestByEmailKey(
    key: string,
    lock?: boolean,
    partitions?: readonly string[],
  ): Promise<LeadRecord | null>;
  /** The lead locked for this change, as it stands now (null: deleted meanwhile). */
  lockRow(lead: LeadRecord): Promise<LeadRecord | null>;
  insert(lead: NewLead): Promise<number>;
  /** Writes the change; false: no such lead. */
  update(id: number, change: LeadUpdate, now: number): Promise<boolean>;
  /**
   * Every other person of an address whose flag disagrees takes `unsubscribed`, with one
   * propagation activity each (propagationActivity). Returns how many changed.
   */
  propagateUnsubscribed(
    key: string,
    unsubscribed: boolean,
    exceptLeadId: number | null,
    now: number,
    activity: PropagationActivity,
  ): Promise<number>;
}

/** The master status of each address (rule 1). */
export interface StatusStore {
  /** The address's own row (rules read it through master-status.ts, masterStatus). */
  get(key: string): Promise<EmailStatusRecord | null>;
  /**
   * The opt-outs kept under joined keys (email_status_joined: migration 20261206004000), by
   * joined key; each record's emailKey is its joined key.
   */
  joinedOptOuts(joinedKeys: readonly string[]): Promise<Map<string, EmailStatusRecord>>;
  /** Writes the status and appends it to the address's history. */
  set(status: EmailStatusRecord): Promise<void>;
}

export interface ActivityLog {
  /** Appends, in the order given. */
  insert(activities: readonly NewActivity[]): Promise<void>;
}

/**
 * What a read outside the transaction saw and a write planned on it relies on (WriteScope.expect):
 * the person as read, and what else the rules read of the store.
 */
export interface ReadExpectation {
  /** The person, unchanged since it was read: the same change_seq (every write bumps it). */
  lead: Pick<LeadRecord, 'id' | 'changeSeq'>;
  /**
   * The person's address as read: a store that serialises writers by address checks the rest
   * under that address's lock, and only what the lock guards (the person, its address's
   * holders and status). Absent or null there: nothing can be checked (StaleRead).
   */
  address?: string | null;
  /** The person was found as the latest holder of this address (findLatestByEmailKey): still so. */
  latestOf?: string;
  /**
   * The master status of an address as read (null: none): whether it is unsubscribed, and if so
   * its reason and date, what a re-subscribe reads of it (DurableStatusService).
   */
  status?: {
    key: string;
    record: EmailStatusRecord | null;
    /**
     * The record is the opt-out kept under this joined key (masterStatus): the address still
     * has no row of its own, and the kept row is as read (it is never written again).
     */
    keptUnder?: string;
  };
}

/** The stores of one write transaction, with the address locks its rules take. */
export interface WriteScope {
  readonly leads: LeadStore;
  readonly emailStatus: StatusStore;
  readonly activities: ActivityLog;
  /**
   * Serialises writers of the same addresses until the transaction ends (keys locked in one
   * global order, so two writers cannot deadlock). The locks are held, at the latest, from the
   * scope's next read or write on: the store may send them with it.
   */
  lockEmailKeys(keys: ReadonlyArray<string | null>): Promise<void>;
  /**
   * lockEmailKeys([key, otherKey]), then leads.findLatestByEmailKey(key, true, partitions): a
   * sync by address, as one call so that a batch's memory answers it with one promise, not two
   * (one await fewer for every record of a batch).
   */
  lockAndFindLatest(
    key: string,
    otherKey: string | null,
    partitions?: readonly string[],
  ): Promise<LeadRecord | null>;
  /** emailStatus.set(status), then leads.propagateUnsubscribed for its address. */
  setStatusAndPropagate(
    status: EmailStatusRecord,
    exceptLeadId: number | null,
    activity: PropagationActivity,
  ): Promise<number>;
  /**
   * setStatusAndPropagate for a caller that does not wait for the count: the writes are done,
   * or will be before the scope's next statement runs (and fail it if they fail); `people`
   * settles once they ran. Absent: the caller uses setStatusAndPropagate.
   */
  queueStatusAndPropagate?(
    status: EmailStatusRecord,
    exceptLeadId: number | null,
    activity: PropagationActivity,
  ): Promise<{ people: Promise<number> }>;
  /**
   * leads.update of `lead`, then activities.insert if it was there; the lead as it now stands
   * (null: gone). `last`: the write scope's last statement (nothing is read or written after
   * it, and the work does not fail once it gave the lead back), so the store may commit with
   * it, in the same round trip. Only for a lead whose row this scope has locked, `lead` as read
   * under that lock (or checked unchanged: expect): it cannot be gone, and the store may build
   * the answer from it and the change rather than read the row back.
   */
  updateLogged(
    lead: LeadRecord,
    change: LeadUpdate,
    now: number,
    activities: readonly NewActivity[],
    last?: boolean,
  ): Promise<LeadRecord | null>;
  /**
   * The scope's work goes on only if the store still holds what `expected` says, checked with
   * its next statement, at the moment it runs: otherwise that statement fails with StaleRead
   * and nothing the unit wrote is stored. Goes with the next statement (a one-step unit may
   * use it; on PostgreSQL only a one-step unit, whose first statement it must be). Absent
   * where the store cannot check it in that same step (PostgreSQL's other units, a batch).
   */
  expect?(expected: ReadExpectation): Promise<void>;
}

/**
 * Thrown inside a write scope when what was read before locking changed: whoever runs the
 * scope (UnitOfWork) redoes the whole work in a new transaction.
 */
export class RetryTransaction extends Error {
  override name = 'RetryTransaction';
}

/**
 * A write planned on a read outside its transaction found the store changed since
 * (WriteScope.expect): nothing of its unit was stored. Never retried by the store: the caller
 * plans the change again, under the locks.
 */
export class StaleRead extends Error {
  override name = 'StaleRead';
  constructor() {
    super('what the change was planned on changed before it was written');
  }
}
