import { PROPAGATED_REASON, type ChangePath } from './change-paths.js';
import type { EmailStatusRecord, PropagationActivity } from './records.js';

/** The source column of a master status change made by `path`. */
export function masterStatusSource(path: ChangePath): string {
  // The column holds 128 characters; a long actor name is cut, never a failed write.
  return (path.actor ? `${path.source} (${path.actor})` : path.source).slice(0, 128);
}

/** A change of an address's master status, as rules 1 and 2 take it. */
export interface MasterStatusChange {
  key: string;
  unsubscribed: boolean;
  /** The person whose own change it is (it does not follow as a propagation), if any. */
  causedBy: number | null;
  path: ChangePath;
  reason: string | null;
  now: number;
}

/** The master status a change writes, and the activity of each person who follows it. */
export function masterChange(
  change: MasterStatusChange,
  lifted: { liftedReason: string | null; liftedAt: number } | null = null,
): { status: EmailStatusRecord; activity: PropagationActivity } {
  return {
    status: {
      emailKey: change.key,
      unsubscribed: change.unsubscribed,
      reason: change.reason ?? change.path.reason,
      source: masterStatusSource(change.path),
      leadId: change.causedBy,
      changedAt: change.now,
      ...lifted,
    },
    activity: {
      attributeName: 'Unsubscribed',
      reason: PROPAGATED_REASON,
      source: change.path.source,
      actor: change.path.actor ?? null,
      causeLeadId: change.causedBy,
    },
  };
}
