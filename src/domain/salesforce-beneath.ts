import { madeBySalesforce } from './acknowledged-opt-outs.js';
import { ChangePaths } from './change-paths.js';
import { findBySalesforceId } from './lead-find.js';
import { masterChange } from './master-change.js';
import type { TransactionScope } from './ports.js';
import type { EmailStatusRecord } from './records.js';

/** A Salesforce record's opt-out of an address, standing beneath another path's suppression. */
export interface SalesforceOptOutBeneath {
  /** The organisation (18 characters) whose record it is; null: kept from before orgs were. */
  organizationId: string | null;
  recordId: string;
  /**
   * When its last report was applied here: the opt-out's own arrival is not kept, so a later
   * report of another field of the still opted-out record dates it later (it is kept the more).
   */
  reportedAt: number;
}

/** What a lift may do to a protected suppression (a complaint), for the reveal to keep it. */
export interface LiftProtection {
  isProtected(reason: string | null): boolean;
  /** The lift was confirmed for a protected suppression (an operator's path: ChangePath.operator). */
  liftsProtected: boolean;
}

/**
 * The Salesforce opt-out an operator's lift of `current` would silently lose, if any.
 *
 * A record reported opted out of an address an operator or an import had unsubscribed already
 * leaves the status as it was (rule 7, acknowledged-opt-outs.ts), and so does an import's
 * suppression recorded over Salesforce's own: the status shows the other path's reason. Lifting
 * that one (a bounce thought resolved) must not re-subscribe an address Salesforce still holds
 * opted out, unseen. A record counts when its last report holds the box ticked with this
 * address and was applied after the address was last subscribed here: an opt-out an operator
 * lifted once, knowingly, while the status showed it as Salesforce's, is not brought back.
 * A status Salesforce made is lifted as it is: the operator sees whose it is.
 *
 * Read under the address's lock, in the lift's transaction: an opt-out reported meanwhile
 * waits for it (the listener locks the address before writing its status) or is found here.
 * A protected suppression the lift was not confirmed for is not looked beneath: the lift's own
 * refusal comes first, and nothing is written.
 */
export async function salesforceOptOutBeneath(
  repos: TransactionScope,
  key: string,
  current: EmailStatusRecord | null | undefined,
  protection: LiftProtection,
): Promise<SalesforceOptOutBeneath | null> {
  if (current?.unsubscribed !== true || madeBySalesforce(current)) return null;
  if (protection.isProtected(current.reason) && !protection.liftsProtected) return null;
  const subscribedAt = (await repos.emailStatus.lastSubscribedAt(key)) ?? -1;
  const records = await repos.salesforceNotifications.optedOutWithAddressSince(key, subscribedAt);
  const record = records.find((r) => r.reportedFields.Unsubscribed === 'true');
  if (!record) return null;
  return {
    organizationId: record.organizationId,
    recordId: record.recordId,
    reportedAt: record.updatedAt,
  };
}

/**
 * When a record's report counts as made (its row's updatedAt): `now`, read under the address's
 * lock, not on arrival, so after every re-subscribe it waited for; and an opt-out's never
 * before the address's last re-subscribe, which it follows in commit order. That one may have
 * been stamped by a clock ahead of this one (another instance's, or this one's before it
 * stepped back), and the lift of a suppression over the opt-out would then not find it
 * beneath (salesforceOptOutBeneath).
 *
 * The address is locked here: it need not be one the report's change locked (its person here
 * moved to another address by another path, Salesforce still reports the record at this one).
 * Unlocked, a lift of it committing between this read and the report's commit would count as
 * made after the report, and the record's opt-out, reported after that lift, as lifted by it.
 * Locked after the person's addresses, out of the global order: a deadlock with a writer of
 * both is retried as a new unit (Transactions.write).
 */
export async function reportedAt(
  repos: TransactionScope,
  key: string | null,
  fields: Readonly<Record<string, string | null>>,
  now: number,
): Promise<number> {
  if (key === null || fields.Unsubscribed !== 'true') return now;
  await repos.lockEmailKeys([key]);
  return Math.max(now, (await repos.emailStatus.lastSubscribedAt(key)) ?? now);
}

/**
 * Every operator's lift, in its transaction under the address's lock, before it writes: the
 * Salesforce opt-out beneath `current` (the status of the address `key`), if any, shown by the status in
 * place of the lift (showSalesforceOptOut), and returned; null: lift as asked.
 */
export async function revealBeneath(
  repos: TransactionScope,
  key: string,
  current: EmailStatusRecord | null | undefined,
  now: number,
  protection: LiftProtection,
): Promise<SalesforceOptOutBeneath | null> {
  const beneath = await salesforceOptOutBeneath(repos, key, current, protection);
  if (beneath) await showSalesforceOptOut(repos, key, beneath, now);
  return beneath;
}

/**
 * Instead of a lift: the master status becomes the record's opt-out, as Salesforce's own
 * writes it (source and reason; caused by the record's person if it still holds the address),
 * with its history row. Nobody follows: everyone holding the address is unsubscribed already.
 * A complaint reaches here only by a lift confirmed for it: lifted as confirmed, it gives way
 * to Salesforce's opt-out, which the record's own untick may lift.
 */
export async function showSalesforceOptOut(
  repos: TransactionScope,
  key: string,
  beneath: SalesforceOptOutBeneath,
  now: number,
): Promise<void> {
  const person = await findBySalesforceId(repos, beneath.recordId);
  const { status } = masterChange({
    key,
    unsubscribed: true,
    causedBy: person?.emailKey === key ? person.id : null,
    path: ChangePaths.salesforce(beneath.organizationId ?? undefined),
    reason: null,
    now,
  });
  await repos.emailStatus.set({ ...status, recordedAt: now });
}

/**
 * What an operator whose lift found `beneath` is told: "Not lifted: Salesforce record 00Q…
 * holds this address opted out (reported 2026-12-07 10:00 UTC). …".
 */
export function notLiftedText(beneath: SalesforceOptOutBeneath): string {
  const at = new Date(beneath.reportedAt).toISOString().slice(0, 16).replace('T', ' ');
  return (
    `Not lifted: Salesforce record ${beneath.recordId} holds this address opted out ` +
    `(reported ${at} UTC). The address now shows Salesforce's opt-out; lift again to lift it.`
  );
}
