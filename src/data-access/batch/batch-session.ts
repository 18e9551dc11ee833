import type { Knex } from 'knex';
import type { ActivityLog, LeadStore, StatusStore, WriteScope } from '../../domain/ports.js';
import {
  propagationActivity,
  type EmailStatusRecord,
  type LeadRecord,
  type LeadUpdate,
  type NewActivity,
  type PropagationActivity,
} from '../../domain/records.js';
import type { Engine } from '../database.js';
import { applyUpdate } from '../lead-row.js';
import { BatchUnsupported } from './batch-errors.js';
import { BatchWriter, type BatchResult } from './batch-flush.js';
import type { FollowerRun } from './batch-log.js';
import { loadBatch, type BatchScope, type LoadedBatch } from './batch-load.js';
import { NewLeadIds } from './new-lead-ids.js';

export { BatchMoved, BatchUnsupported } from './batch-errors.js';

export { MAX_BATCH_LEADS, MAX_PEOPLE_PER_ADDRESS, type BatchScope } from './batch-load.js';

// In memory a change takes the next of these, above every stored change_seq, so that the
// batch's own changes are the latest in the order they were made; the flush writes real values
// from the engine's sequence in that same order.
const PROVISIONAL_SEQ_BASE = 2 ** 52;

type Undo = () => void;

interface State {
  /** Each loaded person as loaded (records are replaced on change, never mutated). */
  initial: Map<number, LeadRecord>;
  leads: Map<number, LeadRecord>;
  /** The people holding each address in scope (a few each: a list, not a Set per address). */
  byKey: Map<string, number[]>;
  byForeignId: Map<string, number>;
  /** The statuses the records set (null: none); the others are as loaded (statusOf). */
  statuses: Map<string, EmailStatusRecord | null>;
  created: number[];
  dirty: Set<number>;
  activities: NewActivity[];
  /** The propagations among `activities` (batch-log.ts). */
  runs: FollowerRun[];
  history: EmailStatusRecord[];
}

function cloneRecord(l: LeadRecord): LeadRecord {
  return { ...l, columns: { ...l.columns }, custom: { ...l.custom } };
}

/**
 * One syncMultipleLeads call as a unit of work over memory: everything the batch can read is
 * loaded (and locked) up front with a handful of set-based statements, the domain rules run
 * unchanged against repositories that read that memory and buffer their writes, and `complete`
 * writes the result with one statement per table. Each record can be undone on its own
 * (savepoint / rollbackTo), so a record the rules refuse leaves no trace.
 */
export class BatchSession {
  /** The rules' write scope: reads come from what the batch loaded, writes are buffered. */
  readonly repos: WriteScope;
  private state!: State;
  private readonly loaded: readonly LeadRecord[];
  private readonly loadedStatuses: Map<string, EmailStatusRecord>;
  private readonly keys: ReadonlySet<string>;
  private readonly ids: ReadonlySet<number>;
  private readonly foreignIds: ReadonlySet<string>;
  private readonly newIds: NewLeadIds;
  private undo: Undo[] = [];
  /**
   * The lengths of the lists a record only appends to (activities, new people) at its
   * savepoint: cut back to them on rollback, rather than an undo step per append.
   */
  private activitiesMark = 0;
  private createdMark = 0;
  private runsMark = 0;
  private seq = PROVISIONAL_SEQ_BASE;

  private constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly engine: Engine,
    /** What the batch read (a snapshot, when read outside a write transaction). */
    readonly snapshot: LoadedBatch,
  ) {
    this.loaded = snapshot.records;
    this.loadedStatuses = snapshot.statuses;
    this.keys = snapshot.keys;
    this.ids = snapshot.ids;
    this.foreignIds = snapshot.foreignIds;
    this.newIds = new NewLeadIds(engine, snapshot.sqliteHighs);
    this.reset();
    this.repos = this.repositories();
  }

  /**
   * Locks every address in scope (PostgreSQL), then loads the people and statuses. `db`: a
   * write transaction, or (SQLite, batch-checked.ts) a reader outside any: `complete` then
   * cannot be used.
   */
  static async open(
    db: Knex | Knex.Transaction,
    engine: Engine,
    scope: BatchScope,
    lock: (keys: readonly string[]) => Promise<void>,
  ): Promise<BatchSession> {
    return new BatchSession(db, engine, await loadBatch(db, engine, scope, lock));
  }

  /** What the records have left to write so far (batch-checked.ts writes it). */
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

  /**
   * Writes the batch, or, when new people need ids first (PostgreSQL: ids come from a sequence
   * the batch cannot hold), reserves exactly as many ids, forgets the pass and returns false:
   * the caller runs the records again and each new person takes the next reserved id.
   */
  async complete(): Promise<boolean> {
    const n = this.newIds.unreserved;
    if (n > 0) {
      const r = (await (this.db as Knex.Transaction).raw(
        "SELECT nextval(pg_get_serial_sequence('leads', 'id')) AS id FROM generate_series(1, ?)",
        [n],
      )) as { rows: Array<{ id: number | string }> };
      this.newIds.reserve(r.rows.map((x) => Number(x.id)));
      this.reset();
      return false;
    }
    if (this.newIds.unused > 0) {
      throw new BatchUnsupported('the second pass created fewer people than the first');
    }
    if (this.db.isTransaction !== true) throw new Error('a batch read outside a transaction');
    const trx = this.db as Knex.Transaction;
    await new BatchWriter(trx, this.engine, this.state, this.snapshot.sqliteHighs).write();
    return true;
  }

  private reset(): void {
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

  // --- the in-memory state, every change undoable ------------------------------------------

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

  /** The master status of an address in scope, as the records left it (null: none). */
  private statusOf(key: string): EmailStatusRecord | null {
    const changed = this.state.statuses.get(key);
    if (changed !== undefined) return changed;
    if (!this.keys.has(key)) throw new BatchUnsupported('address outside the batch');
    return this.loadedStatuses.get(key) ?? null;
  }

  /**
   * The rules' activities as given, not copies: each is a new object the rules never touch
   * again (as the SQL repository, which only reads them to write them). Undone by
   * rollbackTo (activitiesMark).
   */
  private pushActivities(list: readonly NewActivity[]): void {
    for (const a of list) this.state.activities.push(a);
  }

  // The writes of the stores below, as plain calls: a store method that awaited another cost
  // every record of a batch an async call more (allocations, a microtask).

  private updateLead(id: number, change: LeadUpdate, now: number): LeadRecord | null {
    const current = this.state.leads.get(id);
    if (!current) return null;
    if (change.emailKey !== undefined && change.emailKey !== null) this.keyed(change.emailKey);
    const next = applyUpdate(current, change, now);
    next.changeSeq = this.nextSeq();
    this.putLead(next);
    return next;
  }

  private propagate(
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

  private setStatus(status: EmailStatusRecord): void {
    const s = this.state;
    const prev = this.statusOf(status.emailKey);
    s.statuses.set(status.emailKey, { ...status });
    s.history.push({ ...status });
    this.undo.push(() => {
      s.statuses.set(status.emailKey, prev);
      s.history.pop();
    });
  }

  /**
   * The write scope of the domain's rules over this memory: plain objects, no inheritance, so
   * a call the rules start making (domain/ports.ts) fails to compile here until it is served.
   * Reads hand out the records themselves: a change never mutates one, it puts a new one in
   * its place (cloneRecord), so what a caller holds stays as it was read.
   */
  private repositories(): WriteScope {
    // The store objects below need the session in their own methods.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const session = this;
    // The latest change first, then the highest id: the SQL repository's order. One pass,
    // no array: it runs for every record matched by email.
    const latestOf = (key: string): LeadRecord | null => {
      let latest: LeadRecord | null = null;
      for (const id of session.keyed(key)) {
        const l = session.state.leads.get(id)!;
        if (
          !latest ||
          l.changeSeq > latest.changeSeq ||
          (l.changeSeq === latest.changeSeq && l.id > latest.id)
        )
          latest = l;
      }
      return latest;
    };
    const leads: LeadStore = {
      async findById(id) {
        const l = session.state.leads.get(id);
        if (l) return l;
        if (!session.ids.has(id)) throw new BatchUnsupported('lead outside the batch');
        return null;
      },
      async findByForeignId(foreignId) {
        const id = session.state.byForeignId.get(foreignId);
        if (id !== undefined) return session.state.leads.get(id)!;
        if (!session.foreignIds.has(foreignId))
          throw new BatchUnsupported('foreign id outside the batch');
        return null;
      },
      async findLatestByEmailKey(key) {
        return latestOf(key);
      },
      async lockRow(lead) {
        return session.state.leads.get(lead.id) ?? null;
      },
      async insert(lead) {
        if (lead.emailKey !== null) session.keyed(lead.emailKey);
        const id = session.newIds.next(session.undo);
        const columns = { ...lead.columns, unsubscribed: lead.unsubscribed };
        session.putLead({
          id,
          email: lead.email,
          emailKey: lead.emailKey,
          partition: lead.partition,
          foreignSysPersonId: lead.foreignSysPersonId,
          foreignSysType: lead.foreignSysType,
          unsubscribed: lead.unsubscribed,
          columns,
          // What the database would give back: the JSON text, parsed.
          custom: JSON.parse(JSON.stringify(lead.custom)) as LeadRecord['custom'],
          createdAt: lead.now,
          updatedAt: lead.now,
          changeSeq: session.nextSeq(),
        });
        session.state.created.push(id); // undone by rollbackTo (createdMark)
        return id;
      },
      async update(id, change, now) {
        return session.updateLead(id, change, now);
      },
      async propagateUnsubscribed(key, unsubscribed, exceptLeadId, now, activity) {
        return session.propagate(key, unsubscribed, exceptLeadId, now, activity);
      },
    };
    const emailStatus: StatusStore = {
      async get(key) {
        const s = session.statusOf(key);
        return s ? { ...s } : null;
      },
      async set(status) {
        session.setStatus(status);
      },
    };
    const activities: ActivityLog = {
      async insert(list) {
        session.pushActivities(list);
      },
    };
    return {
      leads,
      emailStatus,
      activities,
      async lockEmailKeys(keys) {
        for (const k of keys) if (k !== null && !session.keys.has(k)) session.keyed(k);
      },
      async setStatusAndPropagate(status, exceptLeadId, activity) {
        session.setStatus(status);
        const { emailKey: key, unsubscribed, changedAt: now } = status;
        return session.propagate(key, unsubscribed, exceptLeadId, now, activity);
      },
      async updateLogged(id, change, now, list) {
        const after = session.updateLead(id, change, now);
        if (after) session.pushActivities(list);
        return after;
      },
    };
  }
}
