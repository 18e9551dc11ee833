import { masterStatus, statusVersion } from './master-status.js';
import type { ChangePath } from './change-paths.js';
import type { DurableStatusService } from './durable-status.service.js';
import type { PreparedChange } from './lead-input.js';
import { text } from './lead-rules.js';
import type { LeadWrites } from './lead-writes.js';
import { leadNotFound } from './lead-writes.js';
import type { LeadInput } from './lead.types.js';
import { RetryTransaction, type TransactionScope } from './ports.js';
import { statedByPerson } from './acknowledged-opt-outs.js';
import { revealBeneath, type SalesforceOptOutBeneath } from './salesforce-beneath.js';
import type { LeadRecord } from './records.js';

/**
 * What setting one person's Unsubscribed box did (LeadService.setUnsubscribedReporting),
 * decided under the person's locks: 'changed', the flag took the value asked for; 'recorded',
 * it held it already and the opt-out stated was recorded all the same (mustRecordForPerson);
 * 'unchanged', it held it already and nothing was written; 'changed_since', a re-subscribe
 * given the version of the suppression it was shown (statusVersion) found another one at the
 * address (an opt-out recorded since), and nothing was written.
 */
export type FlagOutcome =
  | 'changed'
  | 'recorded'
  | 'unchanged'
  | 'changed_since'
  /** An operator's re-subscribe found a Salesforce opt-out beneath: shown, nobody lifted. */
  | 'salesforce_beneath';

/** What setting the flag did to `lead`, and the Salesforce opt-out shown in place of a lift. */
export interface FlagResult<Lead> {
  lead: Lead;
  outcome: FlagOutcome;
  beneath?: SalesforceOptOutBeneath;
}

/** The change that sets a person's flag (and, when given, the reason of that change). */
export function flagInput(leadId: number, unsubscribed: boolean, reason?: string): LeadInput {
  const attributes = [{ name: 'Unsubscribed', value: String(unsubscribed) }];
  if (reason !== undefined) attributes.push({ name: 'UnsubscribedReason', value: reason });
  return { id: leadId, attributes };
}

/**
 * flagInput's `change` of the person it names, inside the caller's write transaction: the
 * person found, its address locked, then its row, and only then decided. A flag that holds
 * already is not written again (the reason whoever set it gave stays), unless the opt-out the
 * change states must be recorded: then the change is applied as any update would apply it.
 */
export async function setFlagLocked(
  repos: TransactionScope,
  writes: LeadWrites,
  durable: DurableStatusService,
  change: PreparedChange,
  path: ChangePath,
  now: number,
  /** A re-subscribe: the statusVersion of the address's suppression its maker was shown. */
  seenVersion?: string,
): Promise<FlagResult<LeadRecord>> {
  const leadId = change.id!;
  const found = await repos.leads.findById(leadId);
  if (!found) throw leadNotFound(leadId);
  await repos.lockEmailKeys([found.emailKey]);
  const lead = await repos.leads.lockRow(found);
  if (!lead) throw leadNotFound(leadId);
  // Moved to another address since it was found: locked out of order, so found again.
  if (lead.emailKey !== found.emailKey) throw new RetryTransaction();
  // Lifting an opt-out recorded after its maker's page was shown: that page never showed it.
  if (
    !change.unsubscribed &&
    lead.unsubscribed &&
    lead.emailKey !== null &&
    seenVersion !== undefined &&
    seenVersion !== statusVersion(await masterStatus(repos.emailStatus, lead.emailKey))
  )
    return { lead, outcome: 'changed_since' };
  // An operator's lift of another path's suppression, Salesforce's opt-out standing beneath it.
  if (
    !change.unsubscribed &&
    lead.unsubscribed &&
    lead.emailKey !== null &&
    !statedByPerson(path.source)
  ) {
    const status = await masterStatus(repos.emailStatus, lead.emailKey);
    const beneath = await revealBeneath(repos, lead.emailKey, status, now, {
      isProtected: (r) => durable.isProtected(r),
      liftsProtected: path.operator === true,
    });
    if (beneath) return { lead, outcome: 'salesforce_beneath', beneath };
  }
  if (lead.unsubscribed !== change.unsubscribed)
    return { lead: await writes.update(repos, lead, change, path, true), outcome: 'changed' };
  if (!change.unsubscribed) return { lead, outcome: 'unchanged' };
  const stated = change.fields.find((f) => f.field.name === 'UnsubscribedReason');
  const current =
    lead.emailKey === null ? null : await masterStatus(repos.emailStatus, lead.emailKey);
  const person = { email: lead.emailKey, reason: text(lead.columns.unsubscribed_reason) };
  const statement = { optOut: true, reason: stated ? text(stated.value) : null, path };
  if (!durable.mustRecordForPerson(person, current, statement))
    return { lead, outcome: 'unchanged' };
  return { lead: await writes.update(repos, lead, change, path, true), outcome: 'recorded' };
}
