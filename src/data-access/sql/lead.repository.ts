import type { Knex } from 'knex';
import { INLINE } from '../inline-limit.js';
import {
  ACTIVITY_COLUMNS,
  ActivityRepository,
  activityRow,
  type NewActivity,
} from './activity.repository.js';
import type { Engine } from '../database.js';
import type {
  ColumnValue,
  InvariantViolation,
  LeadRecord,
  LeadUpdate,
  NewLead,
  PropagationActivity,
} from '../../domain/records.js';
import { propagationActivity } from '../../domain/records.js';
export type {
  ColumnValue,
  InvariantViolation,
  LeadRecord,
  LeadUpdate,
  NewLead,
  PropagationActivity,
};
import { countRows } from '../count-rows.js';
import { fromRow, newLeadRow, toBool, updateRow, type Row } from '../lead-row.js';
import {
  EmailStatusRepository,
  STATUS_COLUMNS,
  STATUS_WRITE_CTES,
  statusRow,
  type EmailStatusRecord,
} from './email-status.repository.js';

/** PostgreSQL: one Change Data Value activity for each lead id of a `changed` CTE. */
/** The columns of a propagation's activity and the placeholders of changeActivityBindings. */
const PROPAGATION_COLUMNS =
  'lead_id, activity_type, created_at, attribute_name, old_value, new_value, reason, source, actor, cause_lead_id';
const PROPAGATION_VALUES = `CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
         CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER)`;
const ACTIVITIES_FROM_CHANGED = `INSERT INTO activities (${PROPAGATION_COLUMNS})
  SELECT id, ${PROPAGATION_VALUES}
  FROM changed ORDER BY id`;

/** The values of a propagation's Change Data Value activity, in the order its SQL takes them. */
function changeActivityBindings(
  unsubscribed: boolean,
  now: number,
  activity: PropagationActivity,
): Knex.Value[] {
  // The lead id comes from the statement: the row the activity is for.
  const a = propagationActivity(0, unsubscribed, now, activity);
  return [
    a.activityType,
    a.createdAt,
    a.attributeName!,
    a.oldValue!,
    a.newValue!,
    a.reason!,
    a.source!,
    a.actor ? a.actor.slice(0, 128) : null,
    a.causeLeadId ?? null,
  ];
}

/**
 * The SQL of the next change_seq value. PostgreSQL: a sequence; the writers of one address hold
 * its lock, so their values follow the order they wrote in. SQLite: one writer at a time, so the
 * highest value so far plus one (an index makes it a lookup).
 */
export function nextChangeSeqSql(engine: Engine): string {
  // A scalar subquery on both engines: a statement that changes many people (propagation)
  // gives them one value, the ties going to the highest id, whatever order rows are visited in.
  return engine === 'postgres'
    ? "(SELECT nextval('leads_change_seq'))"
    : '(SELECT coalesce(max(change_seq), 0) + 1 FROM leads)';
}

/** Most recently changed first: the order changes were applied, not the clock. */
const LATEST_FIRST = [
  { column: 'change_seq', order: 'desc' as const },
  { column: 'id', order: 'desc' as const },
];

export class LeadRepository {
  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly engine: Engine,
  ) {}

  private rowsWhere(
    build: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
    lock = false,
  ): Promise<Row[]> {
    let q = build(this.db('leads').select('*'));
    if (lock && this.engine === 'postgres') q = q.forUpdate();
    return q as unknown as Promise<Row[]>;
  }

  async findById(id: number, lock = false): Promise<LeadRecord | null> {
    const rows = await this.rowsWhere((q) => q.where('id', id), lock);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async findByIds(ids: readonly number[]): Promise<LeadRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.rowsWhere((q) => q.whereIn('id', ids).orderBy('id'));
    return rows.map(fromRow);
  }

  async findByForeignId(foreignId: string, lock = false): Promise<LeadRecord | null> {
    const rows = await this.rowsWhere((q) => q.where('foreign_sys_person_id', foreignId), lock);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async findByForeignIds(foreignIds: readonly string[]): Promise<LeadRecord[]> {
    if (foreignIds.length === 0) return [];
    const rows = await this.rowsWhere((q) =>
      q.whereIn('foreign_sys_person_id', foreignIds).orderBy('id'),
    );
    return rows.map(fromRow);
  }

  /** Every lead holding an address (or the first `limit`), most recently updated first. */
  async findByEmailKey(key: string, lock = false, limit?: number): Promise<LeadRecord[]> {
    const rows = await this.rowsWhere((q) => {
      const ordered = q.where('email_key', key).orderBy(LATEST_FIRST);
      return limit === undefined ? ordered : ordered.limit(limit, INLINE);
    }, lock);
    return rows.map(fromRow);
  }

  async findByEmailKeys(keys: readonly string[]): Promise<LeadRecord[]> {
    if (keys.length === 0) return [];
    const rows = await this.rowsWhere((q) => q.whereIn('email_key', keys).orderBy('id'));
    return rows.map(fromRow);
  }

  /** Keyset page over (updated_at, id) so deep pages cost the same as the first. */
  async listUpdatedBetween(
    oldest: number,
    latest: number | null,
    after: { updatedAt: number; id: number } | null,
    limit: number,
  ): Promise<LeadRecord[]> {
    const rows = await this.rowsWhere((q) => {
      let b = q.where('updated_at', '>=', oldest);
      if (latest !== null) b = b.andWhere('updated_at', '<=', latest);
      if (after) {
        b = b.andWhere((w) =>
          w
            .where('updated_at', '>', after.updatedAt)
            .orWhere((x) => x.where('updated_at', after.updatedAt).andWhere('id', '>', after.id)),
        );
      }
      return b.orderBy([{ column: 'updated_at' }, { column: 'id' }]).limit(limit, INLINE);
    });
    return rows.map(fromRow);
  }

  async countUpdatedBetween(
    oldest: number,
    latest: number | null,
    after: { updatedAt: number; id: number } | null,
    cap?: number,
  ): Promise<number> {
    let q = this.db('leads').where('updated_at', '>=', oldest);
    if (latest !== null) q = q.andWhere('updated_at', '<=', latest);
    if (after) {
      q = q.andWhere((w) =>
        w
          .where('updated_at', '>', after.updatedAt)
          .orWhere((x) => x.where('updated_at', after.updatedAt).andWhere('id', '>', after.id)),
      );
    }
    return countRows(this.db, q, cap);
  }

  async insert(lead: NewLead): Promise<number> {
    const [row] = (await this.db('leads')
      .insert({
        ...newLeadRow(lead),
        change_seq: this.db.raw(nextChangeSeqSql(this.engine)),
      })
      .returning('id')) as Array<{ id: number }>;
    if (!row) throw new Error('insert returned no id');
    return Number(row.id);
  }

  private updateQuery(id: number, change: LeadUpdate, now: number): Knex.QueryBuilder {
    const values: Row = {
      ...updateRow(change, now),
      change_seq: this.db.raw(nextChangeSeqSql(this.engine)),
    };
    // RETURNING: the caller's answer needs the row, and reading it again costs a round trip.
    return this.db('leads').where('id', id).update(values).returning('*');
  }

  /** Writes the change; returns the lead as it now stands (null: no such lead). */
  async update(id: number, change: LeadUpdate, now: number): Promise<LeadRecord | null> {
    const rows = (await this.updateQuery(id, change, now)) as Row[];
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /**
   * update, then (if the lead was there) the activities logging it: one statement on
   * PostgreSQL, where each statement is a round trip.
   */
  async updateLogged(
    id: number,
    change: LeadUpdate,
    now: number,
    activities: readonly NewActivity[],
  ): Promise<LeadRecord | null> {
    if (this.engine !== 'postgres' || activities.length === 0) {
      const after = await this.update(id, change, now);
      if (after) await new ActivityRepository(this.db).insert(activities);
      return after;
    }
    const update = this.updateQuery(id, change, now).toSQL();
    // WITH ORDINALITY: activity ids follow the order given, as a multi-row INSERT gives them.
    const result = (await this.db.raw(
      `WITH u AS (${update.sql}),
       a AS (
         INSERT INTO activities (${ACTIVITY_COLUMNS})
         SELECT ${ACTIVITY_COLUMNS}
         FROM json_populate_recordset(NULL::activities, ?::json) WITH ORDINALITY AS r
         WHERE EXISTS (SELECT 1 FROM u) ORDER BY r.ordinality
       )
       SELECT * FROM u`,
      [...update.bindings, JSON.stringify(activities.map(activityRow))],
    )) as { rows: Row[] };
    return result.rows[0] ? fromRow(result.rows[0]) : null;
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
   */
  async findLatestByEmailKey(key: string, lock = false): Promise<LeadRecord | null> {
    const rows = await this.rowsWhere(
      (q) => q.where('email_key', key).orderBy(LATEST_FIRST).limit(1, INLINE),
      lock,
    );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async deleteByIds(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.db('leads').whereIn('id', ids).delete();
  }

  /**
   * Sets the flag of every other lead of an address that disagrees with `unsubscribed`, and
   * logs one activity for each: two set-based statements, whatever the number of leads.
   * Callers hold the address's lock, so both statements see the same set of leads.
   */
  async propagateUnsubscribed(
    key: string,
    unsubscribed: boolean,
    exceptLeadId: number | null,
    now: number,
    activity: PropagationActivity,
  ): Promise<number> {
    const except = exceptLeadId === null ? '' : ' AND id <> ?';
    const where = `email_key = ? AND unsubscribed = ?${except}`;
    const whereBindings =
      exceptLeadId === null ? [key, !unsubscribed] : [key, !unsubscribed, exceptLeadId];
    if (this.engine === 'postgres') {
      // One round trip: the UPDATE hands the people it changed to the INSERT of their activities.
      const result = (await this.db.raw(
        `WITH changed AS (
           UPDATE leads SET unsubscribed = ?, updated_at = ?, change_seq = ${nextChangeSeqSql(this.engine)}
           WHERE ${where} RETURNING id
         )
         ${ACTIVITIES_FROM_CHANGED}`,
        [
          unsubscribed,
          now,
          ...whereBindings,
          ...changeActivityBindings(unsubscribed, now, activity),
        ],
      )) as { rowCount: number | null };
      return result.rowCount ?? 0;
    }
    return this.propagateWhere(where, whereBindings, unsubscribed, now, activity);
  }

  /**
   * Writes a master status with its history, then propagateUnsubscribed for its address: one
   * statement on PostgreSQL (the master row, its history and the followers are distinct rows).
   */
  async setStatusAndPropagate(
    status: EmailStatusRecord,
    exceptLeadId: number | null,
    activity: PropagationActivity,
  ): Promise<number> {
    const { emailKey: key, unsubscribed, changedAt: now } = status;
    if (this.engine !== 'postgres') {
      await new EmailStatusRepository(this.db, this.engine).set(status);
      return this.propagateUnsubscribed(key, unsubscribed, exceptLeadId, now, activity);
    }
    const except = exceptLeadId === null ? '' : ' AND id <> ?';
    const result = (await this.db.raw(
      `WITH ${STATUS_WRITE_CTES},
       h AS (INSERT INTO email_status_history (${STATUS_COLUMNS}) SELECT ${STATUS_COLUMNS} FROM v),
       changed AS (
         UPDATE leads SET unsubscribed = ?, updated_at = ?, change_seq = ${nextChangeSeqSql(this.engine)}
         WHERE email_key = ? AND unsubscribed = ?${except} RETURNING id
       )
       ${ACTIVITIES_FROM_CHANGED}`,
      [
        JSON.stringify([statusRow(status)]),
        unsubscribed,
        now,
        key,
        !unsubscribed,
        ...(exceptLeadId === null ? [] : [exceptLeadId]),
        ...changeActivityBindings(unsubscribed, now, activity),
      ],
    )) as { rowCount: number | null };
    return result.rowCount ?? 0;
  }

  /**
   * propagateUnsubscribed for many addresses at once (bulk imports): every lead of these keys
   * whose flag disagrees takes `unsubscribed`, with one activity each; two statements.
   */
  async propagateUnsubscribedMany(
    keys: readonly string[],
    unsubscribed: boolean,
    now: number,
    activity: PropagationActivity,
  ): Promise<number> {
    if (keys.length === 0) return 0;
    const marks = keys.map(() => '?').join(', ');
    const where = `email_key IN (${marks}) AND unsubscribed = ?`;
    const whereBindings = [...keys, !unsubscribed];
    return this.propagateWhere(where, whereBindings, unsubscribed, now, activity);
  }

  /**
   * The leads a WHERE clause selects take `unsubscribed`, each with one activity: the INSERT
   * first (it reads the flags before they change), then the UPDATE; the caller holds the
   * addresses' locks, so both statements see the same leads.
   */
  private async propagateWhere(
    where: string,
    whereBindings: ReadonlyArray<string | number | boolean>,
    unsubscribed: boolean,
    now: number,
    activity: PropagationActivity,
  ): Promise<number> {
    await this.db.raw(
      `INSERT INTO activities (${PROPAGATION_COLUMNS})
       SELECT id, ${PROPAGATION_VALUES}
       FROM leads WHERE ${where} ORDER BY id`,
      [...changeActivityBindings(unsubscribed, now, activity), ...whereBindings],
    );
    return this.db('leads')
      .whereRaw(where, [...whereBindings])
      .update({
        unsubscribed,
        updated_at: now,
        change_seq: this.db.raw(nextChangeSeqSql(this.engine)),
      });
  }

  async invariantViolations(limit: number): Promise<InvariantViolation[]> {
    const rows = (await this.db('leads as l')
      .leftJoin('email_status as s', 's.email_key', 'l.email_key')
      .whereNotNull('l.email_key')
      .andWhereRaw(
        this.engine === 'postgres'
          ? 'l.unsubscribed <> coalesce(s.unsubscribed, false)'
          : 'l.unsubscribed <> coalesce(s.unsubscribed, 0)',
      )
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
