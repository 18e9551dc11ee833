import type { Knex } from 'knex';
import type { Engine } from '../database.js';
import { salesforceRecordId } from '../../formats/salesforce-id.js';
import type { SalesforceNotificationRecord, SalesforceRecordState } from '../../domain/records.js';
export type { SalesforceNotificationRecord, SalesforceRecordState };

export type NotificationOutcome = SalesforceNotificationRecord['outcome'];

type Row = Record<string, unknown>;

const nullableNumber = (v: unknown): number | null =>
  v === null || v === undefined ? null : Number(v);

function toNotification(r: Row): SalesforceNotificationRecord {
  return {
    notificationId: r.notification_id as string,
    organizationId: r.organization_id as string,
    recordId: r.record_id as string,
    outcome: r.outcome as NotificationOutcome,
    leadId: nullableNumber(r.lead_id),
    receivedAt: Number(r.received_at),
  };
}

function toRecordState(r: Row): SalesforceRecordState {
  return {
    organizationId: (r.organization_id as string | null) ?? null,
    recordId: r.record_id as string,
    objectType: r.object_type as string,
    changedAt: nullableNumber(r.changed_at),
    reportedFields: JSON.parse((r.reported_fields as string) || '{}') as Record<
      string,
      string | null
    >,
    lastNotificationId: (r.last_notification_id as string | null) ?? null,
    updatedAt: Number(r.updated_at),
  };
}

/** Salesforce outbound notifications handled, and per record the state they left. */
export class SalesforceNotificationRepository {
  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly engine: Engine,
  ) {}

  async findNotification(notificationId: string): Promise<SalesforceNotificationRecord | null> {
    const row = (await this.db('salesforce_notifications')
      .where('notification_id', notificationId)
      .first()) as Row | undefined;
    return row ? toNotification(row) : null;
  }

  async insertNotification(n: SalesforceNotificationRecord): Promise<void> {
    await this.db('salesforce_notifications').insert({
      notification_id: n.notificationId,
      organization_id: n.organizationId,
      record_id: n.recordId,
      outcome: n.outcome,
      lead_id: n.leadId,
      received_at: n.receivedAt,
    });
  }

  /**
   * The state of organisation `organizationId`'s record, locked until the transaction ends so
   * that two notifications of one record are decided one after the other. A row of the record
   * kept from before organisations were kept (organization_id null) becomes this
   * organisation's; a record seen for the first time gets an empty row first (there is nothing
   * to lock otherwise); a concurrent first insert waits for ours.
   */
  async lockRecord(
    organizationId: string,
    recordId: string,
    objectType: string,
    now: number,
  ): Promise<SalesforceRecordState> {
    const own = { organization_id: organizationId, record_id: recordId };
    const exists = this.db('salesforce_records').where(own).select(this.db.raw('1'));
    await this.db('salesforce_records')
      .where('record_id', recordId)
      .whereNull('organization_id')
      .whereNotExists(exists)
      .update({ organization_id: organizationId });
    await this.db('salesforce_records')
      .insert({ ...own, object_type: objectType, reported_fields: '{}', updated_at: now })
      .onConflict(['organization_id', 'record_id'])
      .ignore();
    let q = this.db('salesforce_records').where(own);
    // SQLite: BEGIN IMMEDIATE already made this transaction the only writer.
    if (this.engine === 'postgres') q = q.forUpdate();
    const row = (await q.first()) as Row | undefined;
    if (!row)
      throw new Error(
        `salesforce_records row ${organizationId} ${recordId} vanished inside its transaction`,
      );
    return toRecordState(row);
  }

  /** Saves the state of the record `state` names: its organisation's (lockRecord). */
  async saveRecord(state: SalesforceRecordState, reportedEmailKey: string | null): Promise<void> {
    await this.db('salesforce_records')
      .where({ organization_id: state.organizationId, record_id: state.recordId })
      .update({
        object_type: state.objectType,
        email_key: reportedEmailKey,
        changed_at: state.changedAt,
        reported_fields: JSON.stringify(state.reportedFields),
        last_notification_id: state.lastNotificationId,
        updated_at: state.updatedAt,
      });
  }

  /**
   * The records of an address, of every organisation: those of the people holding it here,
   * and those last reported with it (email_key), whoever holds them here now, if anyone. A
   * person may hold its record's id in the 15-character form (written through syncLead); the
   * record is kept under the 18: each id is looked up in that form, by an index.
   */
  async recordsOfAddress(emailKey: string): Promise<SalesforceRecordState[]> {
    const held = (await this.db('leads')
      .where('email_key', emailKey)
      .andWhere('foreign_sys_type', 'SFDC')
      .whereNotNull('foreign_sys_person_id')
      .pluck('foreign_sys_person_id')) as string[];
    const ids = [...new Set(held.flatMap((id) => [id, salesforceRecordId(id)]))];
    const rows = (await this.db('salesforce_records').where('email_key', emailKey)) as Row[];
    const pair = (r: Row) => `${String(r.organization_id)} ${String(r.record_id)}`;
    const reported = new Set(rows.map(pair));
    if (ids.length > 0) {
      const others = (await this.db('salesforce_records')
        .whereIn('record_id', ids)
        .andWhere((q) => q.whereNull('email_key').orWhereNot('email_key', emailKey))) as Row[];
      rows.push(...others.filter((r) => !reported.has(pair(r))));
    }
    return rows.map(toRecordState);
  }

  /**
   * The records last reported with the address (email_key, by its index) and opted out, whose
   * last applied report came after `after` (updated_at, this service's clock; the same
   * millisecond counts: which came first is unknown, and the opt-out is kept), of every
   * organisation. reported_fields is JSON.stringify's text: no space after the colon.
   */
  async optedOutWithAddressSince(
    emailKey: string,
    after: number,
  ): Promise<SalesforceRecordState[]> {
    const rows = (await this.db('salesforce_records')
      .where('email_key', emailKey)
      .andWhere('updated_at', '>=', after)
      .andWhere('reported_fields', 'like', '%"Unsubscribed":"true"%')
      .orderBy('updated_at', 'desc')) as Row[];
    return rows.map(toRecordState);
  }

  /**
   * Keeps `changedAt` as the address's newest Salesforce opt-out, unless a newer one is kept:
   * one statement, so that two records of the address reported at once (each transaction locks
   * its own record only) both count.
   */
  async keepAddressOptOut(emailKey: string, changedAt: number): Promise<void> {
    await this.db('salesforce_address_opt_outs')
      .insert({ email_key: emailKey, changed_at: changedAt })
      .onConflict('email_key')
      .merge({
        changed_at: this.db.raw(
          'CASE WHEN excluded.changed_at > salesforce_address_opt_outs.changed_at ' +
            'THEN excluded.changed_at ELSE salesforce_address_opt_outs.changed_at END',
        ),
      });
  }

  /** The newest change order at which a record was reported opted out with the address. */
  async addressOptOut(emailKey: string): Promise<number | null> {
    const row = (await this.db('salesforce_address_opt_outs')
      .where('email_key', emailKey)
      .first('changed_at')) as Row | undefined;
    return row ? Number(row.changed_at) : null;
  }

  /** Forgets notifications received before a time; returns how many. */
  async deleteNotificationsReceivedBefore(receivedAt: number): Promise<number> {
    return this.db('salesforce_notifications').where('received_at', '<', receivedAt).delete();
  }
}
