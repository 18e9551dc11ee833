import { masterStatus } from './master-status.js';
import {
  RetryTransaction,
  type CallDeadline,
  type TransactionScope,
  type Transactions,
} from './ports.js';
import { AppError, ErrorCode } from '../errors.js';
import { ChangePaths } from './change-paths.js';
import { optOutsRecordedFrom } from './acknowledged-opt-outs.js';
import { emailKey, otherJoinedKey } from './email-key.js';
import type { FieldCatalogue } from './field-catalogue.js';
import {
  MAX_MODSTAMP_AHEAD_MS,
  optOutDespite,
  problemsOf,
  refusal,
  reportedKey,
  type SalesforceNotification,
  type SalesforceRecordSnapshot,
} from './salesforce-notification.js';
import type { LeadService } from './lead.service.js';
import type { LeadInput } from './lead.types.js';
import { salesforceRecordId } from '../formats/salesforce-id.js';
import { findBySalesforceId } from './lead-find.js';
import { reportedAt } from './salesforce-beneath.js';
import { DEFAULT_CLOCK_MARGIN_MS, keepNewerOptOut } from './newer-opt-out.js';

/** APPLIED: the lead now reflects it; REPEAT: handled before; STALE: older than what was applied. */
export type NotificationOutcome = 'APPLIED' | 'REPEAT' | 'STALE';

export interface NotificationResult {
  notificationId: string;
  recordId: string;
  outcome: NotificationOutcome;
  leadId: number | null;
}

export {
  MAX_MODSTAMP_AHEAD_MS,
  SALESFORCE_OBJECT_TYPES,
  type SalesforceNotification,
  type SalesforceObjectType,
  type SalesforceRecordSnapshot,
} from './salesforce-notification.js';

/** Salesforce retries a notification for 24 hours at most; a week leaves a wide margin. */
export const NOTIFICATION_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** What refuses one notification's record, not the message: the others still apply. */
const RECORD_REFUSALS: ReadonlySet<string> = new Set([ErrorCode.LEAD_SYNC_FAILED]);

const own = (fields: Readonly<Record<string, string | null>>, name: string) =>
  Object.prototype.hasOwnProperty.call(fields, name);

/** Whether `input` re-subscribes its person (Unsubscribed false). */
const unticks = (input: LeadInput) =>
  (input.attributes ?? []).some((a) => a.name === 'Unsubscribed' && a.value === 'false');

/**
 * An untick tied with the opt-out it would lift: the opt-out stands. With an Email change it
 * goes with the record to its new address (Unsubscribed sent as true); without one, the box is
 * left out of the change.
 */
function keepOptOut(input: LeadInput): void {
  input.attributes = input.attributes!.flatMap((a) =>
    a.name !== 'Unsubscribed' ? [a] : input.email !== undefined ? [{ ...a, value: 'true' }] : [],
  );
}

/**
 * The Salesforce path: changes Salesforce pushes (Outbound Messaging) applied with every
 * durable rule, each notification exactly once and never older over newer.
 */
export class SalesforceSyncService {
  private readonly now: () => number;
  private readonly clockMarginMs: number;

  /** `clockMarginMs`: SFDC_CLOCK_MARGIN_SECONDS in ms (keepNewerOptOut); else its default. */
  constructor(
    private readonly transactions: Transactions,
    private readonly leads: LeadService,
    private readonly catalogue: FieldCatalogue,
    options: { now?: () => number; clockMarginMs?: number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.clockMarginMs = options.clockMarginMs ?? DEFAULT_CLOCK_MARGIN_MS;
  }

  /**
   * Applies one outbound message's notifications in order, each committing with its own
   * bookkeeping: after a failure part-way, Salesforce's retry finds the committed ones done and
   * skips them. A notification with a value that cannot be stored is refused, the others are
   * not: they apply, and the first refusal, in message order, is the answer. Of a refused
   * notification only an opt-out with a sound Email is applied, without the bad fields
   * (optOutDespite), and it is never recorded as handled: each retry refuses it again, until
   * Salesforce sends the record corrected.
   *
   * `deadline`: the listener's (REQUEST_TIMEOUT_MS). Past it a notification not yet committing
   * is withdrawn and none after it starts (fault 10001, callTimedOut): the message is answered
   * a fault, and the retry applies them.
   */
  async apply(
    organizationId: string,
    notifications: readonly SalesforceNotification[],
    deadline?: CallDeadline,
  ): Promise<NotificationResult[]> {
    const latest = this.now() + MAX_MODSTAMP_AHEAD_MS;
    const problems = notifications.map((n) => problemsOf(n, this.catalogue, latest));
    const results: NotificationResult[] = [];
    let refused: AppError | null = null;
    for (const [i, n] of notifications.entries()) {
      const bad = problems[i]!;
      const record = bad.length === 0 ? n.record : optOutDespite(n.record, bad);
      if (bad.length > 0) refused ??= refusal((n.position ?? i + 1) - 1, n.record, bad[0]!);
      if (record === null) continue;
      try {
        const result = await this.transactions.write(
          (repos) =>
            this.applyOne(repos, organizationId, n.notificationId, record, bad.length === 0),
          deadline ? { deadline } : undefined,
        );
        if (bad.length === 0) results.push(result);
      } catch (error) {
        // A refusal of this one record (a protected suppression it would lift, say) must not
        // hold back the others: Salesforce retries the whole message and, after 24 hours,
        // drops it, so an opt-out behind the refused notification would never arrive. The
        // others commit; the refusal is the answer, and a retry finds them done.
        if (!(error instanceof AppError) || !RECORD_REFUSALS.has(error.code)) throw error;
        refused ??= error;
      }
    }
    if (refused) throw refused;
    return results;
  }

  /** Forgets handled notifications older than the retention; returns how many. */
  async forgetOldNotifications(): Promise<number> {
    const before = this.now() - NOTIFICATION_RETENTION_MS;
    return this.transactions.write((repos) =>
      repos.salesforceNotifications.deleteNotificationsReceivedBefore(before),
    );
  }

  /**
   * One notification's change, in the transaction `repos`. `handled`: whether it is recorded
   * (salesforce_notifications) as done, so that a retry skips it; a refused notification's
   * opt-out is applied without it.
   */
  private async applyOne(
    repos: TransactionScope,
    organizationId: string,
    notificationId: string,
    record: SalesforceRecordSnapshot,
    handled: boolean,
  ): Promise<NotificationResult> {
    const store = repos.salesforceNotifications;
    const now = this.now();
    // A record is the pair (organisation, id): a sandbox keeps its production's record ids, and
    // one org's change order and reports must not decide the other's notifications.
    const org = salesforceRecordId(organizationId);
    // The record lock comes first: a concurrent delivery of the same notification waits here,
    // then finds it recorded.
    const state = await store.lockRecord(org, record.recordId, record.objectType, now);
    const done = await store.findNotification(notificationId);
    const result = (outcome: NotificationOutcome, leadId: number | null) => ({
      notificationId,
      recordId: record.recordId,
      outcome,
      leadId,
    });
    if (done) return result('REPEAT', done.leadId);

    const bookkeeping = { notificationId, organizationId, recordId: record.recordId };
    // A change order ahead of the clock proves nothing (stored before such stamps were
    // refused): it is forgotten, so that no genuine change is called stale against it.
    const appliedAt =
      state.changedAt !== null && state.changedAt <= now + MAX_MODSTAMP_AHEAD_MS
        ? state.changedAt
        : null;
    if (record.changedAt !== null && appliedAt !== null && record.changedAt < appliedAt) {
      if (!handled) return result('STALE', null);
      await store.insertNotification({
        ...bookkeeping,
        outcome: 'STALE',
        leadId: null,
        receivedAt: now,
      });
      return result('STALE', null);
    }

    let lead = await findBySalesforceId(repos, record.recordId);
    const input = this.leadInput(record, state.reportedFields, lead !== null);
    // The id stays as the person holds it: an integration reads back the form it wrote.
    if (lead?.foreignSysPersonId) input.foreignSysPersonId = lead.foreignSysPersonId;
    // Modstamps are whole seconds: an untick of the order the record was reported opted out
    // at cannot be told from one made before that opt-out. The opt-out stands (and goes with
    // an Email change, as a record opted out moves: rule 6, the address, then the flag), and
    // stays the record's report, so that its next change, which reports the box again,
    // settles it.
    const tied =
      lead !== null &&
      record.changedAt !== null &&
      record.changedAt === appliedAt &&
      unticks(input);
    if (tied) keepOptOut(input);
    if (lead && record.changedAt !== null && unticks(input)) {
      // The address's lock before its status is read, as every writer of the address takes
      // it: an opt-out by another path (a link, mktows, an operator, an import) that commits
      // after that read would otherwise be lifted by this older untick, read before it.
      const newKey = input.email ? emailKey(input.email) : null;
      await repos.lockEmailKeys([lead.emailKey, newKey]);
      const current = await findBySalesforceId(repos, record.recordId);
      // Moved to another address before the lock: start over, never lock out of order.
      if (!current || current.emailKey !== lead.emailKey) throw new RetryTransaction();
      lead = current;
      await keepNewerOptOut(repos, input, {
        lead,
        changedAt: record.changedAt,
        mine: { organizationId: org, recordId: record.recordId },
        organizationId,
        now,
        clockMarginMs: this.clockMarginMs,
      });
    }
    const synced = await this.leads.syncWithin(repos, input, {
      path: ChangePaths.salesforce(organizationId),
    });
    const reportedFields = { ...state.reportedFields, ...record.fields };
    if (tied) reportedFields.Unsubscribed = 'true';
    if (reportedFields.Unsubscribed === 'true') {
      const email = input.email !== undefined ? input.email : (lead?.email ?? null);
      if (email !== null) await this.recordOptOutsFromNow(repos, emailKey(email), now);
    }
    const changedAt =
      record.changedAt === null
        ? appliedAt
        : Math.max(record.changedAt, appliedAt ?? record.changedAt);
    const reported = reportedKey(reportedFields.Email);
    await store.saveRecord(
      {
        organizationId: org,
        recordId: record.recordId,
        objectType: record.objectType,
        changedAt,
        reportedFields,
        lastNotificationId: notificationId,
        updatedAt: await reportedAt(repos, reported, reportedFields, Math.max(now, this.now())),
      },
      reported,
    );
    // Kept by the address too: reported at another address later, the record's row no longer
    // shows that it opted this one out (newer-opt-out.ts).
    if (reportedFields.Unsubscribed === 'true' && reported !== null && changedAt !== null)
      await store.keepAddressOptOut(reported, changedAt);
    if (!handled) return result('APPLIED', synced.leadId);
    await store.insertNotification({
      ...bookkeeping,
      outcome: 'APPLIED',
      leadId: synced.leadId,
      receivedAt: now,
    });
    return result('APPLIED', synced.leadId);
  }

  /**
   * A record of the address reported opted out in Salesforce (its untick may come late): every
   * opt-out of the address by another path is recorded from now on, for keepNewerOptOut
   * (newer-opt-out.ts).
   */
  private async recordOptOutsFromNow(
    repos: TransactionScope,
    key: string,
    now: number,
  ): Promise<void> {
    const status = await masterStatus(repos.emailStatus, key);
    if (!status || status.optOutsRecordedSince !== undefined) return;
    // An opt-out kept under the joined key alone (master-status.ts) has no row here to mark: it
    // becomes the address's own first, as it stands (recorded now), or the mark is lost and an
    // opt-out acknowledged after it leaves no trace to hold a late untick against.
    if (otherJoinedKey(key) !== null && !(await repos.emailStatus.get(key)))
      await repos.emailStatus.setMany([{ ...status, recordedAt: now }]);
    await repos.emailStatus.recordOptOutsSince(key, optOutsRecordedFrom(status, now));
  }

  /**
   * An existing lead gets only what changed in Salesforce since its last report: a message
   * that repeats old values (another field changed) must not undo changes made here since.
   * A new lead gets everything Salesforce has reported.
   */
  private leadInput(
    record: SalesforceRecordSnapshot,
    reported: Readonly<Record<string, string | null>>,
    leadExists: boolean,
  ): LeadInput {
    let fields: Record<string, string | null>;
    if (!leadExists) {
      fields = { ...reported, ...record.fields };
    } else {
      fields = {};
      for (const [name, value] of Object.entries(record.fields)) {
        if (!own(reported, name) || reported[name] !== value) fields[name] = value;
      }
      // An opt-out is lifted only when Salesforce is seen to clear it, never by a first report.
      if (fields.Unsubscribed === 'false' && reported.Unsubscribed !== 'true') {
        delete fields.Unsubscribed;
      }
      // A record Salesforce holds opted out moves to another address: its opt-out goes with
      // it (rule 6, the address first, then the flag). Left out as unchanged, the move alone
      // (rule 5) would subscribe the person at an address never seen. Whether Salesforce holds
      // it opted out is what it last reported: this notification's box, or when it does not
      // carry the box (a field list without it), the record's kept report.
      const reportedNow = own(record.fields, 'Unsubscribed') ? record.fields : reported;
      if (own(fields, 'Email') && reportedNow.Unsubscribed === 'true') {
        fields.Unsubscribed = 'true';
      }
    }
    const attributes: Array<{ name: string; value: string | null }> = [];
    const input: LeadInput = { foreignSysPersonId: record.recordId, foreignSysType: 'SFDC' };
    for (const [name, value] of Object.entries(fields)) {
      if (name === 'Email') input.email = value === null || value.trim() === '' ? null : value;
      else attributes.push({ name, value });
    }
    input.attributes = attributes;
    return input;
  }
}
