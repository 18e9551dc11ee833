import { AppError, ErrorCode } from '../errors.js';
import type { ChangePath } from './change-paths.js';
import { refusedReasonChange } from './status-reasons.js';
import type { DurableStatusService, KnownStatuses } from './durable-status.service.js';
import type { PreparedChange } from './lead-input.js';
import { newAddressOf, planChange, planIsEmpty, text, type LeadPlan } from './lead-rules.js';
import { RetryTransaction, type WriteScope } from './ports.js';
import type { LeadRecord } from './records.js';

/**
 * A change applied to a locked person (LeadWrites.update): the plan of lead-rules.ts, the
 * master status changes it calls for, then the person's write. Not one async function: most
 * changes (a batch's records among them) need the person's write alone, and an async frame
 * held across that write cost every record of a batch about a kilobyte of allocation
 * (docs/benchmarks.md, twenty-sixth round). Only a plan with more to do than that write, or a
 * move to a new address, runs as one.
 */

/** What the change is made under: who asks, its time, and what the caller knows. */
export interface UpdateTerms {
  path: ChangePath;
  now: number;
  /** The caller's work ends with this write (WriteScope.updateLogged). */
  last: boolean;
  known: KnownStatuses | undefined;
}

/** `change` applied to the locked `lead`; the lead as it then stands. */
export function updateLead(
  durable: DurableStatusService,
  repos: WriteScope,
  lead: LeadRecord,
  change: PreparedChange,
  terms: UpdateTerms,
): Promise<LeadRecord> {
  const newKey = newAddressOf(lead, change);
  if (newKey !== null) return updateToAddress(durable, repos, lead, change, terms, newKey);
  return applyPlan(
    durable,
    repos,
    lead,
    planChange(lead, change, false, terms.path, terms.now),
    terms,
  );
}

/** updateLead for a move to a new address: its master status first (rule 5). */
async function updateToAddress(
  durable: DurableStatusService,
  repos: WriteScope,
  lead: LeadRecord,
  change: PreparedChange,
  terms: UpdateTerms,
  newKey: string,
): Promise<LeadRecord> {
  const newAddressUnsubscribed = await durable.isUnsubscribed(repos, newKey);
  const plan = planChange(lead, change, newAddressUnsubscribed, terms.path, terms.now);
  return applyPlan(durable, repos, lead, plan, terms);
}

/** The plan's writes: the person's alone without an async frame, else applyPlanFully. */
function applyPlan(
  durable: DurableStatusService,
  repos: WriteScope,
  lead: LeadRecord,
  plan: LeadPlan,
  terms: UpdateTerms,
): Promise<LeadRecord> {
  // A refusal rejects the promise, as it did when this was one async function: no caller
  // has to await inside a try of its own to see it.
  // Without an address before the change, or once its address step takes it away (rule 6: the
  // flag and reason then apply to a person without one, as a second request's would).
  if ((lead.emailKey === null || addressTakenAway(plan)) && !terms.path.operator) {
    try {
      refuseLiftWithoutAddress(durable, lead, plan);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  const fid = plan.update.foreignSysPersonId;
  const more = plan.masterChanges.length > 0 || plan.acknowledged.length > 0;
  if (more || (fid !== undefined && fid !== null))
    return applyPlanFully(durable, repos, lead, plan, terms);
  return writeLead(repos, lead, plan, terms);
}

/** Whether the plan's address step leaves the person without an address. */
function addressTakenAway(plan: LeadPlan): boolean {
  return plan.update.email !== undefined && (plan.update.emailKey ?? null) === null;
}

/**
 * The person's own opt-out, without an address (no master status holds it, rule 5 carries it
 * to the address it gets): a protected reason is lifted by an operator alone, as at an address
 * (DurableStatusService.setMasterStatus). Neither a re-subscribe nor a reason that replaces it
 * while the person stays unsubscribed without an address: that left a plain opt-out, which the
 * next re-subscribe lifted. Throws the refusal (LEAD_SYNC_FAILED).
 */
function refuseLiftWithoutAddress(
  durable: DurableStatusService,
  lead: LeadRecord,
  plan: LeadPlan,
): void {
  // Only the person's own opt-out: one it took from the address it moves to (rule 5) is that
  // address's to keep (setMasterStatus), its own column then holding a reason of old.
  if (!lead.unsubscribed) return;
  const reason = text(lead.columns.unsubscribed_reason);
  if (plan.update.unsubscribed === false) durable.refuseProtectedLift(reason, null);
  // Given an address, the opt-out goes there with its reason (lead-rules.ts, carried).
  if ((plan.update.emailKey ?? null) !== null) return;
  const columns = plan.update.columns ?? {};
  if (!Object.prototype.hasOwnProperty.call(columns, 'unsubscribed_reason')) return;
  if (durable.isProtected(reason) && !durable.isProtected(text(columns.unsubscribed_reason)))
    throw refusedReasonChange(reason);
}

/**
 * The reason an opt-out of the plan states: a complaint the person was given before its own
 * unsubscribe (in another call) when the change gives none (MasterChange.kept), else its own.
 */
export function statedReason(
  durable: DurableStatusService,
  s: { reason: string | null; kept?: string },
): string | null {
  return s.kept !== undefined && durable.isProtected(s.kept) ? s.kept : s.reason;
}

/** applyPlan with master statuses, an acknowledged opt-out or a foreign id to check first. */
async function applyPlanFully(
  durable: DurableStatusService,
  repos: WriteScope,
  lead: LeadRecord,
  plan: LeadPlan,
  terms: UpdateTerms,
): Promise<LeadRecord> {
  const { path, now, known } = terms;
  // The count is for metrics: the writes may go with the lead's own (one message fewer).
  // By index: a for…of whose body awaits costs every record an iterator, none changed or not.
  for (let i = 0; i < plan.masterChanges.length; i++) {
    const m = plan.masterChanges[i]!;
    const change = {
      key: m.key,
      unsubscribed: m.unsubscribed,
      reason: statedReason(durable, m),
      causedBy: lead.id,
      path,
      now,
    };
    await durable.queueMasterStatus(repos, change, known);
  }
  for (let i = 0; i < plan.acknowledged.length; i++) {
    const ack = plan.acknowledged[i]!;
    const statement = { key: ack.key, optOut: ack.optOut, reason: statedReason(durable, ack) };
    await durable.acknowledgeOptOut(repos, { ...statement, path, causedBy: lead.id, now }, known);
  }
  const fid = plan.update.foreignSysPersonId;
  if (fid !== undefined && fid !== null) {
    const holder = await repos.leads.findByForeignId(fid);
    if (holder && holder.id !== lead.id) {
      throw new AppError(ErrorCode.LEAD_SYNC_FAILED, 'ForeignSysPersonId belongs to another lead');
    }
  }
  return writeLead(repos, lead, plan, terms);
}

/** The person's write, the last of the work: nothing in updateLead reads or writes after it. */
function writeLead(
  repos: WriteScope,
  lead: LeadRecord,
  plan: LeadPlan,
  terms: UpdateTerms,
): Promise<LeadRecord> {
  // Rule 7: nothing changed, nothing written, nothing logged.
  if (planIsEmpty(plan)) return Promise.resolve(lead);
  return repos
    .updateLogged(lead, plan.update, terms.now, plan.activities, terms.last)
    .then(writtenOrRetry);
}

/** The row is locked for this transaction: gone means something is badly off; start over. */
function writtenOrRetry(after: LeadRecord | null): LeadRecord {
  if (!after) throw new RetryTransaction();
  return after;
}
