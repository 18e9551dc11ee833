import { masterStatus } from './master-status.js';
import type { StatusStore } from './ports.js';
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
