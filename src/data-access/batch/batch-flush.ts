import type { Knex } from 'knex';
import type { EmailStatusRecord, LeadRecord, NewActivity } from '../../domain/records.js';
import type { Engine } from '../database.js';
import { changedColumns, columnValue, toRow, type Row } from '../lead-row.js';
import { activityRow } from '../sql/activity.repository.js';
import { statusRow } from '../sql/email-status.repository.js';
import { BatchMoved } from './batch-errors.js';

// Rows per statement: one JSON parameter each, kept to a few megabytes.
const JSON_ROWS = 5000;

/** What a batch leaves to write: its people as loaded and as they now stand, and its logs. */
export interface BatchResult {
  initial: Map<number, LeadRecord>;
  leads: Map<number, LeadRecord>;
  created: number[];
  dirty: Set<number>;
  activities: NewActivity[];
  history: EmailStatusRecord[];
}

/** Writes a batch's result with one set-based statement per table (and per JSON_ROWS rows). */
export class BatchWriter {
  constructor(
    private readonly db: Knex.Transaction,
    private readonly engine: Engine,
    private readonly state: BatchResult,
  ) {}

  async write(): Promise<void> {
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
export function inList(
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
