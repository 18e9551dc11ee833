/** What a Change Data Value (bulk-change.service.ts) takes and answers: its preview, a job's status. */
import type { LiftPoint } from './opt-outs-since.js';
import type {
  BatchFailure,
  JobBatchTotals,
  JobRecord,
  LeadRecord,
  SelectionCounts,
} from './records.js';

/** A Change Data Value: one field takes one value (and the Unsubscribed box may take a reason). */
export interface DataValueChange {
  field: string;
  value: string;
  reason?: string;
}

export interface BulkPreview {
  counts: SelectionCounts;
  /** Addresses in the selection whose suppression has a protected reason (complaints). */
  protectedAddresses: number;
  /** People in the selection without an address, unsubscribed for a protected reason. */
  protectedWithoutAddress: number;
  /** The first people selected. */
  sample: LeadRecord[];
  /** A lift's: where a job confirmed from this preview starts (liftStartNow); else null. */
  liftStart: LiftPoint | null;
}

export interface BulkJobStatus {
  job: JobRecord;
  change: DataValueChange;
  totals: JobBatchTotals;
  failures: BatchFailure[];
}

export interface BulkChangeOptions {
  now?: () => number;
  /** People per transaction. */
  batchSize?: number;
  /** How long a running job stays with the instance running it without news from it. */
  leaseMs?: number;
  /** PROTECTED_REASONS: lifting a suppression whose reason names one needs a confirmation. */
  protectedWords?: readonly string[];
}
