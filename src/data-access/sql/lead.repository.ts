import { whereAmong } from './among.js';
import { activityInserts, activityRow, type NewActivity } from './activity.repository.js';
import type { LeadRecord, LeadUpdate, NewLead, PropagationActivity } from '../../domain/records.js';
import { newLeadRow, updatedRecord, updateRow, type Row } from '../lead-row.js';
import type { EmailStatusRecord } from './email-status.repository.js';
import {
  nextChangeSeqSql,
  propagateUnsubscribed,
  propagateUnsubscribedMany,
  setStatusAndPropagate,
  unsubscribeAddressOnce,
} from './lead-propagation.js';
import type { StillHolding, UnsubscribeOnceResult } from '../../domain/ports.js';
import { runIfRow, runStatement } from './statement.js';
import { RAISE_UPDATE_HORIZON } from '../settle-writes.js';
import { updateTexts } from './lead-update-texts.js';
import { LeadReads } from './lead-reads.js';

/** A column name as SQL (both engines read double quotes as an identifier). */
const identifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The leads table: its reads (LeadReads) and its writes. */
export class LeadRepository extends LeadReads {
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

  /**
   * The UPDATE of a change, giving back the row's new change_seq (lead-update-texts.ts): SQL
   * text written for the columns it sets, past the builder, and kept per set of columns.
   */
  private updateStatement(id: number, change: LeadUpdate, now: number) {
    const values = updateRow(change, now);
    let sets = '';
    const bindings: unknown[] = [];
    for (const column in values) {
      const value = values[column];
      if (value === undefined) continue; // as knex: a column left undefined is not written
      sets += `${sets === '' ? '' : ', '}${identifier(column)} = ?`;
      bindings.push(value);
    }
    bindings.push(id);
    return { sql: updateTexts(this.engine, sets), bindings };
  }

  /** LeadStore.raiseUpdateHorizon (migrations/20261203006500_lead_update_horizon.ts). */
  async raiseUpdateHorizon(upTo: number): Promise<void> {
    await runStatement(this.db, RAISE_UPDATE_HORIZON, [upTo, upTo]);
  }

  /** Writes the change; false: no such lead. */
  async update(id: number, change: LeadUpdate, now: number): Promise<boolean> {
    const { sql, bindings } = this.updateStatement(id, change, now);
    return (await runStatement(this.db, sql.update, bindings)).rows.length > 0;
  }

  /**
   * update of the locked `lead`, then (if it was there) the activities logging it: one
   * statement on PostgreSQL, where each statement is a round trip; with `last`
   * (WriteScope.updateLogged), COMMIT goes in its message (runStatement's endsTransaction), with
   * whatever was queued. The lead as it now stands is `lead` with the change written and the
   * change_seq the UPDATE gave (updatedRecord): the row is locked for this transaction, so
   * nothing else of it can differ from what was read, and reading it back is not needed.
   */
  async updateLogged(
    lead: LeadRecord,
    change: LeadUpdate,
    now: number,
    activities: readonly NewActivity[],
    last = false,
  ): Promise<LeadRecord | null> {
    const update = this.updateStatement(lead.id, change, now);
    let row: Row | undefined;
    if (this.engine !== 'postgres' || activities.length === 0) {
      // The activities only if the lead was there: on a SQLite file, in the UPDATE's message.
      const { rows } = await runIfRow(
        this.db,
        [update.sql.update, update.bindings],
        activityInserts(activities),
      );
      row = rows[0];
    } else {
      const { rows } = await runStatement(
        this.db,
        update.sql.logged,
        [...update.bindings, JSON.stringify(activities.map(activityRow))],
        { endsTransaction: last },
      );
      row = rows[0];
    }
    return row ? updatedRecord(lead, change, now, row.change_seq) : null;
  }

  async deleteByIds(ids: readonly number[], still?: StillHolding): Promise<number[]> {
    if (ids.length === 0) return [];
    // Every holder of an address (deleteLead by EMAIL) may be many: one binding for them all.
    // What the statement deleted, not what was asked: a concurrent delete of the same person
    // (read before it committed) deletes nothing here, and must not say it did.
    // Found by address or foreign id: only those still holding it (PostgreSQL checks the row
    // again after a concurrent writer's commit, so a person moved away, or given another id,
    // meanwhile is not deleted).
    const among = () => {
      const q = whereAmong(this.db('leads'), 'id', ids, this.engine);
      if (still === undefined) return q;
      return 'emailKey' in still
        ? q.andWhere('email_key', still.emailKey)
        : q.whereIn('foreign_sys_person_id', [...still.foreignIds]);
    };
    if (this.engine === 'postgres') {
      const rows = (await among().returning('id').delete()) as Array<{ id: number | string }>;
      return rows.map((r) => Number(r.id));
    }
    // SQLite: one writer, whose transaction this is (BEGIN IMMEDIATE): what is read here is
    // what the delete finds.
    const there = (await among().select('id')) as Array<{ id: number | string }>;
    if (there.length > 0) await among().delete();
    return there.map((r) => Number(r.id));
  }

  /** Rule 2 for one address (lead-propagation.ts). Callers hold the address's lock. */
  propagateUnsubscribed(
    key: string,
    unsubscribed: boolean,
    exceptLeadId: number | null,
    now: number,
    activity: PropagationActivity,
  ): Promise<number> {
    return propagateUnsubscribed(
      this.db,
      this.engine,
      key,
      unsubscribed,
      exceptLeadId,
      now,
      activity,
    );
  }

  /**
   * Writes a master status with its history, then propagateUnsubscribed for its address: one
   * statement on PostgreSQL.
   */
  setStatusAndPropagate(
    status: EmailStatusRecord,
    exceptLeadId: number | null,
    activity: PropagationActivity,
  ): Promise<number> {
    return setStatusAndPropagate(this.db, this.engine, status, exceptLeadId, activity);
  }

  /**
   * The address takes the unsubscribe `status` and its people follow, unless it is
   * unsubscribed already: one round trip on PostgreSQL, the address's lock included.
   */
  unsubscribeAddressOnce(
    status: EmailStatusRecord,
    activity: PropagationActivity,
  ): Promise<UnsubscribeOnceResult> {
    return unsubscribeAddressOnce(this.db, this.engine, status, activity);
  }

  /** propagateUnsubscribed for many addresses at once (bulk imports). */
  propagateUnsubscribedMany(
    keys: readonly string[],
    unsubscribed: boolean,
    now: number,
    activity: PropagationActivity,
  ): Promise<number> {
    return propagateUnsubscribedMany(this.db, this.engine, keys, unsubscribed, now, activity);
  }
}
