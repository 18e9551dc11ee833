import type { Knex } from 'knex';
import { INLINE } from '../inline-limit.js';
import type { ActivityLog, LeadStore, StatusStore, WriteScope } from '../../domain/ports.js';
import { propagationActivity } from '../../domain/records.js';
import { activityRow, type NewActivity } from '../sql/activity.repository.js';
import type { Engine } from '../database.js';
import {
  EmailStatusRepository,
  statusRow,
  type EmailStatusRecord,
} from '../sql/email-status.repository.js';
import type { LeadRecord } from '../../domain/records.js';
import { applyUpdate, changedColumns, columnValue, fromRow, toRow, type Row } from '../lead-row.js';

/**
 * What a batch of lead changes (syncMultipleLeads) may touch: every lead it names by id or
 * foreign id, and every address it names. The session also loads every lead holding the
 * addresses of the leads found, so that propagation to them happens in memory.
 */
export interface BatchScope {
  ids: readonly number[];
  foreignIds: readonly string[];
  emailKeys: readonly string[];
}

/**
 * The batch needs something it did not load (or more than it may hold): the caller must do the
 * work another way. Never a caller's fault.
 */
export class BatchUnsupported extends Error {
  override name = 'BatchUnsupported';
}

/**
 * What the batch read changed under it (an address moved before its lock was taken, a person
 * was deleted): the transaction is redone.
 */
export class BatchMoved extends Error {
  override name = 'BatchMoved';
}

// Beyond these, the per-record path (propagation as set-based SQL, address locks held only
// for one record) is cheaper: the batch would hold every address of the call locked while it
// reads, changes and writes all their people. Measured with test/resilience/stress.ts, where a
// few addresses are shared by thousands.
export const MAX_BATCH_LEADS = 20000;
export const MAX_PEOPLE_PER_ADDRESS = 200;
// Rows per statement: one JSON parameter each, kept to a few megabytes.
const JSON_ROWS = 5000;
// Provisional ids (PostgreSQL's first pass) sort after every real id, as new ids do.
const PROVISIONAL_BASE = 2 ** 52;
// In memory a change takes the next of these, above every stored change_seq, so that the
// batch's own changes are the latest in the order they were made; the flush writes real values
// from the engine's sequence in that same order.
const PROVISIONAL_SEQ_BASE = 2 ** 52;

type Undo = () => void;

interface State {
  /** Each loaded person as loaded (records are replaced on change, never mutated). */
  initial: Map<number, LeadRecord>;
  leads: Map<number, LeadRecord>;
  byKey: Map<string, Set<number>>;
  byForeignId: Map<string, number>;
  statuses: Map<string, EmailStatusRecord | null>;
  created: number[];
  dirty: Set<number>;
  activities: NewActivity[];
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
  private undo: Undo[] = [];
  private nextId: () => number = () => {
    throw new BatchUnsupported('no id source');
  };
  private provisional = 0;
  private seq = PROVISIONAL_SEQ_BASE;
  private reserved: number[] | null = null;
  private sqliteNextId: number | null = null;

  private constructor(
    private readonly db: Knex.Transaction,
    private readonly engine: Engine,
    private readonly loaded: readonly LeadRecord[],
    private readonly loadedStatuses: Map<string, EmailStatusRecord>,
    private readonly keys: ReadonlySet<string>,
    private readonly ids: ReadonlySet<number>,
    private readonly foreignIds: ReadonlySet<string>,
  ) {
    this.reset();
    this.repos = this.repositories();
  }

  /** Locks every address in scope (PostgreSQL), then loads the people and statuses. */
  static async open(
    db: Knex.Transaction,
    engine: Engine,
    scope: BatchScope,
    lock: (keys: readonly string[]) => Promise<void>,
  ): Promise<BatchSession> {
    const ids = new Set(scope.ids);
    const foreignIds = new Set(scope.foreignIds);
    const keys = new Set(scope.emailKeys);
    // One indexed query per kind of key (an OR of them can make the planner scan the table).
    // Row locks (PostgreSQL) only for the leads named by id or foreign id: every writer of a
    // person with an address holds that address's lock, which this batch holds too; a person
    // deleted meanwhile (deletes take no address lock) is caught when the flush updates fewer
    // rows than it should.
    const load = async (forUpdate: boolean, keyList: readonly string[]) => {
      const byId = new Map<number, Row>();
      const run = async (column: string, values: readonly unknown[], lockRows = forUpdate) => {
        if (values.length === 0) return;
        // Never more than a batch may hold: an address shared by a million people is left to
        // the per-record path before it is read into memory.
        let q = inList(db('leads').select('*'), engine, column, values).limit(
          MAX_BATCH_LEADS + 1,
          INLINE,
        );
        if (lockRows && engine === 'postgres') q = q.forUpdate();
        for (const r of (await q) as Row[]) byId.set(Number(r.id), r);
        if (byId.size > MAX_BATCH_LEADS) throw new BatchUnsupported('too many people in one batch');
      };
      await run('email_key', keyList, false);
      await run('id', [...ids]);
      await run('foreign_sys_person_id', [...foreignIds]);
      return [...byId.values()].sort((a, b) => Number(a.id) - Number(b.id));
    };
    // Leads named by id or foreign id may hold addresses the records do not name: read them
    // first without locks, so that every address is locked in one go, in the global order
    // (locking in two rounds lets two batches deadlock). Then everything is read under row
    // locks; an address that moved in between means starting over (the caller retries).
    // Addresses shared by very many people are cheaper on the per-record path (propagation in
    // SQL, locks held briefly): find out before taking any lock.
    if (keys.size > 0) {
      const [row] = (await db
        .from(
          inList(db('leads').select('id'), engine, 'email_key', [...keys])
            .limit(MAX_BATCH_LEADS + 1, INLINE)
            .as('holders'),
        )
        .count({ n: '*' })) as Array<{ n: number | string }>;
      if (Number(row?.n ?? 0) > MAX_BATCH_LEADS)
        throw new BatchUnsupported('too many people in one batch');
      const hot = (await inList(db('leads').select('email_key'), engine, 'email_key', [...keys])
        .groupBy('email_key')
        .havingRaw('count(*) > ?', [MAX_PEOPLE_PER_ADDRESS])
        .limit(1, INLINE)) as Row[];
      if (hot.length > 0) throw new BatchUnsupported('an address shared by very many people');
    }
    const named = ids.size > 0 || foreignIds.size > 0;
    let before = new Map<number, unknown>();
    if (named) {
      const ahead = await load(false, []);
      before = new Map(ahead.map((r) => [Number(r.id), r.email_key ?? null]));
      for (const r of ahead) if (r.email_key) keys.add(r.email_key as string);
    }
    await lock([...keys]);
    const rows = await load(true, [...keys]);
    for (const r of rows) {
      const key = (r.email_key as string | null) ?? null;
      if (key !== null && !keys.has(key)) throw new BatchMoved();
      if (before.has(Number(r.id)) && before.get(Number(r.id)) !== key) throw new BatchMoved();
    }
    if (rows.length > MAX_BATCH_LEADS) throw new BatchUnsupported('too many people in one batch');
    const statuses = new Map<string, EmailStatusRecord>();
    const all = [...keys];
    for (let i = 0; i < all.length; i += 500) {
      const page = await new EmailStatusRepository(db).getMany(all.slice(i, i + 500));
      for (const [k, v] of page) statuses.set(k, v);
    }
    // Decoded once and the rows let go: a second pass (PostgreSQL, new people) starts over from
    // the same records, which no change ever mutates.
    const records = rows.map(fromRow);
    return new BatchSession(db, engine, records, statuses, keys, ids, foreignIds);
  }

  /** Marks the start of one record; `rollbackTo` undoes everything since. */
  savepoint(): number {
    this.undo = [];
    return 0;
  }

  rollbackTo(mark: number): void {
    while (this.undo.length > mark) this.undo.pop()!();
  }

  /**
   * Writes the batch, or, when new people need ids first (PostgreSQL: ids come from a sequence
   * the batch cannot hold), reserves exactly as many ids, forgets the pass and returns false:
   * the caller runs the records again and each new person takes the next reserved id.
   */
  async complete(): Promise<boolean> {
    if (this.reserved === null && this.provisional > 0) {
      const n = this.provisional;
      const r = (await this.db.raw(
        "SELECT nextval(pg_get_serial_sequence('leads', 'id')) AS id FROM generate_series(1, ?)",
        [n],
      )) as { rows: Array<{ id: number | string }> };
      this.reserved = r.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
      this.reset();
      return false;
    }
    if (this.reserved !== null && this.reserved.length > 0) {
      throw new BatchUnsupported('the second pass created fewer people than the first');
    }
    await this.flush();
    return true;
  }

  private reset(): void {
    const leads = new Map<number, LeadRecord>();
    const byKey = new Map<string, Set<number>>();
    const byForeignId = new Map<string, number>();
    for (const k of this.keys) byKey.set(k, new Set());
    for (const l of this.loaded) {
      leads.set(l.id, l);
      if (l.emailKey !== null) byKey.get(l.emailKey)?.add(l.id);
      if (l.foreignSysPersonId !== null) byForeignId.set(l.foreignSysPersonId, l.id);
    }
    const statuses = new Map<string, EmailStatusRecord | null>();
    for (const k of this.keys) statuses.set(k, this.loadedStatuses.get(k) ?? null);
    this.state = {
      initial: new Map(leads),
      leads,
      byKey,
      byForeignId,
      statuses,
      created: [],
      dirty: new Set(),
      activities: [],
      history: [],
    };
    this.undo = [];
    if (this.engine === 'postgres') {
      const reserved = this.reserved;
      this.nextId = reserved
        ? () => {
            const id = reserved.shift();
            if (id === undefined) throw new BatchUnsupported('more new people than reserved');
            return id;
          }
        : () => PROVISIONAL_BASE + this.provisional++;
    }
  }

  private async allocateId(): Promise<number> {
    if (this.engine === 'postgres') {
      const id = this.nextId();
      const reserved = this.reserved;
      if (reserved) this.undo.push(() => reserved.unshift(id));
      else this.undo.push(() => this.provisional--);
      return id;
    }
    // SQLite: this transaction holds the only write lock, so the next ids are ours to take
    // (AUTOINCREMENT: above the highest id ever used, which sqlite_sequence remembers).
    if (this.sqliteNextId === null) {
      const r = (await this.db.raw(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'leads'), 0), coalesce((SELECT max(id) FROM leads), 0)) AS m",
      )) as Array<{ m: number }>;
      this.sqliteNextId = Number(r[0]?.m ?? 0) + 1;
    }
    const id = this.sqliteNextId++;
    this.undo.push(() => this.sqliteNextId!--);
    return id;
  }

  // --- the in-memory state, every change undoable ------------------------------------------

  private putLead(next: LeadRecord): void {
    const s = this.state;
    const prev = s.leads.get(next.id);
    s.leads.set(next.id, next);
    if (prev?.emailKey !== next.emailKey) {
      if (prev?.emailKey) s.byKey.get(prev.emailKey)?.delete(next.id);
      if (next.emailKey) this.keyed(next.emailKey).add(next.id);
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
        if (next.emailKey) s.byKey.get(next.emailKey)?.delete(next.id);
        if (prev?.emailKey) s.byKey.get(prev.emailKey)?.add(next.id);
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

  private keyed(key: string): Set<number> {
    const set = this.state.byKey.get(key);
    if (!set) throw new BatchUnsupported(`address outside the batch`);
    return set;
  }

  private pushActivities(list: readonly NewActivity[]): void {
    const s = this.state;
    const before = s.activities.length;
    for (const a of list) s.activities.push({ ...a, extra: a.extra?.map(([k, v]) => [k, v]) });
    this.undo.push(() => void (s.activities.length = before));
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
    const byEmailKey = (key: string): LeadRecord[] =>
      [...session.keyed(key)]
        .map((id) => session.state.leads.get(id)!)
        .sort((a, b) => b.changeSeq - a.changeSeq || b.id - a.id);
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
        return byEmailKey(key)[0] ?? null;
      },
      async lockRow(lead) {
        return session.state.leads.get(lead.id) ?? null;
      },
      async insert(lead) {
        if (lead.emailKey !== null) session.keyed(lead.emailKey);
        const id = await session.allocateId();
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
        const created = session.state.created;
        created.push(id);
        session.undo.push(() => void created.pop());
        return id;
      },
      async update(id, change, now) {
        const current = session.state.leads.get(id);
        if (!current) return null;
        if (change.emailKey !== undefined && change.emailKey !== null)
          session.keyed(change.emailKey);
        const next = applyUpdate(current, change, now);
        next.changeSeq = session.nextSeq();
        session.putLead(next);
        return next;
      },
      async propagateUnsubscribed(key, unsubscribed, exceptLeadId, now, activity) {
        const followers = [...session.keyed(key)]
          .filter((id) => id !== exceptLeadId)
          .map((id) => session.state.leads.get(id)!)
          .filter((l) => l.unsubscribed !== unsubscribed)
          .sort((a, b) => a.id - b.id);
        session.pushActivities(
          followers.map((l) => propagationActivity(l.id, unsubscribed, now, activity)),
        );
        for (const l of followers) {
          const next = cloneRecord(l);
          next.unsubscribed = unsubscribed;
          next.columns.unsubscribed = unsubscribed;
          next.updatedAt = now;
          next.changeSeq = session.nextSeq();
          session.putLead(next);
        }
        return followers.length;
      },
    };
    const emailStatus: StatusStore = {
      async get(key) {
        if (!session.state.statuses.has(key))
          throw new BatchUnsupported('address outside the batch');
        const s = session.state.statuses.get(key) ?? null;
        return s ? { ...s } : null;
      },
      async set(status) {
        const s = session.state;
        if (!s.statuses.has(status.emailKey))
          throw new BatchUnsupported('address outside the batch');
        const prev = s.statuses.get(status.emailKey) ?? null;
        s.statuses.set(status.emailKey, { ...status });
        s.history.push({ ...status });
        session.undo.push(() => {
          s.statuses.set(status.emailKey, prev);
          s.history.pop();
        });
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
        await emailStatus.set(status);
        const { emailKey: key, unsubscribed, changedAt: now } = status;
        return leads.propagateUnsubscribed(key, unsubscribed, exceptLeadId, now, activity);
      },
      async updateLogged(id, change, now, list) {
        const after = await leads.update(id, change, now);
        if (after) session.pushActivities(list);
        return after;
      },
    };
  }

  // --- writing it out ----------------------------------------------------------------------

  private async flush(): Promise<void> {
    const s = this.state;
    await this.assignChangeSeqs();
    const created = new Set(s.created);
    // Changed people first: one set-based UPDATE from a JSON array of their final rows. A
    // foreign id may pass from one person to another within the batch, and unique keys are
    // checked row by row: the ids that move are cleared first, then set to their final values.
    const changed = [...s.dirty].filter((id) => !created.has(id)).sort((a, b) => a - b);
    if (changed.length > 0) {
      const moved = changed.filter(
        (id) => s.leads.get(id)!.foreignSysPersonId !== s.initial.get(id)!.foreignSysPersonId,
      );
      if (moved.length > 0) {
        await this.db('leads').whereIn('id', moved).update({ foreign_sys_person_id: null });
      }
      // Only the columns some person's change touched: fewer values to carry and decode. Found
      // field by field, without building each person's row (twice) only to compare them.
      const touched = new Set<string>(['updated_at']);
      for (const id of changed) changedColumns(s.initial.get(id)!, s.leads.get(id)!, touched);
      const columns = [...touched];
      let updated = 0;
      for (let i = 0; i < changed.length; i += JSON_ROWS) {
        const leads = changed.slice(i, i + JSON_ROWS).map((id) => s.leads.get(id)!);
        updated += await this.updateFromJson(columns, leads);
      }
      if (this.engine === 'postgres' && updated !== changed.length) throw new BatchMoved();
    }
    // New people (after the changes above released what they take): ids as allocated.
    const fresh = s.created.map((id) => toRow(s.leads.get(id)!));
    await this.insertFromJson('leads', fresh);
    // Master statuses: the last state of each address, and every change in order.
    const finalStatuses = new Map<string, EmailStatusRecord>();
    for (const h of s.history) finalStatuses.set(h.emailKey, h);
    await this.insertFromJson(
      'email_status',
      [...finalStatuses.values()].map(statusRow),
      'email_key',
    );
    await this.insertFromJson('email_status_history', s.history.map(statusRow));
    // Activities, in the order the rules wrote them (ids follow that order).
    await this.insertFromJson('activities', s.activities.map(activityRow));
  }

  /**
   * Every person the batch changed takes a real change_seq, in the order of its provisional
   * one: the order the records were applied in, as if they had been sent one by one.
   */
  private async assignChangeSeqs(): Promise<void> {
    const s = this.state;
    const changed = [...s.dirty]
      .map((id) => s.leads.get(id)!)
      .sort((a, b) => a.changeSeq - b.changeSeq);
    if (changed.length === 0) return;
    let values: number[];
    if (this.engine === 'postgres') {
      const r = (await this.db.raw(
        "SELECT nextval('leads_change_seq') AS v FROM generate_series(1, ?)",
        [changed.length],
      )) as { rows: Array<{ v: number | string }> };
      values = r.rows.map((x) => Number(x.v)).sort((a, b) => a - b);
    } else {
      // This transaction holds SQLite's only write lock: the next values are ours.
      const r = (await this.db.raw(
        'SELECT coalesce(max(change_seq), 0) AS m FROM leads',
      )) as Array<{ m: number }>;
      const base = Number(r[0]?.m ?? 0);
      values = changed.map((_, i) => base + i + 1);
    }
    // The records are final: replaced, never mutated, as everywhere in the session.
    changed.forEach((l, i) => s.leads.set(l.id, { ...l, changeSeq: values[i]! }));
  }

  /**
   * A multi-row INSERT (or upsert on `conflictKey`) whose rows travel as one JSON parameter,
   * inserted in array order: the statement text does not grow with the rows.
   */
  private async insertFromJson(table: string, rows: readonly Row[], conflictKey?: string) {
    if (rows.length === 0) return;
    const names = new Set<string>();
    for (const r of rows) for (const c in r) names.add(c);
    const columns = [...names];
    const cols = columns.map(quote).join(', ');
    const upsert = conflictKey
      ? ` ON CONFLICT (${quote(conflictKey)}) DO UPDATE SET ${columns
          .filter((c) => c !== conflictKey)
          .map((c) => `${quote(c)} = excluded.${quote(c)}`)
          .join(', ')}`
      : '';
    for (let i = 0; i < rows.length; i += JSON_ROWS) {
      // The rows as they are, not a copy of each: a key a row lacks reads as NULL on both
      // engines, as the explicit null it used to be given did.
      const json = JSON.stringify(rows.slice(i, i + JSON_ROWS));
      if (this.engine === 'postgres') {
        await this.db.raw(
          `INSERT INTO ${quote(table)} (${cols})
           SELECT ${columns.map((c) => `v.${quote(c)}`).join(', ')}
           FROM json_array_elements(?::json) WITH ORDINALITY AS e(j, n)
           CROSS JOIN LATERAL json_populate_record(NULL::${quote(table)}, e.j) AS v
           ORDER BY e.n${upsert}`,
          [json],
        );
      } else {
        // WHERE true: SQLite's parser needs it between INSERT … SELECT and ON CONFLICT.
        await this.db.raw(
          `INSERT INTO ${quote(table)} (${cols})
           SELECT ${columns.map((c) => `value ->> ${sqlString(c)}`).join(', ')}
           FROM json_each(?) WHERE true ORDER BY key${upsert}`,
          [json],
        );
      }
    }
  }

  /** Returns how many rows it updated (PostgreSQL; SQLite's count is not needed). */
  private async updateFromJson(
    columns: readonly string[],
    leads: readonly LeadRecord[],
  ): Promise<number> {
    const target = columns.map(quote).join(', ');
    const json = JSON.stringify(
      leads.map((l) => {
        const row: Row = { id: l.id };
        for (const c of columns) row[c] = columnValue(l, c) ?? null;
        return row;
      }),
    );
    if (this.engine === 'postgres') {
      const result: unknown = await this.db.raw(
        // ROW(): PostgreSQL takes a bare parenthesised list only for two columns or more.
        `UPDATE leads AS l SET (${target}) = ROW(${columns.map((c) => `v.${quote(c)}`).join(', ')})
         FROM json_populate_recordset(NULL::leads, ?::json) AS v WHERE l.id = v.id`,
        [json],
      );
      return (result as { rowCount: number | null }).rowCount ?? 0;
    }
    const picks = columns.map((c) => `value ->> ${sqlString(c)} AS ${quote(c)}`).join(', ');
    await this.db.raw(
      `UPDATE leads SET (${target}) = (${columns.map((c) => `v.${quote(c)}`).join(', ')})
       FROM (SELECT value ->> 'id' AS id, ${picks} FROM json_each(?)) AS v WHERE leads.id = v.id`,
      [json],
    );
    return leads.length;
  }
}

const quote = (c: string) => `"${c.replace(/"/g, '""')}"`;

/**
 * `column IN (values)`. SQLite gets the values as one JSON parameter, so the statement text is
 * the same whatever their number and its prepared form can be reused.
 */
function inList(
  q: Knex.QueryBuilder,
  engine: Engine,
  column: string,
  values: readonly unknown[],
): Knex.QueryBuilder {
  if (engine === 'postgres') return q.whereIn(column, values as Knex.Value[]);
  return q.whereRaw(`?? IN (SELECT value FROM json_each(?))`, [column, JSON.stringify(values)]);
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
