import type {
  BatchFailure,
  JobBatchTotals,
  JobRecord,
  JobState,
  PendingBatch,
  RejectedLine,
} from '../records.js';

/** The console's background jobs, their batches and an import's rejected lines. */
export interface ConsoleJobStore {
  create(job: {
    kind: string;
    operator: string;
    state: JobState;
    spec: string;
    now: number;
    fileName?: string | null;
  }): Promise<number>;
  addBatches(
    jobId: number,
    batches: ReadonlyArray<readonly number[]>,
    firstSeq: number,
  ): Promise<void>;
  update(
    id: number,
    change: Partial<
      Pick<JobRecord, 'state' | 'totalItems' | 'totalBatches' | 'progress' | 'message'>
    > & { now: number; finishedAt?: number | null; leaseUntil?: number },
  ): Promise<void>;
  get(id: number): Promise<JobRecord | null>;
  recent(kind: string, limit: number): Promise<JobRecord[]>;
  /** Jobs of a kind no runner holds (queued, or whose lease ran out). */
  claimable(kind: string, now: number): Promise<number[]>;
  /** Takes or extends a job's lease if it still is `expected` (null: expired); true if taken. */
  lease(id: number, holderUntil: number, now: number, expected: number | null): Promise<boolean>;
  /** Marks a job failed if no runner holds it (as claimable says) now; false if one does. */
  failUnheld(id: number, message: string, now: number): Promise<boolean>;
  nextPending(jobId: number): Promise<PendingBatch | null>;
  /** Marks a batch applied with its counts; false if another run applied it first. */
  markApplied(
    jobId: number,
    seq: number,
    counts: { changed: number; unchanged: number; failures: readonly BatchFailure[] },
    now: number,
  ): Promise<boolean>;
  totals(jobId: number): Promise<JobBatchTotals>;
  failures(jobId: number, limit: number): Promise<BatchFailure[]>;
  addRejects(jobId: number, rejects: readonly RejectedLine[]): Promise<void>;
  rejects(jobId: number, afterLine: number, limit: number): Promise<RejectedLine[]>;
}
