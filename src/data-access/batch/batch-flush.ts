import type { Knex } from 'knex';
import type { EmailStatusRecord, LeadRecord, NewActivity } from '../../domain/records.js';
import type { Engine } from '../database.js';
import { changedColumns, columnValue, toRow } from '../lead-row.js';
import { ACTIVITY_COLUMN_LIST, activityValues } from '../sql/activity.repository.js';
import { statusRow } from '../sql/email-status.repository.js';
import { BatchMoved } from './batch-errors.js';
import type { SqliteHighs } from './batch-load.js';
import { insertRows, rowSetOf, updateRows } from './row-sets.js';

/** What a batch leaves to write: its people as loaded and as they now stand, and its logs. */
export interface BatchResult {
  initial: Map<number, LeadRecord>;
  leads: Map<number, LeadRecord>;
  created: number[];
  dirty: Set<number>;
  activities: NewActivity[];
  history: EmailStatusRecord[];
}

/** Writes a batch's result with one set-based statement per table (row-sets.ts). */
export class BatchWriter {
  constructor(
    private readonly db: Knex.Transaction,
    private readonly engine: Engine,
    private readonly state: BatchResult,
    private readonly sqliteHighs?: SqliteHighs,
  ) {}

  async write(): Promise<void> {
    const s = this.state;
    await this.assignChangeSeqs();
    const created = new Set(s.created);
    // Changed people first: one set-based UPDATE of their final values. A
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
      const columns = ['id', ...touched];
      const rows = changed.map((id) => {
        const l = s.leads.get(id)!;
        return columns.map((c) => columnValue(l, c) ?? null);
      });
      const updated = await updateRows(this.db, this.engine, 'leads', { columns, rows });
      if (this.engine === 'postgres' && updated !== changed.length) throw new BatchMoved();
    }
    // New people (after the changes above released what they take): ids as allocated.
    const fresh = s.created.map((id) => toRow(s.leads.get(id)!));
    await insertRows(this.db, this.engine, 'leads', rowSetOf(fresh));
    // Master statuses: the last state of each address, and every change in order.
    const finalStatuses = new Map<string, EmailStatusRecord>();
    for (const h of s.history) finalStatuses.set(h.emailKey, h);
    const statuses = rowSetOf([...finalStatuses.values()].map(statusRow));
    await insertRows(this.db, this.engine, 'email_status', statuses, 'email_key');
    await insertRows(
      this.db,
      this.engine,
      'email_status_history',
      rowSetOf(s.history.map(statusRow)),
    );
    // Activities, in the order the rules wrote them (ids follow that order).
    await insertRows(this.db, this.engine, 'activities', {
      columns: ACTIVITY_COLUMN_LIST,
      rows: s.activities.map(activityValues),
    });
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
      // This transaction holds SQLite's only write lock: the next values are ours (read with
      // the batch's people, SqliteHighs).
      if (!this.sqliteHighs) throw new Error('SQLite batch without its highs');
      const base = this.sqliteHighs.changeSeq;
      values = changed.map((_, i) => base + i + 1);
    }
    // The records are final: replaced, never mutated, as everywhere in the session.
    changed.forEach((l, i) => s.leads.set(l.id, { ...l, changeSeq: values[i]! }));
  }
}
