import type { Knex } from 'knex';
import type { EmailStatusRecord, LeadRecord, NewActivity } from '../../domain/records.js';
import type { Engine } from '../database.js';
import { changedColumns, columnValue, toRow } from '../lead-row.js';
import { propagationLog, type PropagationLog } from '../propagation-log.js';
import { statusRow } from '../sql/email-status.repository.js';
import { SQLITE_SEQUENCE_PAST_FOLLOWERS } from '../sql/propagation-statements.js';
import { fixedSql, queueCalls, queueStatement, type StatementCall } from '../sql/statement.js';
import type { SqliteHighs } from './batch-load.js';
import { logRows, writesFollowers, type FollowerRun } from './batch-log.js';
import {
  insertRankedRows,
  insertRows,
  queueCheckedRows,
  sqliteRowCalls,
  ROWS_PER_STATEMENT,
  rowSetOf,
  updateRows,
  type RowSet,
  type Shift,
} from './row-sets.js';

/** What a batch leaves to write: its people as loaded and as they now stand, and its logs. */
export interface BatchResult {
  /** Each loaded person as loaded (records are replaced on change, never mutated). */
  initial: Map<number, LeadRecord>;
  leads: Map<number, LeadRecord>;
  created: number[];
  dirty: Set<number>;
  activities: NewActivity[];
  /** The propagations among `activities` (batch-log.ts). */
  runs: FollowerRun[];
  history: EmailStatusRecord[];
}

/** One set-based write of a batch, in the order they must run. */
type Write =
  /** Foreign ids that pass to another person: cleared before the rows take their final ones. */
  | { kind: 'clear'; ids: number[] }
  | { kind: 'update'; table: string; set: RowSet }
  | { kind: 'insert'; table: string; set: RowSet; conflictKey?: string };

/**
 * Every person the batch changed takes a change_seq, in the order of its provisional one (the
 * order the records were applied in, as if they had been sent one by one): `values` gives as
 * many, ascending.
 */
function assignChangeSeqs(s: BatchResult, values: (n: number) => Promise<number[]> | number[]) {
  const changed = [...s.dirty]
    .map((id) => s.leads.get(id)!)
    .sort((a, b) => a.changeSeq - b.changeSeq);
  if (changed.length === 0) return;
  const assign = (v: number[]) => {
    // Set in place, not copied: a changed person's record is one the session made itself
    // (never one it loaded, which `initial` keeps), and the rules are done with it.
    for (let i = 0; i < changed.length; i++) changed[i]!.changeSeq = v[i]!;
  };
  const given = values(changed.length);
  return Array.isArray(given) ? assign(given) : given.then(assign);
}

/**
 * The batch's writes, one set-based statement per table (row-sets.ts), change_seqs given.
 * `activityIds`: the id of each of the batch's activities when its followers are written as
 * follower rows (batch-log.ts), null when every activity is written whole.
 */
function writesOf(s: BatchResult, activityIds: ((i: number) => number) | null): Write[] {
  const writes: Write[] = [];
  const created = new Set(s.created);
  // Changed people first: one set-based UPDATE of their final values. A foreign id may pass
  // from one person to another within the batch, and unique keys are checked row by row: the
  // ids that move are cleared first, then set to their final values.
  const changed = [...s.dirty].filter((id) => !created.has(id)).sort((a, b) => a - b);
  if (changed.length > 0) {
    const moved = changed.filter(
      (id) => s.leads.get(id)!.foreignSysPersonId !== s.initial.get(id)!.foreignSysPersonId,
    );
    if (moved.length > 0) writes.push({ kind: 'clear', ids: moved });
    // Only the columns some person's change touched: fewer values to carry and decode. Found
    // field by field, without building each person's row (twice) only to compare them.
    // change_seq always: every changed person takes a new one, which may be given as an
    // offset or rank that happens to equal the stored value (sqliteBatchCalls, Ranked).
    const touched = new Set<string>(['updated_at', 'change_seq']);
    for (const id of changed) changedColumns(s.initial.get(id)!, s.leads.get(id)!, touched);
    const columns = ['id', ...touched];
    const rows = changed.map((id) => {
      const l = s.leads.get(id)!;
      return columns.map((c) => columnValue(l, c) ?? null);
    });
    writes.push({ kind: 'update', table: 'leads', set: { columns, rows } });
  }
  // New people (after the changes above released what they take): ids as allocated.
  const fresh = s.created.map((id) => toRow(s.leads.get(id)!));
  writes.push({ kind: 'insert', table: 'leads', set: rowSetOf(fresh) });
  // Master statuses: the last state of each address, and every change in order.
  const finalStatuses = new Map<string, EmailStatusRecord>();
  for (const h of s.history) finalStatuses.set(h.emailKey, h);
  const statuses = rowSetOf([...finalStatuses.values()].map(statusRow));
  writes.push({ kind: 'insert', table: 'email_status', set: statuses, conflictKey: 'email_key' });
  writes.push({
    kind: 'insert',
    table: 'email_status_history',
    set: rowSetOf(s.history.map(statusRow)),
  });
  // The log, in the order the rules wrote it (ids follow that order).
  for (const { table, set } of logRows(s.activities, s.runs, activityIds))
    writes.push({ kind: 'insert', table, set });
  return writes.filter((w) => w.kind === 'clear' || w.set.rows.length > 0);
}

const NO_ROWS: RowSet = { columns: [], rows: [] };

/** The people's rows among `writes`: the changed ones' UPDATE, the new ones' INSERT. */
function peopleOf(writes: readonly Write[]): { update: RowSet; insert: RowSet } {
  let update = NO_ROWS;
  let insert = NO_ROWS;
  for (const w of writes) {
    if (w.kind === 'update') update = w.set;
    if (w.kind === 'insert' && w.table === 'leads') insert = w.set;
  }
  return { update, insert };
}

const CLEAR_FOREIGN_IDS = fixedSql(
  'UPDATE leads SET foreign_sys_person_id = NULL WHERE id IN (SELECT value FROM json_each(?))',
  `UPDATE leads SET foreign_sys_person_id = NULL
   WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb))`,
);

const LOG_TABLES = new Set(['activities', 'propagation_events', 'activity_followers']);

/**
 * SQLite: the batch's writes as statements, for a write checked in one message
 * (batch-checked.ts). Its change_seq values are offsets 1, 2, … from `changeSeqBase`, and its
 * activities' ids (followers form) from `activityIdBase`: SQL expressions the writer thread
 * evaluates, the bases being known only there.
 */
export function sqliteBatchCalls(
  s: BatchResult,
  changeSeqBase: string,
  form: PropagationLog,
  activityIdBase: string,
): StatementCall[] {
  assignChangeSeqs(s, (n) => Array.from({ length: n }, (_, i) => i + 1));
  const followers = writesFollowers(form, s.runs);
  const seqShift: Shift[] = [{ column: 'change_seq', by: changeSeqBase }];
  const idShift: Shift[] = [
    { column: 'id', by: activityIdBase },
    { column: 'event_id', by: activityIdBase },
  ];
  const calls = writesOf(s, followers ? (i) => i + 1 : null).flatMap((w): StatementCall[] => {
    if (w.kind === 'clear') return [[CLEAR_FOREIGN_IDS, [JSON.stringify(w.ids)]]];
    const shifts = LOG_TABLES.has(w.table) ? idShift : seqShift;
    return sqliteRowCalls(
      w.kind,
      w.table,
      w.set,
      shifts,
      w.kind === 'insert' ? w.conflictKey : undefined,
    );
  });
  if (followers) calls.push([SQLITE_SEQUENCE_PAST_FOLLOWERS, []]);
  return calls;
}

/** Writes a batch's result with one set-based statement per table (row-sets.ts). */
export class BatchWriter {
  constructor(
    private readonly db: Knex.Transaction,
    private readonly engine: Engine,
    private readonly state: BatchResult,
    private readonly sqliteHighs?: SqliteHighs,
  ) {}

  /**
   * `reserved`: PostgreSQL, change_seq values taken with the new people's ids (batch-session.ts),
   * used when there are as many as people to write.
   */
  async write(reserved?: readonly number[]): Promise<void> {
    // PostgreSQL, a batch that created nobody (the usual update): the change_seq values of the
    // people it changed are ranks, which their UPDATE turns into values of the sequence it takes
    // itself (row-sets.ts, queueCheckedRows), where reading them first cost a round trip. (Taking
    // them there for new people too, an INSERT beside the UPDATE in one statement, cost the
    // server more than reading them with the new people's ids.)
    const s = this.state;
    const pg = this.engine === 'postgres';
    const given = reserved?.length === s.dirty.size ? reserved : undefined;
    const ranked =
      pg && !given && s.created.length === 0 && s.dirty.size <= ROWS_PER_STATEMENT
        ? { column: 'change_seq', sequence: 'leads_change_seq', count: s.dirty.size }
        : undefined;
    await assignChangeSeqs(s, (n) =>
      given ? [...given] : ranked ? Array.from({ length: n }, (_, i) => i + 1) : this.changeSeqs(n),
    );
    const followers = writesFollowers(propagationLog(this.db), s.runs);
    // PostgreSQL: the log's ids are ranks among values its one statement takes (below); a log
    // too long for one statement reads its ids first.
    const inStatement = followers && pg && s.activities.length <= ROWS_PER_STATEMENT;
    const ids = !followers
      ? null
      : inStatement
        ? (i: number) => i + 1
        : await this.activityIds(s.activities.length);
    const writes = writesOf(s, ids);
    const log: Array<{ table: string; set: RowSet }> = [];
    // PostgreSQL: the people's UPDATE and INSERT, queued together (queueCheckedRows).
    let people: { update: RowSet; insert: RowSet } | null = pg ? peopleOf(writes) : null;
    for (const w of writes) {
      if (inStatement && w.kind === 'insert' && LOG_TABLES.has(w.table)) {
        log.push(w);
      } else if (w.kind === 'clear') {
        // Its result is not read: it goes with the UPDATE that follows it.
        await queueCalls(this.db, [[CLEAR_FOREIGN_IDS, [JSON.stringify(w.ids)]]]);
      } else if (people && w.table === 'leads') {
        // Nothing of it is awaited: the UPDATE checks its own count (a person deleted since
        // the batch read it fails the statement, and the transaction is run again).
        await queueCheckedRows(this.db, 'leads', people.update, people.insert, ranked);
        people = null;
      } else if (w.kind === 'insert') {
        if (!pg || w.table !== 'leads')
          await insertRows(this.db, this.engine, w.table, w.set, w.conflictKey);
      } else if (!pg) {
        // SQLite: the batch holds the file's only write lock, and nobody deleted anyone.
        await updateRows(this.db, this.engine, w.table, w.set);
      }
    }
    if (log.length > 0)
      await insertRankedRows(this.db, log, {
        columns: ['id', 'event_id'],
        sequence: 'activities_id_seq',
        count: s.activities.length,
      });
    if (ids && !pg) await queueStatement(this.db, SQLITE_SEQUENCE_PAST_FOLLOWERS, []);
  }

  /**
   * The ids of the batch's `n` activities, in their order: the next `n` of the activities'
   * sequence, which one INSERT of them all would have taken.
   */
  private async activityIds(n: number): Promise<(i: number) => number> {
    if (this.engine === 'postgres') {
      const r = (await this.db.raw(
        "SELECT nextval('activities_id_seq') AS v FROM generate_series(1, ?)",
        [n],
      )) as { rows: Array<{ v: number | string }> };
      const v = r.rows.map((x) => Number(x.v)).sort((a, b) => a - b);
      return (i) => v[i]!;
    }
    // The write lock is this transaction's since the batch was read (SqliteHighs).
    if (!this.sqliteHighs) throw new Error('SQLite batch without its highs');
    const base = this.sqliteHighs.activityId;
    return (i) => base + i + 1;
  }

  /** The next `n` change_seq values, ascending. */
  private async changeSeqs(n: number): Promise<number[]> {
    if (this.engine === 'postgres') {
      const r = (await this.db.raw(
        "SELECT nextval('leads_change_seq') AS v FROM generate_series(1, ?)",
        [n],
      )) as { rows: Array<{ v: number | string }> };
      return r.rows.map((x) => Number(x.v)).sort((a, b) => a - b);
    }
    // This transaction holds SQLite's only write lock: the next values are ours (read with
    // the batch's people, SqliteHighs).
    if (!this.sqliteHighs) throw new Error('SQLite batch without its highs');
    const base = this.sqliteHighs.changeSeq;
    return Array.from({ length: n }, (_, i) => base + i + 1);
  }
}
