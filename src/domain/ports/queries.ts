import type {
  ActivityQuery,
  ActivityRecord,
  EmailStatusHistoryRecord,
  EmailStatusRecord,
  InvariantViolation,
  KeptFilter,
  LeadRecord,
  PeopleCriteria,
  PropagationActivity,
  SelectionCounts,
  StatusCursor,
  StatusFilter,
} from '../records.js';
import type { ActivityLog, LeadStore, StatusStore } from './write-scope.js';

/**
 * What the services read (and the few set-based writes they make) beyond the rules of one
 * change: finding people, paging statuses and activities, the console's selections.
 */

/** Updated-since pages go by (updatedAt, id), so deep pages cost the same as the first. */
export interface UpdatePosition {
  updatedAt: number;
  id: number;
}

/** The key a getMultipleLeads page by key selects on. */
export type KeyColumnOf = 'id' | 'emailKey' | 'foreignId';

/** Where a page by key starts: after the last id of the page before, or after `offset` matches. */
export interface KeyPageStart {
  afterId?: number;
  offset?: number;
}

/** What an unsubscribe-once did (LeadQueries.unsubscribeAddressOnce). */
export interface UnsubscribeOnceResult {
  /** false: the address was unsubscribed already, and nothing was written. */
  changed: boolean;
  /** People holding the address whose flag followed. */
  people: number;
  /** When the address's master status changed (now, or when it was unsubscribed before). */
  changedAt: number;
}

/** What the people a key found must still hold to be deleted by it (found unlocked). */
export type StillHolding = { emailKey: string } | { foreignIds: readonly string[] };

export interface LeadQueries extends LeadStore {
  /**
   * The address takes the unsubscribe `status` and its people follow, unless it is
   * unsubscribed already; the address's lock is taken in the same step. It is the last
   * step of its transaction: the store may commit with it (PostgreSQL sends COMMIT in the
   * same message), and any statement after it in that transaction fails.
   */
  unsubscribeAddressOnce(
    status: EmailStatusRecord,
    activity: PropagationActivity,
  ): Promise<UnsubscribeOnceResult>;
  findByIds(ids: readonly number[]): Promise<LeadRecord[]>;
  findByForeignIds(foreignIds: readonly string[]): Promise<LeadRecord[]>;
  /**
   * Everyone holding an address, most recently changed first; `partitions`: only the people
   * of these (a SOAP user confined to them).
   */
  findByEmailKey(
    key: string,
    lock?: boolean,
    limit?: number,
    partitions?: readonly string[],
  ): Promise<LeadRecord[]>;
  findByEmailKeys(keys: readonly string[]): Promise<LeadRecord[]>;
  /** A page of the leads some keys match, in id order: reads the page, not every match. */
  pageByKeys(
    key: KeyColumnOf,
    values: readonly (string | number)[],
    after: KeyPageStart,
    limit: number,
    partitions?: readonly string[],
  ): Promise<LeadRecord[]>;
  countByKeysAfter(
    key: KeyColumnOf,
    values: readonly (string | number)[],
    afterId: number,
    cap: number,
    partitions?: readonly string[],
  ): Promise<number>;
  /** `partitions`: among the people of these only (a SOAP user confined to them). */
  listUpdatedBetween(
    oldest: number,
    latest: number | null,
    after: UpdatePosition | null,
    limit: number,
    partitions?: readonly string[],
  ): Promise<LeadRecord[]>;
  countUpdatedBetween(
    oldest: number,
    latest: number | null,
    after: UpdatePosition | null,
    cap?: number,
    partitions?: readonly string[],
  ): Promise<number>;
  /**
   * Raises the LastUpdateAt horizon to `upTo` (never lowers it): from its commit on, a lead
   * written with an updatedAt at or below it is stamped just past it instead (the store does).
   */
  raiseUpdateHorizon(upTo: number): Promise<void>;
  /**
   * Deletes those of `ids` still there (and, given `still`, still holding that address, or one
   * of those foreign ids); returns the ids it deleted.
   */
  deleteByIds(ids: readonly number[], still?: StillHolding): Promise<number[]>;
  /** propagateUnsubscribed for many addresses at once (every holder follows). */
  propagateUnsubscribedMany(
    keys: readonly string[],
    unsubscribed: boolean,
    now: number,
    activity: PropagationActivity,
  ): Promise<number>;
  /**
   * People whose flag disagrees with their address's own status row (should be none), by id
   * after `afterId`; with them, the people of an address without a row holding one of
   * `withoutStatusHolding` whatever their flag (masterStatus may read a kept opt-out there),
   * their masterUnsubscribed null.
   */
  invariantViolations(
    limit: number,
    afterId?: number,
    withoutStatusHolding?: readonly string[],
  ): Promise<InvariantViolation[]>;
}

export interface StatusQueries extends StatusStore {
  getMany(keys: readonly string[]): Promise<Map<string, EmailStatusRecord>>;
  setMany(statuses: readonly EmailStatusRecord[]): Promise<void>;
  history(key: string): Promise<EmailStatusHistoryRecord[]>;
  /** When the address last became subscribed here (recorded time; null: never). */
  lastSubscribedAt(key: string): Promise<number | null>;
  /**
   * The newest history row's id (0: none) once the status writes in flight have committed: a
   * point in the order statuses were committed in. Holds status writes back until the
   * transaction ends: to be read in a transaction of its own.
   */
  lastHistoryId(): Promise<number>;
  /** Which of the addresses had their status written after the history row `afterId` (by id). */
  writtenAfter(keys: readonly string[], afterId: number): Promise<Set<string>>;
  /** EmailStatusRecord.optOutsRecordedSince, set if the status has none. */
  recordOptOutsSince(key: string, since: number): Promise<void>;
  /** Statuses recorded at or after a time (whatever date they carry), keyset-paged by key. */
  listChangedSince(
    since: number,
    afterKey: string | null,
    limit: number,
  ): Promise<EmailStatusRecord[]>;
  /** The filtered list, newest first. */
  list(f: StatusFilter, after: StatusCursor | null, limit: number): Promise<EmailStatusRecord[]>;
  /** The filtered list in key order (a row is found once however it changes meanwhile). */
  listByKey(f: StatusFilter, afterKey: string | null, limit: number): Promise<EmailStatusRecord[]>;
  /** How many rows the filter keeps, counting no further than `cap`. */
  count(f: StatusFilter, cap: number): Promise<number>;
  /**
   * Opt-outs kept under joined keys (email_status_joined), newest first, before `before` (at
   * or before its changedAt when it names no joined key); emailKey is the joined key.
   */
  keptList(
    f: KeptFilter,
    before: { changedAt: number; joinedKey: string | null } | null,
    limit: number,
  ): Promise<EmailStatusRecord[]>;
  /** The same in joined-key order; with `recordedSince`, those recorded at or after it. */
  keptByKey(
    f: KeptFilter,
    afterKey: string | null,
    limit: number,
    recordedSince?: number,
  ): Promise<EmailStatusRecord[]>;
  /** An address's history, newest first, ids strictly below `beforeId`. */
  historyPage(
    key: string,
    beforeId: number | null,
    limit: number,
  ): Promise<EmailStatusHistoryRecord[]>;
  historyCount(key: string): Promise<number>;
}

export interface ActivityQueries extends ActivityLog {
  /** Moves the history of some people to another (a merge); how many entries moved. */
  reassign(fromLeadIds: readonly number[], toLeadId: number): Promise<number>;
  /** These people's activities below `beforeId`, newest first. */
  listForLeads(
    leadIds: readonly number[],
    beforeId: number | null,
    filter: ActivityQuery,
    limit: number,
  ): Promise<ActivityRecord[]>;
  /** How many lie below `beforeId`, counting no further than `cap` (when given). */
  countForLeads(
    leadIds: readonly number[],
    beforeId: number | null,
    filter: ActivityQuery,
    cap?: number,
  ): Promise<number>;
  /** The change stream: oldest first, ids strictly above `afterId`. */
  listAfter(afterId: number, filter: ActivityQuery, limit: number): Promise<ActivityRecord[]>;
  countAfter(afterId: number, filter: ActivityQuery, cap?: number): Promise<number>;
  /** The id of the n-th activity after `afterId` (ascending), or null when there are fewer. */
  nthIdAfter(afterId: number, n: number): Promise<number | null>;
  /**
   * The lowest id above `afterId`, and at most `maxId` (null: no bound), of an activity
   * `filter` admits, or null: found through the indexes by lead or by type, whatever the
   * distance. `filter` names types by includeTypes only (an exclusion as the types it leaves).
   */
  firstIdAfter(
    afterId: number,
    filter: ActivityQuery,
    maxId: number | null,
  ): Promise<number | null>;
  /** The id just before the first activity created at or after a time (a stream start). */
  idBefore(createdAt: number): Promise<number>;
  /**
   * The highest id the log has handed out, or may have (ids of writes rolled back included):
   * no position issued lies past it (0: none yet).
   */
  highestId(): Promise<number>;
  /**
   * Where a read bounded by these dates may start and stop (ActivityQuery's ownMinId,
   * ownMaxId, followedMaxId): the lowest own id created at or after `oldest`, the highest own
   * id created at or before `latest`, and with `followers` the highest follower's id whose
   * propagation was created at or before `latest`. Exact, whatever order ids and times have.
   */
  dateSeek(
    oldest: number | undefined,
    latest: number | undefined,
    followers: boolean,
  ): Promise<Pick<ActivityQuery, 'ownMinId' | 'ownMaxId' | 'followedMaxId'>>;
  /**
   * The highest id up to which every id is settled: no transaction still in flight holds one
   * (it would commit behind a reader that had passed it). null: ids follow commits (SQLite's
   * one writer). Read it before the rows it bounds.
   */
  settledId(): Promise<number | null>;
}

/** The people an operator selected in the console, and what a change to them would reach. */
export interface PeopleSelection {
  page(c: PeopleCriteria, afterId: number, limit: number): Promise<LeadRecord[]>;
  ids(c: PeopleCriteria, afterId: number, limit: number): Promise<number[]>;
  counts(c: PeopleCriteria): Promise<SelectionCounts>;
  /**
   * How many unsubscribed addresses of the selection have a reason that may hold one of
   * `reasons`: at least every one the whole-word match would find (asking an operator to
   * confirm once too often is safe; never asking when it should is not).
   */
  protectedAddresses(c: PeopleCriteria, reasons: readonly string[]): Promise<number>;
  /**
   * Addresses of the selection without a status of their own that hold one of `letters`, in
   * key order after `afterKey`, at most `limit` (those a kept opt-out may stand for).
   */
  keysWithoutStatus(
    c: PeopleCriteria,
    letters: readonly string[],
    afterKey: string | null,
    limit: number,
  ): Promise<string[]>;
  /**
   * How many unsubscribed people of the selection without an address have an own reason that
   * may hold one of `reasons` (the same superset): their reason is what keeps their opt-out.
   */
  protectedWithoutAddress(c: PeopleCriteria, reasons: readonly string[]): Promise<number>;
  /** The people holding an address, by id. */
  holders(emailKey: string, afterId: number, limit: number): Promise<LeadRecord[]>;
  /** How many people hold an address, in how many partitions. */
  holderCounts(
    emailKey: string,
    exceptId?: number | null,
  ): Promise<{ people: number; partitions: number }>;
}
