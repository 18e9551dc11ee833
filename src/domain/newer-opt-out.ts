import { ChangePaths } from './change-paths.js';
import { emailKey } from './email-key.js';
import { masterStatusSource } from './master-change.js';
import { masterStatus } from './master-status.js';
import type { TransactionScope } from './ports.js';
import type { LeadInput } from './lead.types.js';
import type { LeadRecord } from './records.js';
import { MAX_MODSTAMP_AHEAD_MS } from './salesforce-notification.js';
import { id15, id18 } from '../formats/salesforce-id.js';

/**
 * How far the clock of an instance that stamps an opt-out is taken to be behind Salesforce's
 * when no margin is given: SFDC_CLOCK_MARGIN_SECONDS's default (src/config), in ms.
 */
export const DEFAULT_CLOCK_MARGIN_MS = 60000;

/** A Salesforce untick (Unsubscribed false) about to be applied to `lead`. */
export interface Untick {
  lead: LeadRecord;
  /** Its record's change order (SystemModstamp, Salesforce's clock). */
  changedAt: number;
  /** Its record: the organisation (18 characters) and the record id. */
  mine: { organizationId: string; recordId: string };
  /** The organisation as its message spelt the id. */
  organizationId: string;
  /** This instance's clock. */
  now: number;
  /**
   * SFDC_CLOCK_MARGIN_SECONDS, in ms: an opt-out here stamped up to this much before the
   * untick's modstamp counts as made after it.
   */
  clockMarginMs: number;
}

/**
 * A re-subscribe made in Salesforce before the address's latest opt-out (a message delivered
 * late: Salesforce retries for 24 hours) is not applied: that opt-out is the newer decision,
 * and lifting it would undo an acknowledged opt-out with an older change. The record's other
 * fields still apply. An opt-out here by another path (a link, mktows, an operator) is dated
 * by the master status: once a record of the address was reported opted out, every such
 * opt-out of it is recorded there, the address unsubscribed already or not
 * (acknowledged-opt-outs.ts). An untick made before that (its record's opt-out delivered late
 * too) cannot be told from an opt-out another path acknowledged before without a trace, and
 * is not applied either. One from Salesforce is dated by its record's change order (its time
 * here is only when it arrived): the record's own by the record's order (a stale notification
 * is never applied), another record's by its last report, or by the newest kept for the
 * address (newerOptOutInSalesforce).
 *
 * Both dates here (the status's changedAt, optOutsRecordedSince) are the clock of the instance
 * that wrote them, the untick's is Salesforce's: with that instance behind Salesforce, an
 * opt-out made after the untick is stamped before it. Each comparison is moved by the margin
 * toward keeping the opt-out: a status stamped less than the margin before the untick counts
 * as newer, and an untick made less than the margin after the mark counts as made before it.
 * What it costs: a re-subscribe made in Salesforce within the margin after an opt-out here is
 * not applied (ticked and unticked again later, it is). Salesforce's own dates, all change
 * orders of its records, are compared as they are.
 */
export async function keepNewerOptOut(
  repos: TransactionScope,
  input: LeadInput,
  untick: Untick,
): Promise<void> {
  const attributes = input.attributes ?? [];
  const at = attributes.findIndex((a) => a.name === 'Unsubscribed' && a.value === 'false');
  if (at < 0) return;
  const email = input.email !== undefined ? input.email : untick.lead.email;
  if (email === null) return;
  const key = emailKey(email);
  const status = await masterStatus(repos.emailStatus, key);
  if (!status?.unsubscribed) return;
  const { changedAt, clockMarginMs } = untick;
  // A mark of 0: every opt-out was recorded, from always (optOutsRecordedFrom). No margin.
  const since = status.optOutsRecordedSince;
  const newerHere =
    (status.changedAt > changedAt - clockMarginMs &&
      !isOrganizationSource(status.source, untick.organizationId)) ||
    (since !== undefined && since > 0 && changedAt < since + clockMarginMs);
  if (newerHere || (await newerOptOutInSalesforce(repos, key, untick)))
    input.attributes = attributes.filter((_, i) => i !== at);
}

/**
 * Whether another Salesforce record of the address (held here by someone with it, or last
 * reported with it: its person may have been deleted or moved here since; the same id
 * reported by another organisation, a sandbox's copy, is another record) was last reported
 * opted out at a change order after the untick's, or any record was reported opted out with
 * the address at such an order, though reported at another address since (moved in
 * Salesforce, its opt-out of this address was acknowledged). The untick's own record counts
 * there too, never wrongly: an older notification of it is stale, so its own orders are
 * never after the untick's. The master status need not show it: an opt-out of an address
 * unsubscribed already changes nothing, so the status still names whoever unsubscribed it
 * first. A change order ahead of the clock (stored by an older version) proves nothing and
 * is left out.
 */
async function newerOptOutInSalesforce(
  repos: TransactionScope,
  key: string,
  { mine, changedAt, now }: Untick,
): Promise<boolean> {
  const believable = (at: number | null): at is number =>
    at !== null && at > changedAt && at <= now + MAX_MODSTAMP_AHEAD_MS;
  if (believable(await repos.salesforceNotifications.addressOptOut(key))) return true;
  const records = await repos.salesforceNotifications.recordsOfAddress(key);
  return records.some(
    (r) =>
      (r.recordId !== mine.recordId || r.organizationId !== mine.organizationId) &&
      r.reportedFields.Unsubscribed === 'true' &&
      believable(r.changedAt),
  );
}

/**
 * Whether a master status source names this organisation's Salesforce path. It names the
 * organisation as its message spelt the id, 15 or 18 characters (SFDC_ORG_IDS takes either),
 * so both spellings are its own: not another path's opt-out.
 */
function isOrganizationSource(source: string, organizationId: string): boolean {
  return [id15(organizationId), id18(organizationId)].some(
    (spelling) => source === masterStatusSource(ChangePaths.salesforce(spelling)),
  );
}
