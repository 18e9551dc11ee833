import { masterStatus } from './master-status.js';
import type { BatchWrites, StatusStore, TransactionScope } from './ports.js';
import {
  notLiftedText,
  revealBeneath,
  salesforceOptOutBeneath,
  type LiftProtection,
} from './salesforce-beneath.js';
import type { LeadRecord } from './records.js';

/**
 * Whether a lift decided at `since` (a Change Data Value's start) would lift an opt-out
 * recorded after it at the person's address: one its operator never selected, whoever made it
 * (the recipient unsubscribing again while the job ran). Read under the address's lock, in the
 * write that would lift it. A person without an address holds its own opt-out: not asked here.
 */
export async function optedOutSince(
  store: StatusStore,
  person: LeadRecord,
  since: number,
): Promise<boolean> {
  if (!person.unsubscribed || person.emailKey === null) return false;
  const status = await masterStatus(store, person.emailKey);
  return status?.unsubscribed === true && status.changedAt > since;
}

/** What a person not lifted so is failed with. */
export const OPTED_OUT_SINCE =
  'Unsubscribed again after the job started: not lifted (lift it from the address page if meant)';

/** Redone person by person: only there is a Salesforce opt-out beneath a lift shown. */
export class RevealOneByOne extends Error {
  override name = 'RevealOneByOne';
}

/**
 * Why a lift job started at `since` does not lift `person`, or null: an opt-out recorded since
 * (optedOutSince), or a Salesforce opt-out beneath its address's suppression, shown in its
 * place (salesforce-beneath.ts) in `scope`, the job's transaction. A batch written in memory
 * (`batch`) cannot show it: RevealOneByOne is thrown, and the batch is redone person by person.
 */
export async function notLiftedWhy(
  scope: TransactionScope,
  batch: BatchWrites | null,
  person: LeadRecord,
  since: number,
  now: number,
  protection: LiftProtection,
): Promise<string | null> {
  const repos = batch?.repos ?? scope;
  if (await optedOutSince(repos.emailStatus, person, since)) return OPTED_OUT_SINCE;
  if (!person.unsubscribed || person.emailKey === null) return null;
  const status = await masterStatus(repos.emailStatus, person.emailKey);
  if (batch) {
    if (await salesforceOptOutBeneath(scope, person.emailKey, status, protection))
      throw new RevealOneByOne();
    return null;
  }
  const beneath = await revealBeneath(scope, person.emailKey, status, now, protection);
  return beneath && notLiftedText(beneath);
}

/**
 * A Change Data Value job's spec, kept with the job: it runs later. Its confirmation goes with
 * it (only a confirmed job may lift a protected suppression, one recorded after the start
 * included), and its start: a lift lifts no opt-out recorded after it (optedOutSince).
 */
export function writeJobSpec(spec: {
  criteria: unknown;
  change: unknown;
  confirmProtected: boolean;
  now: number;
}): string {
  const { criteria, change, confirmProtected, now } = spec;
  return JSON.stringify({ criteria, change, confirmProtected, startedAt: now });
}

/**
 * writeJobSpec's spec read back. A job queued before the confirmation was kept with it counts
 * as unconfirmed: a protected suppression it reaches fails that person rather than being
 * lifted. One queued before its start was kept (startedAt null) lifts as it always did.
 */
export function readJobSpec<Change>(text: string): {
  change: Change;
  confirmProtected: boolean;
  startedAt: number | null;
} {
  const spec = JSON.parse(text) as {
    change: Change;
    confirmProtected?: boolean;
    startedAt?: unknown;
  };
  return {
    change: spec.change,
    confirmProtected: spec.confirmProtected === true,
    startedAt: typeof spec.startedAt === 'number' ? spec.startedAt : null,
  };
}
