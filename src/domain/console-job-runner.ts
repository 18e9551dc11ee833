import type { BulkChangeService } from './bulk-change.service.js';
import type { SuppressionImportJobs } from './suppression-import-job.js';

/** Hears how the passes go: each failed one, and the first that succeeds after failures. */
export interface JobPassReport {
  failed(error: unknown): void;
  recovered(): void;
}

/**
 * Runs the console's background jobs in this instance: on start (resuming what a stopped
 * instance left), when a job is created (wake), and every `intervalMs` (jobs other instances
 * created or gave up). One pass at a time.
 */
export class ConsoleJobRunner {
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<void> = Promise.resolve();
  private again = false;
  private busy = false;
  private failing = false;

  constructor(
    private readonly bulk: BulkChangeService,
    private readonly imports: SuppressionImportJobs,
    private readonly report: JobPassReport,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    this.wake();
    this.timer = setInterval(() => this.wake(), this.intervalMs);
    this.timer.unref();
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.pass = (async () => {
      do {
        this.again = false;
        try {
          await this.imports.failInterrupted();
          await this.bulk.runClaimable();
          if (this.failing) {
            this.failing = false;
            this.report.recovered();
          }
        } catch (error) {
          this.failing = true;
          this.report.failed(error);
        }
      } while (this.again && this.timer !== null);
      this.busy = false;
    })();
  }

  /** Stops after the batch in progress; the job's lease runs out and any instance resumes it. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.bulk.stop();
    await this.pass;
  }
}
