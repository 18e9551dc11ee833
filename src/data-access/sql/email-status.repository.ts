import type { Knex } from 'knex';
import { INLINE } from '../inline-limit.js';
import type { Engine } from '../database.js';
import type {
  EmailStatusHistoryRecord,
  EmailStatusRecord,
  KeptFilter,
  StatusCursor,
  StatusFilter,
} from '../../domain/records.js';
export type { EmailStatusHistoryRecord, EmailStatusRecord };
import { countRowsWhere } from '../count-rows.js';
import {
  containsPattern,
  likePattern,
  whereAddressContains,
} from '../people-selection.repository.js';
export type { StatusFilter, StatusCursor };
import { pgArrayText } from './fixed-sql.js';
import { fixedSql, queueRead, runStatement } from './statement.js';
import { readRowSet } from './plain-reads.js';
import { lastHistoryId, writtenAfter } from './status-history-order.js';

type Row = Record<string, unknown>;

/** The record of a row of email_status (or of email_status_history, whose extra columns it leaves). */
export function toRecord(row: Row): EmailStatusRecord {
  return {
    emailKey: row.email_key as string,
    unsubscribed: row.unsubscribed === true || row.unsubscribed === 1,
    reason: (row.reason as string | null) ?? null,
    source: row.source as string,
    leadId: row.lead_id === null || row.lead_id === undefined ? null : Number(row.lead_id),
    changedAt: Number(row.changed_at),
    liftedReason: (row.lifted_reason as string | null | undefined) ?? null,
    liftedAt: row.lifted_at === null || row.lifted_at === undefined ? null : Number(row.lifted_at),
    // A status write leaves it as the row holds it.
    ...(row.opt_outs_recorded_since === null || row.opt_outs_recorded_since === undefined
      ? {}
      : { optOutsRecordedSince: Number(row.opt_outs_recorded_since) }),
  };
}

function rowOf(names: readonly string[], values: readonly unknown[]): Row {
  const row: Row = {};
  for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
  return row;
}

export function statusRow(status: EmailStatusRecord): Row {
  return {
    email_key: status.emailKey,
    unsubscribed: status.unsubscribed,
    reason: status.reason,
    source: status.source,
    lead_id: status.leadId,
    changed_at: status.changedAt,
    recorded_at: status.recordedAt ?? status.changedAt,
    lifted_reason: status.liftedReason ?? null,
    lifted_at: status.liftedAt ?? null,
  };
}

export const STATUS_COLUMNS =
  'email_key, unsubscribed, reason, source, lead_id, changed_at, recorded_at, lifted_reason, lifted_at';

/** The values of statusRow, in the order of STATUS_COLUMNS (and its placeholders). */
export function statusBindings(status: EmailStatusRecord): unknown[] {
  return [
    status.emailKey,
    status.unsubscribed,
    status.reason,
    status.source,
    status.leadId,
    status.changedAt,
    status.recordedAt ?? status.changedAt,
    status.liftedReason ?? null,
    status.liftedAt ?? null,
  ];
}

/** What a status write changes of the address's row: every column but the key. */
const STATUS_UPSERT = `ON CONFLICT (email_key) DO UPDATE SET unsubscribed = excluded.unsubscribed,
      reason = excluded.reason, source = excluded.source, lead_id = excluded.lead_id,
      changed_at = excluded.changed_at, recorded_at = excluded.recorded_at,
      lifted_reason = excluded.lifted_reason, lifted_at = excluded.lifted_at`;

/**
 * What a read of a status gives: STATUS_COLUMNS and opt_outs_recorded_since, which no status
 * write names (set by recordOptOutsSince alone, and kept).
 */
export const STATUS_READ_COLUMNS = `${STATUS_COLUMNS}, opt_outs_recorded_since`;

/** One status written (statusBindings), with the same upsert on both engines. */
export const SET_STATUS = `INSERT INTO email_status (${STATUS_COLUMNS})
    VALUES (${'?, '.repeat(8)}?) ${STATUS_UPSERT}`;

/**
 * PostgreSQL: `v`, the statuses given as a JSON array (one binding), and `s`, their upsert;
 * the statement that follows must insert `v` into email_status_history.
 */
export const STATUS_WRITE_CTES = `v AS (SELECT * FROM json_populate_recordset(NULL::email_status, ?::json)),
  s AS (
    INSERT INTO email_status (${STATUS_COLUMNS}) SELECT ${STATUS_COLUMNS} FROM v
    ${STATUS_UPSERT}
  )`;

/** A kept opt-out's record, its emailKey its joined key. */
const keptRecord = (row: Row): EmailStatusRecord => toRecord({ ...row, email_key: row.joined_key });

/** The filters of a status list but the address, on either table's rows. */
function filteredBy(q: Knex.QueryBuilder, f: KeptFilter): Knex.QueryBuilder {
  const like = (column: string, text: string) =>
    q.whereRaw(`lower(${column}) LIKE ? ESCAPE '\\'`, [containsPattern(text)]);
  if (f.unsubscribed !== undefined) q = q.where('unsubscribed', f.unsubscribed);
  if (f.reasonContains) q = like('reason', f.reasonContains);
  if (f.sourceContains) q = like('source', f.sourceContains);
  if (f.changedFrom !== undefined) q = q.where('changed_at', '>=', f.changedFrom);
  if (f.changedTo !== undefined) q = q.where('changed_at', '<=', f.changedTo);
  return q;
}

/**
 * A page of `q` newest first by (changed_at, `key`), after the cursor's row: the statuses' list
 * and the kept opt-outs' list page alike.
 */
function newestFirst(
  q: Knex.QueryBuilder,
  key: 'email_key' | 'joined_key',
  after: { changedAt: number; key: string } | null,
  limit: number,
): Knex.QueryBuilder {
  if (after)
    q = q.where((w) =>
      w
        .where('changed_at', '<', after.changedAt)
        .orWhere((x) => x.where('changed_at', after.changedAt).where(key, '<', after.key)),
    );
  return q
    .orderBy([
      { column: 'changed_at', order: 'desc' },
      { column: key, order: 'desc' },
    ])
    .limit(limit, INLINE);
}

/** Statuses by address, from their rows. */
function statusMap(rows: readonly Row[]): Map<string, EmailStatusRecord> {
  const out = new Map<string, EmailStatusRecord>();
  for (const r of rows) out.set(r.email_key as string, toRecord(r));
  return out;
}

// The status of one address: what every write reads first, and the one-click replay check.
const GET_STATUS = fixedSql('SELECT * FROM email_status WHERE email_key = ?');

/**
 * The statuses of many addresses, with one binding whatever their number: the keys as an
 * array (PostgreSQL) or as JSON text (SQLite), where the query builder compiled a placeholder
 * per key and each crossed to the SQLite thread as a value of its own.
 */
const GET_STATUSES = fixedSql(
  'SELECT * FROM email_status WHERE email_key IN (SELECT value FROM json_each(?))',
  'SELECT * FROM email_status WHERE email_key = ANY(?)',
);

/** The opt-outs kept under joined keys (migration 20261206004000), one binding as above. */
const GET_JOINED = fixedSql(
  'SELECT * FROM email_status_joined WHERE joined_key IN (SELECT value FROM json_each(?))',
  'SELECT * FROM email_status_joined WHERE joined_key = ANY(?)',
);

const RECORD_OPT_OUTS_SINCE = fixedSql(
  'UPDATE email_status SET opt_outs_recorded_since = ? WHERE email_key = ? AND opt_outs_recorded_since IS NULL',
);

/** The master email status: one row per email key, and its append-only history. */
export class EmailStatusRepository {
  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly engine: Engine,
  ) {}

  /**
   * A plain read goes past knex's query path, with the other reads of its event-loop turn
   * (plain-reads.ts): a re-subscribe's status read in the same message as its person's.
   */
  async get(key: string): Promise<EmailStatusRecord | null> {
    const set = await readRowSet(this.db, GET_STATUS, [key]);
    if (set) return set.rows[0] ? toRecord(rowOf(set.names, set.rows[0])) : null;
    const { rows } = await runStatement(this.db, GET_STATUS, [key]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async getMany(keys: readonly string[]): Promise<Map<string, EmailStatusRecord>> {
    if (keys.length === 0) return new Map();
    const keyList = this.engine === 'postgres' ? [...keys] : JSON.stringify(keys);
    return statusMap((await runStatement(this.db, GET_STATUSES, [keyList])).rows);
  }

  /**
   * getMany, PostgreSQL inside a transaction: the read queued to go in the message of the
   * transaction's next statement (statement.ts, queueRead), so a batch's statuses come with
   * its people. Await `statuses` only after that statement. Elsewhere getMany, run now.
   */
  async getManyWithNext(
    keys: readonly string[],
  ): Promise<{ statuses: Promise<Map<string, EmailStatusRecord>> }> {
    const queued =
      this.engine === 'postgres' && keys.length > 0
        ? await queueRead(this.db, [GET_STATUSES, [pgArrayText(keys)]])
        : null;
    if (!queued) return { statuses: Promise.resolve(await this.getMany(keys)) };
    return { statuses: queued.result.then(({ rows }) => statusMap(rows)) };
  }

  async joinedOptOuts(joinedKeys: readonly string[]): Promise<Map<string, EmailStatusRecord>> {
    if (joinedKeys.length === 0) return new Map();
    const keyList = this.engine === 'postgres' ? [...joinedKeys] : JSON.stringify(joinedKeys);
    const { rows } = await runStatement(this.db, GET_JOINED, [keyList]);
    return statusMap(rows.map((r) => ({ ...r, email_key: r.joined_key })));
  }

  set(status: EmailStatusRecord): Promise<void> {
    return this.setMany([status]);
  }

  /** Many statuses at once (bulk imports): one upsert and one history insert per call. */
  async setMany(statuses: readonly EmailStatusRecord[]): Promise<void> {
    if (statuses.length === 0) return;
    const rows = statuses.map(statusRow);
    if (this.engine === 'postgres') {
      // One round trip: the upsert and its history in one statement.
      await this.db.raw(
        `WITH ${STATUS_WRITE_CTES} INSERT INTO email_status_history (${STATUS_COLUMNS}) SELECT ${STATUS_COLUMNS} FROM v`,
        [JSON.stringify(rows)],
      );
      return;
    }
    await this.db('email_status').insert(rows).onConflict('email_key').merge();
    await this.db('email_status_history').insert(rows);
  }

  /**
   * Every opt-out of the address is recorded from `since` on (EmailStatusRecord). Writes only a
   * status row that has no such time yet (none when the address has no status).
   */
  async recordOptOutsSince(key: string, since: number): Promise<void> {
    await runStatement(this.db, RECORD_OPT_OUTS_SINCE, [since, key]);
  }

  /**
   * When the address was last subscribed here: the time recorded of its newest history row
   * that is not an opt-out (null: never), read by the history's (email_key, id) index.
   */
  async lastSubscribedAt(key: string): Promise<number | null> {
    const row = (await this.db('email_status_history')
      .where('email_key', key)
      .andWhere('unsubscribed', false)
      .orderBy('id', 'desc')
      .first('recorded_at', 'changed_at')) as Row | undefined;
    if (!row) return null;
    return Number(row.recorded_at ?? row.changed_at);
  }

  lastHistoryId = (): Promise<number> => lastHistoryId(this.db, this.engine);
  writtenAfter = (keys: readonly string[], afterId: number): Promise<Set<string>> =>
    writtenAfter(this.db, keys, afterId);

  async history(key: string): Promise<EmailStatusHistoryRecord[]> {
    const rows = (await this.db('email_status_history')
      .where('email_key', key)
      .orderBy('id')) as Row[];
    return rows.map((r) => ({ ...toRecord(r), id: Number(r.id) }));
  }

  /**
   * Statuses recorded at or after a time (whatever date they carry), keyset-paged by key.
   * Rows written before recorded_at existed were recorded when they changed.
   */
  async listChangedSince(
    since: number,
    afterKey: string | null,
    limit: number,
  ): Promise<EmailStatusRecord[]> {
    let q = this.db('email_status').whereRaw('coalesce(recorded_at, changed_at) >= ?', [since]);
    if (afterKey !== null) q = q.andWhere('email_key', '>', afterKey);
    const rows = (await q.orderBy('email_key').limit(limit, INLINE)) as Row[];
    return rows.map(toRecord);
  }

  private filtered(f: StatusFilter): Knex.QueryBuilder {
    let q = this.db('email_status');
    // Keys are folded, and the domain folds the text alike (foldEmailText): no lower() here.
    if (f.addressContains)
      q = whereAddressContains(q, 'email_key', f.addressContains, f.addressReadings);
    return filteredBy(q, f);
  }

  /**
   * The opt-outs kept under joined keys (email_status_joined) that the filter may keep for a
   * spelling they stand for: its other fields as `filtered`, the address as one of
   * `keyHoldsAnyOf` anywhere in the joined key (the domain narrows it for each spelling).
   */
  private filteredKept(f: KeptFilter): Knex.QueryBuilder {
    let q = this.db('email_status_joined');
    const texts = f.keyHoldsAnyOf;
    if (texts)
      q = q.where((w) => {
        for (const t of texts) w.orWhereRaw(`joined_key LIKE ? ESCAPE '\\'`, [likePattern(t)]);
      });
    return filteredBy(q, f);
  }

  /**
   * Kept opt-outs of the filter, newest first (by changed_at, then joined key), before
   * `before`: at or before its changedAt when it names no joined key. Each record's emailKey
   * is its joined key.
   */
  async keptList(
    f: KeptFilter,
    before: { changedAt: number; joinedKey: string | null } | null,
    limit: number,
  ): Promise<EmailStatusRecord[]> {
    let q = this.filteredKept(f);
    if (before?.joinedKey === null) q = q.where('changed_at', '<=', before.changedAt);
    const after = before?.joinedKey != null ? { ...before, key: before.joinedKey } : null;
    const rows = (await newestFirst(q, 'joined_key', after, limit)) as Row[];
    return rows.map(keptRecord);
  }

  /**
   * Kept opt-outs of the filter in joined-key order after `afterKey`; with `recordedSince`,
   * those recorded (listed) at or after it only.
   */
  async keptByKey(
    f: KeptFilter,
    afterKey: string | null,
    limit: number,
    recordedSince?: number,
  ): Promise<EmailStatusRecord[]> {
    let q = this.filteredKept(f);
    if (recordedSince !== undefined)
      q = q.whereRaw('coalesce(recorded_at, changed_at) >= ?', [recordedSince]);
    if (afterKey !== null) q = q.where('joined_key', '>', afterKey);
    const rows = (await q.orderBy('joined_key').limit(limit, INLINE)) as Row[];
    return rows.map(keptRecord);
  }

  /** The filtered list, newest first, keyset-paged by (changed_at, email_key). */
  async list(
    f: StatusFilter,
    after: StatusCursor | null,
    limit: number,
  ): Promise<EmailStatusRecord[]> {
    const cursor = after ? { changedAt: after.changedAt, key: after.emailKey } : null;
    const rows = (await newestFirst(this.filtered(f), 'email_key', cursor, limit)) as Row[];
    return rows.map(toRecord);
  }

  /**
   * The filtered list in key order, keyset-paged by email_key: the key of a row never changes,
   * so a row changed while the pages are read is in them once, never skipped nor repeated.
   */
  async listByKey(
    f: StatusFilter,
    afterKey: string | null,
    limit: number,
  ): Promise<EmailStatusRecord[]> {
    let q = this.filtered(f);
    if (afterKey !== null) q = q.where('email_key', '>', afterKey);
    const rows = (await q.orderBy('email_key').limit(limit, INLINE)) as Row[];
    return rows.map(toRecord);
  }

  /** How many rows the filter keeps, counting no further than `cap`. */
  count(f: StatusFilter, cap: number): Promise<number> {
    return countRowsWhere(this.db, this.filtered(f), 'email_key', cap);
  }

  /** An address's history, newest first, ids strictly below `beforeId`. */
  async historyPage(
    key: string,
    beforeId: number | null,
    limit: number,
  ): Promise<EmailStatusHistoryRecord[]> {
    let q = this.db('email_status_history').where('email_key', key);
    if (beforeId !== null) q = q.andWhere('id', '<', beforeId);
    const rows = (await q.orderBy('id', 'desc').limit(limit, INLINE)) as Row[];
    return rows.map((r) => ({ ...toRecord(r), id: Number(r.id) }));
  }

  async historyCount(key: string): Promise<number> {
    const [row] = (await this.db('email_status_history')
      .where('email_key', key)
      .count({ n: '*' })) as Row[];
    return Number(row?.n ?? 0);
  }
}
