import type { Permissions } from '../domain/permissions.js';
import type { CallDeadline } from '../domain/ports.js';
import type { RawObject } from '../soap-transport/values.js';

/** Who calls an operation: what each handler is given beside the call's arguments. */
export interface CallContext {
  userId: string;
  /** What the caller may do (refusals fault 20013, nothing changed). */
  permissions: Permissions;
  /** Partition new leads go to (from MktowsContextHeader.targetWorkspace). */
  partition?: string;
  /** The call's REQUEST_TIMEOUT_MS: its writes commit before it, or are answered as they end. */
  deadline?: CallDeadline;
}

/** One operation: XML arguments → domain call → response in schema order. */
export type OperationHandler = (
  args: RawObject,
  ctx: CallContext,
) => Promise<Record<string, unknown>>;

export interface HandlerLimits {
  maxBatchSize: number;
  /** Most people one getLead answers with. */
  getLeadMaxResults: number;
  /** About the most bytes of records one getMultipleLeads page answers with (PAGE_MAX_BYTES). */
  pageMaxBytes?: number;
  /** Most losing leads one mergeLeads call may name (MERGE_LEADS_MAX_LOSERS); 100 if absent. */
  mergeMaxLosers?: number;
}
