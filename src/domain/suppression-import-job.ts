import type { TransactionScope, Transactions } from './ports.js';
import type { JobRecord } from './records.js';
import { AppError, ErrorCode } from '../errors.js';
import {
  noImportCounts,
  type ImportCounts,
  type SuppressionReject,
  type SuppressionRow,
  type SuppressionService,
} from './suppression.service.js';

export const IMPORT_KIND = 'suppression-import';

/** Characters of an uploaded file's name kept with its import (console_jobs.file_name). */
export const MAX_IMPORT_FILE_NAME = 200;

/**
 * The name of an uploaded file as an import keeps it: its last part only (some browsers send
 * the whole path), without control or direction-changing characters (which could make the
 * name read as another), and at most MAX_IMPORT_FILE_NAME characters, cut with "…". Null when
 * nothing is left.
 */
export function importFileName(sent: string | null | undefined): string | null {
  const base = (sent ?? '').split(/[/\\]/).pop() ?? '';
  const clean = base.replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '').trim();
  if (clean === '') return null;
  const chars = [...clean];
  return chars.length <= MAX_IMPORT_FILE_NAME
    ? clean
    : `${chars.slice(0, MAX_IMPORT_FILE_NAME - 1).join('')}…`;
}

export interface ImportProgress {
  counts: ImportCounts;
  /** Share of the file read, 0 to 1. */
  read: number;
}

export interface ImportJobStatus {
  job: JobRecord;
  progress: ImportProgress | null;
}

interface JobChange {
  progress?: string;
  state?: JobRecord['state'];
  finishedAt?: number;
  leaseUntil?: number;
  message?: string | null;
}

const INTERRUPTED =
  'Interrupted: the service stopped during the import. What was imported stays; importing the same file again is safe.';

/**
 * A suppression list uploaded in the console, imported in the background by the same service
 * as the CLI's `suppressions import`; its progress and rejected lines are kept in the job so
 * any instance can show them. An import stopped half-way (the process ended) is reported as
 * such: what it imported stays, and importing the same file again is safe (idempotent).
 */
export class SuppressionImportJobs {
  private readonly running = new Map<number, Promise<void>>();

  constructor(
    private readonly transactions: Transactions,
    private readonly suppressions: SuppressionService,
    private readonly now: () => number = Date.now,
    private readonly leaseMs = 30000,
  ) {}

  /** Starts importing `rows` in the background; `read` tells how much of the file was read. */
  async start(
    rows: AsyncIterable<SuppressionRow>,
    operator: string,
    read: () => number,
    options: {
      /** The uploaded file's name as sent, kept by importFileName. */
      fileName?: string | null;
      onEnd?: () => void;
      /** A message for the operator when the file itself is at fault (bad CSV), else null. */
      describe?: (error: unknown) => string | null;
      onError?: (error: unknown) => void;
    } = {},
  ): Promise<number> {
    const now = this.now();
    const id = await this.transactions.write(async (repos) => {
      const jobId = await repos.jobs.create({
        kind: IMPORT_KIND,
        operator,
        state: 'running',
        spec: '{}',
        now,
        fileName: importFileName(options.fileName),
      });
      await repos.jobs.update(jobId, { now, leaseUntil: now + this.leaseMs });
      return jobId;
    });
    const rejects: SuppressionReject[] = [];
    // The counts of the last batch written, with the rejected lines saved with it: what a
    // stopped import did, so its page tells that rather than zeros.
    let written = noImportCounts();
    let writes = Promise.resolve();
    const save = (counts: ImportCounts, extra: JobChange = {}) => {
      const batch = rejects.splice(0);
      const progress = JSON.stringify({ counts, read: read() } satisfies ImportProgress);
      writes = writes.then(() =>
        this.transactions.write(async (repos) => {
          await repos.jobs.addRejects(id, batch);
          await this.update(repos, id, { progress, ...extra });
        }),
      );
      return writes;
    };
    const work = (async () => {
      try {
        const counts = await this.suppressions.import(rows, {
          actor: operator,
          onReject: (r) => rejects.push(r),
          onProgress: (c) => {
            written = { ...c };
            void save(written);
          },
        });
        // No message: one another instance left, thinking this import stopped while a slow
        // batch held it past its lease, is not true any more.
        await save(counts, {
          state: 'done' as const,
          finishedAt: this.now(),
          leaseUntil: 0,
          message: null,
        });
      } catch (error) {
        const described = options.describe?.(error) ?? null;
        if (described === null && !(error instanceof AppError)) options.onError?.(error);
        const message =
          described ??
          (error instanceof AppError ? error.message : 'The import stopped on an internal error');
        // Not behind the failed write (a rejected chain would skip it, and the job would stay
        // "running"), and without the rejects in hand, which may be what failed (the counts
        // of the last batch written count none of them).
        await writes.catch(() => undefined);
        rejects.length = 0;
        writes = Promise.resolve();
        await save(
          { ...written },
          { state: 'failed' as const, finishedAt: this.now(), leaseUntil: 0, message },
        ).catch(() => undefined);
      } finally {
        options.onEnd?.();
        this.running.delete(id);
      }
    })();
    this.running.set(id, work);
    return id;
  }

  private update(repos: TransactionScope, id: number, change: JobChange): Promise<void> {
    const now = this.now();
    return repos.jobs.update(id, { leaseUntil: now + this.leaseMs, ...change, now });
  }

  /** Resolves when the import started here has ended (tests, shutdown). */
  async settled(id: number): Promise<void> {
    await this.running.get(id);
  }

  async status(id: number): Promise<ImportJobStatus> {
    const job = await this.transactions.read((repos) => repos.jobs.get(id));
    if (!job || job.kind !== IMPORT_KIND)
      throw new AppError(ErrorCode.JOB_NOT_FOUND, `No import ${id}.`);
    return { job, progress: job.progress ? (JSON.parse(job.progress) as ImportProgress) : null };
  }

  recent(limit = 10): Promise<JobRecord[]> {
    return this.transactions.read((repos) => repos.jobs.recent(IMPORT_KIND, limit));
  }

  /** An import's rejected lines in line order. */
  async *rejects(id: number): AsyncGenerator<{ line: number; email: string; why: string }> {
    let after = 0;
    for (;;) {
      const page = await this.transactions.read((repos) => repos.jobs.rejects(id, after, 1000));
      yield* page;
      const last = page[page.length - 1];
      if (page.length < 1000 || !last) return;
      after = last.line;
    }
  }

  /** Imports whose process ended while they ran are reported as interrupted. */
  async failInterrupted(): Promise<void> {
    const now = this.now();
    const ids = await this.transactions.read((repos) => repos.jobs.claimable(IMPORT_KIND, now));
    for (const id of ids) {
      if (this.running.has(id)) continue;
      // Only if still unheld: the import may have finished, or renewed its lease, since.
      await this.transactions.write((repos) => repos.jobs.failUnheld(id, INTERRUPTED, now));
    }
  }
}
