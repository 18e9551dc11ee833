/**
 * The reads of the leads table: the hot lookups by one indexed column (fixed SQL), the pages
 * getMultipleLeads reads by keys and by update time, with their counts, and the check of the
 * durable rules. LeadRepository (lead.repository.ts) adds the writes.
 */
import type { Knex } from 'knex';
import { updatedBetween, updatedPageOf } from './updated-between.js';
import { INLINE } from '../inline-limit.js';
import type { Engine } from '../database.js';
import type { InvariantViolation, LeadRecord } from '../../domain/records.js';
import { countRows } from '../count-rows.js';
import { fromRow, fromValues, toBool, type Row } from '../lead-row.js';
import type { KeyColumnOf, KeyPageStart, UpdatePosition } from '../../domain/ports.js';
import { fixedSql, runStatement, type FixedSql } from './statement.js';
import { readRowSet } from './plain-reads.js';
import { likePattern } from '../people-selection.repository.js';

const KEY_COLUMNS: Record<KeyColumnOf, string> = {
  id: 'id',
  emailKey: 'email_key',
  foreignId: 'foreign_sys_person_id',
};

/** Most recently changed first: the order changes were applied, not the clock. */
const LATEST = 'change_seq DESC, id DESC';
const LATEST_FIRST_SQL = `ORDER BY ${LATEST}`;

/** A lookup by one indexed column, plain and (PostgreSQL) with the rows locked. */
function lookup(where: string, tail = ''): readonly [FixedSql, FixedSql] {
  const select = `SELECT * FROM leads WHERE ${where}${tail}`;
  return [fixedSql(select), fixedSql(select, `${select} FOR UPDATE`)];
}

const BY_ID = lookup('id = ?');
const BY_FOREIGN_ID = lookup('foreign_sys_person_id = ?');
const BY_EMAIL_KEY = lookup('email_key = ?', ` ${LATEST_FIRST_SQL}`);

// The limit is written into the SQL (see inline-limit.ts); callers use one or two limits
// (getLead's maximum), so each text is built once.
const limitedByEmailKey = new Map<number, readonly [FixedSql, FixedSql]>();
function byEmailKeyLimited(limit: number): readonly [FixedSql, FixedSql] {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`bad limit ${limit}`);
  let sql = limitedByEmailKey.get(limit);
  if (!sql) {
    sql = lookup('email_key = ?', ` ${LATEST_FIRST_SQL} LIMIT ${limit}`);
    if (limitedByEmailKey.size < 16) limitedByEmailKey.set(limit, sql);
  }
  return sql;
}

/**
 * The leads some keys match, after an id when one is given, in `partitions` when given: one
 * filter for a page and for its remainingCount, so that the count is of what the next pages read.
 */
function keysMatched(
  q: Knex.QueryBuilder,
  key: KeyColumnOf,
  values: readonly (string | number)[],
  afterId: number | undefined,
  partitions: readonly string[] | undefined,
): Knex.QueryBuilder {
  const b = q.whereIn(KEY_COLUMNS[key], values);
  const inPartitions = partitions ? b.whereIn('partition', partitions) : b;
  return afterId === undefined ? inPartitions : inPartitions.andWhere('id', '>', afterId);
}

export class LeadReads {
  constructor(
    protected readonly db: Knex | Knex.Transaction,
    protected readonly engine: Engine,
  ) {}

  /**
   * One of the hot lookups: fixed SQL, past the query builder; a plain read on PostgreSQL
   * past knex's and pg's query objects too (plain-reads.ts: pg-rows.ts), and on SQLite's reader threads past
   * knex's query path, grouped (sqlite-thread/grouped-reads.ts).
   */
  private async leadsOf(
    sql: readonly [FixedSql, FixedSql],
    value: unknown,
    lock: boolean,
  ): Promise<LeadRecord[]> {
    const statement = sql[lock ? 1 : 0];
    const set = lock ? null : await readRowSet(this.db, statement, [value]);
    if (set) return set.rows.map((values) => fromValues(set.names, values));
    return (await runStatement(this.db, statement, [value])).rows.map(fromRow);
  }

  private rowsWhere(
    build: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
    lock = false,
  ): Promise<Row[]> {
    let q = build(this.db('leads').select('*'));
    if (lock && this.engine === 'postgres') q = q.forUpdate();
    return q as unknown as Promise<Row[]>;
  }

  async findById(id: number, lock = false): Promise<LeadRecord | null> {
    const [lead] = await this.leadsOf(BY_ID, id, lock);
    return lead ?? null;
  }

  async findByIds(ids: readonly number[]): Promise<LeadRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.rowsWhere((q) => q.whereIn('id', ids).orderBy('id'));
    return rows.map(fromRow);
  }

  async findByForeignId(foreignId: string, lock = false): Promise<LeadRecord | null> {
    const [lead] = await this.leadsOf(BY_FOREIGN_ID, foreignId, lock);
    return lead ?? null;
  }

  async findByForeignIds(foreignIds: readonly string[]): Promise<LeadRecord[]> {
    if (foreignIds.length === 0) return [];
    const rows = await this.rowsWhere((q) =>
      q.whereIn('foreign_sys_person_id', foreignIds).orderBy('id'),
    );
    return rows.map(fromRow);
  }

  /** Every lead holding an address (or the first `limit`), most recently updated first. */
  async findByEmailKey(
    key: string,
    lock = false,
    limit?: number,
    partitions?: readonly string[],
  ): Promise<LeadRecord[]> {
    if (partitions) {
      const rows = await this.rowsWhere((q) => {
        const b = q.where('email_key', key).whereIn('partition', partitions).orderByRaw(LATEST);
        return limit === undefined ? b : b.limit(limit, INLINE);
      }, lock);
      return rows.map(fromRow);
    }
    const sql = limit === undefined ? BY_EMAIL_KEY : byEmailKeyLimited(limit);
    return this.leadsOf(sql, key, lock);
  }

  async findByEmailKeys(keys: readonly string[]): Promise<LeadRecord[]> {
    if (keys.length === 0) return [];
    const rows = await this.rowsWhere((q) => q.whereIn('email_key', keys).orderBy('id'));
    return rows.map(fromRow);
  }

  /**
   * One page of the leads some keys match (getMultipleLeads by key), in id order after a
   * position: the last id of the page before, or (a position issued before positions held
   * ids) how many matches came before. Only the page's rows are read and sent, however many
   * people hold an address.
   */
  async pageByKeys(
    key: KeyColumnOf,
    values: readonly (string | number)[],
    after: KeyPageStart,
    limit: number,
    partitions?: readonly string[],
  ): Promise<LeadRecord[]> {
    if (values.length === 0) return [];
    const rows = await this.rowsWhere((q) => {
      const b = keysMatched(q, key, values, after.afterId, partitions)
        .orderBy('id')
        .limit(limit, INLINE);
      return after.offset ? b.offset(after.offset, INLINE) : b;
    });
    return rows.map(fromRow);
  }

  /** How many leads the keys match after an id, at most `cap` (the remainingCount of a page). */
  async countByKeysAfter(
    key: KeyColumnOf,
    values: readonly (string | number)[],
    afterId: number,
    cap: number,
    partitions?: readonly string[],
  ): Promise<number> {
    if (values.length === 0) return 0;
    return countRows(this.db, keysMatched(this.db('leads'), key, values, afterId, partitions), cap);
  }

  /** Keyset page over (updated_at, id); `partitions`: theirs only. */
  async listUpdatedBetween(
    oldest: number,
    latest: number | null,
    after: UpdatePosition | null,
    limit: number,
    partitions?: readonly string[],
  ): Promise<LeadRecord[]> {
    const rows = await this.rowsWhere(updatedPageOf(oldest, latest, after, limit, partitions));
    return rows.map(fromRow);
  }

  async countUpdatedBetween(
    oldest: number,
    latest: number | null,
    after: UpdatePosition | null,
    cap?: number,
    partitions?: readonly string[],
  ): Promise<number> {
    const q = updatedBetween(this.db('leads'), oldest, latest, after);
    return countRows(this.db, partitions ? q.whereIn('partition', partitions) : q, cap);
  }

  /**
   * The lead locked for this transaction's change, as it stands now (null: deleted meanwhile).
   * PostgreSQL reads it again under a row lock; on SQLite BEGIN IMMEDIATE took the database's
   * only write lock before `lead` was read, so it cannot have changed.
   */
  async lockRow(lead: LeadRecord): Promise<LeadRecord | null> {
    if (this.engine !== 'postgres') return lead;
    return this.findById(lead.id, true);
  }

  /**
   * The most recently updated lead of an address — what a sync matched by email changes. With
   * `lock` (PostgreSQL) only that row is locked, however many people share the address.
   * `partitions`: the latest of the people of these.
   */
  async findLatestByEmailKey(
    key: string,
    lock = false,
    partitions?: readonly string[],
  ): Promise<LeadRecord | null> {
    const [lead] = partitions
      ? await this.findByEmailKey(key, lock, 1, partitions)
      : await this.leadsOf(byEmailKeyLimited(1), key, lock);
    return lead ?? null;
  }

  async invariantViolations(
    limit: number,
    afterId = 0,
    withoutStatusHolding: readonly string[] = [],
  ): Promise<InvariantViolation[]> {
    const rows = (await this.db('leads as l')
      .leftJoin('email_status as s', 's.email_key', 'l.email_key')
      .whereNotNull('l.email_key')
      .where('l.id', '>', afterId)
      .where((w) => {
        w.whereRaw(
          this.engine === 'postgres'
            ? 'l.unsubscribed <> coalesce(s.unsubscribed, false)'
            : 'l.unsubscribed <> coalesce(s.unsubscribed, 0)',
        );
        if (withoutStatusHolding.length > 0)
          w.orWhere((o) =>
            o.whereNull('s.email_key').where((any) => {
              for (const l of withoutStatusHolding)
                any.orWhereRaw(`l.email_key LIKE ? ESCAPE '\\'`, [likePattern(l)]);
            }),
          );
      })
      .select('l.id', 'l.email_key', 'l.unsubscribed', 's.unsubscribed as master')
      .orderBy('l.id')
      .limit(limit, INLINE)) as Row[];
    return rows.map((r) => ({
      leadId: Number(r.id),
      emailKey: r.email_key as string,
      leadUnsubscribed: toBool(r.unsubscribed),
      masterUnsubscribed: r.master === null || r.master === undefined ? null : toBool(r.master),
    }));
  }

  async count(): Promise<number> {
    const [row] = (await this.db('leads').count({ n: '*' })) as Array<{ n: number | string }>;
    return Number(row?.n ?? 0);
  }
}
