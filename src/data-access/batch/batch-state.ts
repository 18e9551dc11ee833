import {
  propagationActivity,
  type EmailStatusRecord,
  type LeadRecord,
  type LeadUpdate,
  type NewActivity,
  type NewLead,
  type PropagationActivity,
} from '../../domain/records.js';
import { applyUpdate, newLeadRecord } from '../lead-row.js';
import { BatchUnsupported } from './batch-errors.js';
import type { BatchResult } from './batch-flush.js';
import type { LoadedBatch } from './batch-load.js';
import type { NewLeadIds } from './new-lead-ids.js';

// In memory a change takes the next of these, above every stored change_seq, so that the
// batch's own changes are the latest in the order they were made; the flush writes real values
// from the engine's sequence in that same order.
const PROVISIONAL_SEQ_BASE = 2 ** 52;

type Undo = () => void;

/** What the batch leaves to write, and the indexes the rules' reads go by. */
interface State extends BatchResult {
  /** The people holding each address in scope (a few each: a list, not a Set per address). */
  byKey: Map<string, number[]>;
  byForeignId: Map<string, number>;
  /** The statuses the records set (null: none); the others are as loaded (status). */
  statuses: Map<string, EmailStatusRecord | null>;
}

function cloneRecord(l: LeadRecord): LeadRecord {
  return { ...l, columns: { ...l.columns }, custom: { ...l.custom } };
}

/**
 * A batch's memory: the people and statuses it loaded, as the records change them, and what
 * it has left to write (BatchResult: its people, the activities and their follower runs, the
 * statuses' history). Every change can be undone back to a record's savepoint, so a record
 * the rules refuse leaves no trace. Nothing here reads or writes the database: batch-load.ts
 * reads, batch-flush.ts writes, batch-session.ts joins them; the rules reach this memory
 * through batch-write-scope.ts.
 */
export class BatchState {
  private state!: State;
  private readonly loaded: readonly LeadRecord[];
  private readonly loadedStatuses: Map<string, EmailStatusRecord>;
  private readonly keys: ReadonlySet<string>;
  private readonly ids: ReadonlySet<number>;
  private readonly foreignIds: ReadonlySet<string>;
  private undo: Undo[] = [];
  /**
   * The lengths of the lists a record only appends to (activities, new people) at its
   * savepoint: cut back to them on rollback, rather than an undo step per append.
   */
  private activitiesMark = 0;
  private createdMark = 0;
  private runsMark = 0;
  private seq = PROVISIONAL_SEQ_BASE;

  constructor(
    snapshot: LoadedBatch,
    /** The ids of the people the records create (shared with the session, which reserves them). */
    private readonly newIds: NewLeadIds,
  ) {
    this.loaded = snapshot.records;
    this.loadedStatuses = snapshot.statuses;
    this.keys = snapshot.keys;
    this.ids = snapshot.ids;
    this.foreignIds = snapshot.foreignIds;
    this.reset();
  }

  /** What the records have left to write so far. */
  get result(): BatchResult {
    return this.state;
  }

  /** Marks the start of one record; `rollbackTo` undoes everything since. */
  savepoint(): number {
    // The record before is kept: its undo steps are let go (one array for the whole batch).
    this.undo.length = 0;
    this.activitiesMark = this.state.activities.length;
    this.createdMark = this.state.created.length;
    this.runsMark = this.state.runs.length;
    return 0;
  }

  rollbackTo(mark: number): void {
    while (this.undo.length > mark) this.undo.pop()!();
    this.state.activities.length = this.activitiesMark;
    this.state.created.length = this.createdMark;
    this.state.runs.length = this.runsMark;
  }

  /** Back to what was loaded, every record's change forgotten (a second pass starts here). */
  reset(): void {
    const leads = new Map<number, LeadRecord>();
    const byKey = new Map<string, number[]>();
    const byForeignId = new Map<string, number>();
    for (const k of this.keys) byKey.set(k, []);
    for (const l of this.loaded) {
      leads.set(l.id, l);
      if (l.emailKey !== null) byKey.get(l.emailKey)?.push(l.id);
      if (l.foreignSysPersonId !== null) byForeignId.set(l.foreignSysPersonId, l.id);
    }
    // Only what the records change: a copy of every loaded status was a map per batch.
    const statuses = new Map<string, EmailStatusRecord | null>();
    this.state = {
      initial: new Map(leads),
      leads,
      byKey,
      byForeignId,
      statuses,
      created: [],
      dirty: new Set(),
      activities: [],
      runs: [],
      history: [],
    };
    this.undo = [];
    this.activitiesMark = 0;
    this.createdMark = 0;
    this.runsMark = 0;
  }

  // --- reads: the records themselves (a change puts a new one in place, never mutates) -----

  /** A person by id (null: none); an id the batch did not load is BatchUnsupported. */
  findById(id: number): LeadRecord | null {
    const l = this.state.leads.get(id);
    if (l) return l;
    if (!this.ids.has(id)) throw new BatchUnsupported('lead outside the batch');
    return null;
  }

  /** A person as it now stands, known to the batch or not (null: none). */
  current(id: number): LeadRecord | null {
    return this.state.leads.get(id) ?? null;
  }

  findByForeignId(foreignId: string): LeadRecord | null {
    const id = this.state.byForeignId.get(foreignId);
    if (id !== undefined) return this.state.leads.get(id)!;
    if (!this.foreignIds.has(foreignId)) throw new BatchUnsupported('foreign id outside the batch');
    return null;
  }

  /**
   * The latest change first, then the highest id: the SQL repository's order. One pass, no
   * array: it runs for every record matched by email. `partitions`: among their people only.
   */
  findLatestByEmailKey(key: string, partitions?: readonly string[]): LeadRecord | null {
    let latest: LeadRecord | null = null;
    for (const id of this.keyed(key)) {
      const l = this.state.leads.get(id)!;
      if (partitions && !partitions.includes(l.partition)) continue;
      if (
        !latest ||
        l.changeSeq > latest.changeSeq ||
        (l.changeSeq === latest.changeSeq && l.id > latest.id)
      )
        latest = l;
    }
    return latest;
  }

  /** The master status of an address in scope, as the records left it (null: none). */
  status(key: string): EmailStatusRecord | null {
    const changed = this.state.statuses.get(key);
    if (changed !== undefined) return changed;
    if (!this.keys.has(key)) throw new BatchUnsupported('address outside the batch');
    return this.loadedStatuses.get(key) ?? null;
  }

  /** Every address is one the batch holds (its lock taken when it loaded); else BatchUnsupported. */
  checkKeys(keys: ReadonlyArray<string | null>): void {
    for (const k of keys) if (k !== null && !this.keys.has(k)) this.keyed(k);
  }

  /** checkKeys of one key (no list made for it). */
  checkKey(key: string): void {
    if (!this.keys.has(key)) this.keyed(key);
  }

  // --- writes, every one undoable -----------------------------------------------------------

  insertLead(lead: NewLead): number {
    if (lead.emailKey !== null) this.keyed(lead.emailKey);
    const id = this.newIds.next(this.undo);
    this.putLead(newLeadRecord(lead, id, this.nextSeq()));
    this.state.created.push(id); // undone by rollbackTo (createdMark)
    return id;
  }

  updateLead(id: number, change: LeadUpdate, now: number): LeadRecord | null {
    const current = this.state.leads.get(id);
    if (!current) return null;
    if (change.emailKey !== undefined && change.emailKey !== null) this.keyed(change.emailKey);
    const next = applyUpdate(current, change, now);
    next.changeSeq = this.nextSeq();
    this.putLead(next);
    return next;
  }

  /** Rule 2 over memory: the address's other people follow its status (lead-propagation.ts). */
  propagate(
    key: string,
    unsubscribed: boolean,
    exceptLeadId: number | null,
    now: number,
    activity: PropagationActivity,
  ): number {
    const followers = [...this.keyed(key)]
      .filter((id) => id !== exceptLeadId)
      .map((id) => this.state.leads.get(id)!)
      .filter((l) => l.unsubscribed !== unsubscribed)
      .sort((a, b) => a.id - b.id);
    // Which of the activities are this propagation's followers: the flush logs them in the
    // database's form (batch-log.ts). Undone by rollbackTo (runsMark).
    const at = this.state.activities.length;
    if (followers.length > 0)
      this.state.runs.push({ at, count: followers.length, unsubscribed, now, activity });
    this.pushActivities(
      followers.map((l) => propagationActivity(l.id, unsubscribed, now, activity)),
    );
    for (const l of followers) {
      const next = cloneRecord(l);
      next.unsubscribed = unsubscribed;
      next.columns.unsubscribed = unsubscribed;
      next.updatedAt = now;
      next.changeSeq = this.nextSeq();
      this.putLead(next);
    }
    return followers.length;
  }

  setStatus(status: EmailStatusRecord): void {
    const s = this.state;
    const prev = this.status(status.emailKey);
    // As a status write to the table: the row keeps its opt_outs_recorded_since.
    const since = prev?.optOutsRecordedSince;
    const mark = since === undefined ? {} : { optOutsRecordedSince: since };
    s.statuses.set(status.emailKey, { ...status, ...mark });
    s.history.push({ ...status });
    this.undo.push(() => {
      s.statuses.set(status.emailKey, prev);
      s.history.pop();
    });
  }

  /**
   * The rules' activities as given, not copies: each is a new object the rules never touch
   * again (as the SQL repository, which only reads them to write them). Undone by
   * rollbackTo (activitiesMark).
   */
  pushActivities(list: readonly NewActivity[]): void {
    for (const a of list) this.state.activities.push(a);
  }

  private putLead(next: LeadRecord): void {
    const s = this.state;
    const prev = s.leads.get(next.id);
    s.leads.set(next.id, next);
    if (prev?.emailKey !== next.emailKey) {
      if (prev?.emailKey) this.release(prev.emailKey, next.id);
      if (next.emailKey) this.keyed(next.emailKey).push(next.id);
    }
    if (prev?.foreignSysPersonId !== next.foreignSysPersonId) {
      if (prev?.foreignSysPersonId) s.byForeignId.delete(prev.foreignSysPersonId);
      if (next.foreignSysPersonId) s.byForeignId.set(next.foreignSysPersonId, next.id);
    }
    const wasDirty = s.dirty.has(next.id);
    s.dirty.add(next.id);
    this.undo.push(() => {
      if (prev) s.leads.set(next.id, prev);
      else s.leads.delete(next.id);
      if (prev?.emailKey !== next.emailKey) {
        if (next.emailKey) this.release(next.emailKey, next.id);
        if (prev?.emailKey) this.keyed(prev.emailKey).push(next.id);
      }
      if (prev?.foreignSysPersonId !== next.foreignSysPersonId) {
        if (next.foreignSysPersonId) s.byForeignId.delete(next.foreignSysPersonId);
        if (prev?.foreignSysPersonId) s.byForeignId.set(prev.foreignSysPersonId, next.id);
      }
      if (!wasDirty) s.dirty.delete(next.id);
    });
  }

  /** The next change in the batch's order (gaps after an undone record do not matter). */
  private nextSeq(): number {
    return this.seq++;
  }

  /** The people holding an address in scope; an address outside it is BatchUnsupported. */
  private keyed(key: string): number[] {
    const holders = this.state.byKey.get(key);
    if (!holders) throw new BatchUnsupported(`address outside the batch`);
    return holders;
  }

  /** `id` no longer holds `key`. */
  private release(key: string, id: number): void {
    const holders = this.state.byKey.get(key);
    const at = holders ? holders.indexOf(id) : -1;
    if (at !== -1) holders!.splice(at, 1);
  }
}
