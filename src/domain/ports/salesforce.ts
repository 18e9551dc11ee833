import type { SalesforceNotificationRecord, SalesforceRecordState } from '../records.js';

/** The bookkeeping of Salesforce outbound messages: which were applied, per record state. */
export interface SalesforceNotificationStore {
  findNotification(notificationId: string): Promise<SalesforceNotificationRecord | null>;
  insertNotification(n: SalesforceNotificationRecord): Promise<void>;
  /**
   * Locks the state of an organisation's record until the transaction ends, so that
   * notifications of one record are decided one after the other (a record seen for the first
   * time starts empty). A record is the pair (organisation, record id): a sandbox keeps its
   * production's record ids, and the two orgs' records never share state. A state kept from
   * before organisations were kept (organisation null) becomes the first reporter's.
   */
  lockRecord(
    organizationId: string,
    recordId: string,
    objectType: string,
    now: number,
  ): Promise<SalesforceRecordState>;
  /** `reportedEmailKey`: the key of the Email the record is last reported with, if any. */
  saveRecord(state: SalesforceRecordState, reportedEmailKey: string | null): Promise<void>;
  /**
   * The state of every Salesforce record held by a person whose address is `emailKey`, or last
   * reported with it, of every organisation, read without locking them.
   */
  recordsOfAddress(emailKey: string): Promise<SalesforceRecordState[]>;
  /**
   * The records last reported with `emailKey` and opted out then, whose last report was
   * applied here at or after `after` (epoch ms of this service's clock), newest first.
   */
  optedOutWithAddressSince(emailKey: string, after: number): Promise<SalesforceRecordState[]>;
  /**
   * Keeps, per address, the newest change order at which a record was reported opted out with
   * it: `changedAt`, unless a newer one is kept already.
   */
  keepAddressOptOut(emailKey: string, changedAt: number): Promise<void>;
  /**
   * That newest order (null: none kept), though the record has been reported at another
   * address since.
   */
  addressOptOut(emailKey: string): Promise<number | null>;
  deleteNotificationsReceivedBefore(receivedAt: number): Promise<number>;
}
