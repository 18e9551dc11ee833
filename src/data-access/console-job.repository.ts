import type { Knex } from 'knex';
import { INLINE } from './inline-limit.js';
import type {
  JobState,
  JobRecord,
  JobBatchTotals,
  BatchFailure,
  PendingBatch,
} from '../domain/records.js';

type Row = Record<string, unknown>;

const num = (v: unknown): number => Number(v ?? 0);

function toJob(r: Row): JobRecord {
  return {
    id: num(r.id),
    kind: r.kind as string,
    operator: r.operator as string,
    state: r.state as JobState,
    spec: r.spec as string,
    totalItems: num(r.total_items),
    totalBatches: num(r.total_batches),
    progress: (r.progress as string | null) ?? null,
    message: (r.message as string | null) ?? null,
    fileName: (r.file_name as string | null) ?? null,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    finishedAt: r.finished_at === null || r.finished_at === undefined ? null : num(r.finished_at),
    leaseUntil: num(r.lease_until),
  };
}

/** The console's background jobs, their batches and an import's rejected lines. */
export class ConsoleJobRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async create(job: {
    kind: string;
    operator: string;
    state: JobState;
    spec: string;
    now: number;
    fileName?: string | null;
  }): Promise<number> {
    const [row] = (await this.db('console_jobs')
      .insert({
        kind: job.kind,
        operator: job.operator,
        state: job.state,
        spec: job.spec,
        file_name: job.fileName ?? null,
        created_at: job.now,
        updated_at: job.now,
        lease_until: 0,
      })
      .returning('id')) as Array<{ id: number } | number>;
    return typeof row === 'number' ? row : num(row?.id);
  }

  async addBatches(jobId: number, batches: ReadonlyArray<readonly number[]>, firstSeq: number) {
    if (batches.length === 0) return;
    await this.db('console_job_batches').insert(
      batches.map((items, i) => ({
        job_id: jobId,
        seq: firstSeq + i,
        items: JSON.stringify(items),
        state: 'pending',
      })),
    );
  }

  async update(
    id: number,
    change: Partial<
      Pick<JobRecord, 'state' | 'totalItems' | 'totalBatches' | 'progress' | 'message'>
    > & { now: number; finishedAt?: number | null; leaseUntil?: number },
  ): Promise<void> {
    const row: Row = { updated_at: change.now };
    if (change.state !== undefined) row.state = change.state;
    if (change.totalItems !== undefined) row.total_items = change.totalItems;
    if (change.totalBatches !== undefined) row.total_batches = change.totalBatches;
    if (change.progress !== undefined) row.progress = change.progress;
    if (change.message !== undefined) row.message = change.message;
    if (change.finishedAt !== undefined) row.finished_at = change.finishedAt;
    if (change.leaseUntil !== undefined) row.lease_until = change.leaseUntil;
    await this.db('console_jobs').where('id', id).update(row);
  }

  async get(id: number): Promise<JobRecord | null> {
    const row = (await this.db('console_jobs').where('id', id).first()) as Row | undefined;
    return row ? toJob(row) : null;
  }

  async recent(kind: string, limit: number): Promise<JobRecord[]> {
    const rows = (await this.db('console_jobs')
      .where('kind', kind)
      .orderBy('id', 'desc')
      .limit(limit, INLINE)) as Row[];
    return rows.map(toJob);
  }

  /** Jobs of a kind no instance holds: queued, or running with an expired lease. */
  async claimable(kind: string, now: number): Promise<number[]> {
    const rows = (await this.db('console_jobs')
      .where('kind', kind)
      .whereIn('state', ['queued', 'running'])
      .where('lease_until', '<', now)
      .orderBy('id')
      .select('id')
      .limit(10, INLINE)) as Row[];
    return rows.map((r) => num(r.id));
  }

  /** Takes or extends the job's lease if no one else holds it; false when someone does. */
  async lease(id: number, holderUntil: number, now: number, expected: number | null) {
    let q = this.db('console_jobs').where('id', id).whereIn('state', ['queued', 'running']);
    q = expected === null ? q.where('lease_until', '<', now) : q.where('lease_until', expected);
    const n = await q.update({ state: 'running', lease_until: holderUntil, updated_at: now });
    return n === 1;
  }

  /**
   * Marks a job failed if no instance holds it (queued, or running with an expired lease),
   * in one statement: a job that finished, or whose runner renewed its lease, since it was
   * read as claimable is left as it is. False when it was.
   */
  async failUnheld(id: number, message: string, now: number): Promise<boolean> {
    const n = await this.db('console_jobs')
      .where('id', id)
      .whereIn('state', ['queued', 'running'])
      .where('lease_until', '<', now)
      .update({ state: 'failed', message, finished_at: now, updated_at: now });
    return n === 1;
  }

  async nextPending(jobId: number): Promise<PendingBatch | null> {
    const row = (await this.db('console_job_batches')
      .where({ job_id: jobId, state: 'pending' })
      .orderBy('seq')
      .first()) as Row | undefined;
    return row ? { seq: num(row.seq), items: JSON.parse(row.items as string) as number[] } : null;
  }

  /**
   * Marks a pending batch applied with its counts; false if it was not pending any more (another
   * run applied it), in which case the caller's transaction must not commit its changes.
   */
  async markApplied(
    jobId: number,
    seq: number,
    counts: { changed: number; unchanged: number; failures: readonly BatchFailure[] },
    now: number,
  ): Promise<boolean> {
    const n = await this.db('console_job_batches')
      .where({ job_id: jobId, seq, state: 'pending' })
      .update({
        state: 'applied',
        changed: counts.changed,
        unchanged: counts.unchanged,
        failed: counts.failures.length,
        failures:
          counts.failures.length > 0
            ? JSON.stringify(counts.failures.map((f) => [f.id, f.why]))
            : null,
        applied_at: now,
      });
    return n === 1;
  }

  async totals(jobId: number): Promise<JobBatchTotals> {
    const [row] = (await this.db('console_job_batches')
      .where({ job_id: jobId, state: 'applied' })
      .count({ applied: '*' })
      .sum({ changed: 'changed', unchanged: 'unchanged', failed: 'failed' })) as Row[];
    return {
      applied: num(row?.applied),
      changed: num(row?.changed),
      unchanged: num(row?.unchanged),
      failed: num(row?.failed),
    };
  }

  /** The failures recorded by applied batches, in batch order, at most `limit`. */
  async failures(jobId: number, limit: number): Promise<BatchFailure[]> {
    const rows = (await this.db('console_job_batches')
      .where({ job_id: jobId, state: 'applied' })
      .where('failed', '>', 0)
      .orderBy('seq')
      .select('failures')) as Row[];
    const out: BatchFailure[] = [];
    for (const r of rows) {
      for (const [id, why] of JSON.parse(r.failures as string) as Array<[number, string]>) {
        if (out.length >= limit) return out;
        out.push({ id, why });
      }
    }
    return out;
  }

  async addRejects(
    jobId: number,
    rejects: ReadonlyArray<{ line: number; email: string; why: string }>,
  ): Promise<void> {
    if (rejects.length === 0) return;
    await this.db('console_job_rejects').insert(
      rejects.map((r) => ({ job_id: jobId, line: r.line, email: r.email, why: r.why })),
    );
  }

  /** An import's rejected lines in line order, after `afterLine`, a page at a time. */
  async rejects(
    jobId: number,
    afterLine: number,
    limit: number,
  ): Promise<Array<{ line: number; email: string; why: string }>> {
    const rows = (await this.db('console_job_rejects')
      .where('job_id', jobId)
      .where('line', '>', afterLine)
      .orderBy('line')
      .limit(limit, INLINE)) as Row[];
    return rows.map((r) => ({
      line: num(r.line),
      email: r.email as string,
      why: r.why as string,
    }));
  }
}
