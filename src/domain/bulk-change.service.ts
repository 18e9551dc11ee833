import type { BatchWrites, TransactionScope, Transactions, WriteScope } from './ports.js';
import type { BatchFailure, JobRecord, PeopleCriteria } from './records.js';
import type {
  BulkChangeOptions,
  BulkJobStatus,
  BulkPreview,
  DataValueChange,
} from './bulk-change.types.js';
import { aboutField, AppError, ErrorCode } from '../errors.js';
import { ChangePaths, type ChangePath } from './change-paths.js';
import { foldedContains } from './email-key.js';
import { keptProtectedAddresses } from './kept-opt-outs.js';
import type { FieldCatalogue } from './field-catalogue.js';
import type { LeadService } from './lead.service.js';
import type { LeadInput } from './lead.types.js';
import {
  batchHistory,
  notLiftedWhy,
  liftStartNow,
  readJobSpec,
  writeJobSpec,
  type LiftPoint,
  type LiftStart,
} from './opt-outs-since.js';
import { protectedReasonMatcher } from './status-reasons.js';

export const BULK_CHANGE_KIND = 'change-data-value';
export type { BulkChangeOptions, BulkJobStatus, BulkPreview, DataValueChange };

/**
 * Change Data Value over many people (the flow step of the console): a preview of who it
 * reaches, then a background job cut into batches. Each batch is applied, person by person,
 * through the same sync rules as every other path, in the transaction that marks the batch
 * applied: a run stopped anywhere (even killed) leaves every batch either wholly applied and
 * counted or not applied at all, and the next run carries on from there.
 */
export class BulkChangeService {
  private readonly now: () => number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly protectedWords: readonly string[];
  private readonly isProtected: (reason: string | null) => boolean;
  private stopping = false;

  constructor(
    private readonly transactions: Transactions,
    private readonly leads: LeadService,
    private readonly catalogue: FieldCatalogue,
    options: BulkChangeOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.batchSize = options.batchSize ?? 500;
    this.leaseMs = options.leaseMs ?? 30000;
    this.protectedWords = options.protectedWords ?? [];
    this.isProtected = protectedReasonMatcher(this.protectedWords);
  }

  /** Fields a Change Data Value may set: every field but the address (a person's key). */
  fields(): Array<{ name: string; label: string }> {
    return this.catalogue
      .all()
      .filter((f) => f.name !== 'Email' && f.name !== 'UnsubscribedReason')
      .map((f) => ({ name: f.name, label: f.displayName }));
  }

  private attributes(change: DataValueChange): NonNullable<LeadInput['attributes']> {
    if (!this.fields().some((f) => f.name === change.field))
      throw new AppError(
        ErrorCode.BAD_PARAMETER,
        `No field ${change.field.slice(0, 64)} to change`,
        { field: 'field' },
      );
    const attributes = [{ name: change.field, value: change.value }];
    aboutField('value', () => this.leads.validate({ id: 1, attributes }));
    if (change.field === 'Unsubscribed' && change.reason?.trim()) {
      attributes.push({ name: 'UnsubscribedReason', value: change.reason.trim() });
      aboutField('reason', () => this.leads.validate({ id: 1, attributes }));
    }
    return attributes;
  }

  /**
   * Lifting complaints is the only change that can touch a protected reason: the Unsubscribed
   * box set to whatever the field reads as false ("0" as well as "false"), else "0" would skip
   * the preview's count and the confirmation.
   */
  private lifts(change: DataValueChange): boolean {
    if (change.field !== 'Unsubscribed') return false;
    const value = change.value.trim().toLowerCase();
    return value === 'false' || value === '0';
  }

  /**
   * Addresses of the selection a lift would find protected: by their own status, or by an
   * opt-out kept under their joined key (masterStatus).
   */
  private async protectedAddresses(
    repos: Parameters<Parameters<Transactions['read']>[0]>[0],
    criteria: PeopleCriteria,
  ): Promise<number> {
    return (
      (await repos.selection.protectedAddresses(criteria, this.protectedWords)) +
      (await keptProtectedAddresses(repos, criteria, this.protectedWords))
    );
  }

  async preview(search: PeopleCriteria, change: DataValueChange): Promise<BulkPreview> {
    this.attributes(change);
    const criteria = foldedContains(search);
    const lifts = this.lifts(change);
    const liftStart = lifts ? await liftStartNow(this.transactions, this.now) : null;
    return this.transactions.read(async (repos) => ({
      liftStart,
      counts: await repos.selection.counts(criteria),
      protectedAddresses: lifts ? await this.protectedAddresses(repos, criteria) : 0,
      protectedWithoutAddress: lifts
        ? await repos.selection.protectedWithoutAddress(criteria, this.protectedWords)
        : 0,
      sample: await repos.selection.page(criteria, 0, 20),
    }));
  }

  /** Creates the job and its batches (the people selected now); the runner applies them. */
  async start(
    search: PeopleCriteria,
    change: DataValueChange,
    operator: string,
    options: { confirmProtected: boolean; previewed?: Partial<LiftPoint> },
  ): Promise<number> {
    this.attributes(change);
    const criteria = foldedContains(search);
    // A lift starts at its preview's point, as the confirmation carried it back (liftStartNow).
    const since = await liftStartNow(this.transactions, this.now, options.previewed);
    return this.transactions.write(async (repos) => {
      if (
        this.lifts(change) &&
        !options.confirmProtected &&
        ((await this.protectedAddresses(repos, criteria)) > 0 ||
          (await repos.selection.protectedWithoutAddress(criteria, this.protectedWords)) > 0)
      ) {
        throw new AppError(
          ErrorCode.BAD_PARAMETER,
          'The selection lifts complaint suppressions: confirm that explicitly',
        );
      }
      const now = this.now();
      const id = await repos.jobs.create({
        kind: BULK_CHANGE_KIND,
        operator,
        state: 'queued',
        spec: writeJobSpec({
          criteria,
          change,
          confirmProtected: options.confirmProtected,
          since,
        }),
        now,
      });
      let after = 0;
      let seq = 0;
      let total = 0;
      for (;;) {
        const ids = await repos.selection.ids(criteria, after, 20 * this.batchSize);
        if (ids.length === 0) break;
        const batches: number[][] = [];
        for (let i = 0; i < ids.length; i += this.batchSize)
          batches.push(ids.slice(i, i + this.batchSize));
        await repos.jobs.addBatches(id, batches, seq);
        seq += batches.length;
        total += ids.length;
        after = ids[ids.length - 1]!;
      }
      const done = total === 0;
      await repos.jobs.update(id, {
        now,
        totalItems: total,
        totalBatches: seq,
        ...(done ? { state: 'done' as const, finishedAt: now } : {}),
      });
      return id;
    });
  }

  async status(jobId: number): Promise<BulkJobStatus> {
    return this.transactions.read(async (repos) => {
      const job = await repos.jobs.get(jobId);
      if (!job || job.kind !== BULK_CHANGE_KIND)
        throw new AppError(ErrorCode.JOB_NOT_FOUND, `No Change Data Value job ${jobId}.`);
      return {
        job,
        change: (JSON.parse(job.spec) as { change: DataValueChange }).change,
        totals: await repos.jobs.totals(jobId),
        failures: await repos.jobs.failures(jobId, 100),
      };
    });
  }

  recent(limit = 10): Promise<JobRecord[]> {
    return this.transactions.read((repos) => repos.jobs.recent(BULK_CHANGE_KIND, limit));
  }

  /** Runs every job no instance holds (new ones, and ones whose runner stopped). */
  async runClaimable(): Promise<void> {
    const ids = await this.transactions.read((repos) =>
      repos.jobs.claimable(BULK_CHANGE_KIND, this.now()),
    );
    for (const id of ids) {
      if (this.stopping) return;
      await this.run(id);
    }
  }

  /** Stops after the batch in progress; a later run (here or elsewhere) carries on. */
  stop(): void {
    this.stopping = true;
  }

  /** Applies a job's pending batches if this instance can take its lease; false if it cannot. */
  async run(jobId: number, onBatch?: (seq: number) => void): Promise<boolean> {
    let lease = this.now() + this.leaseMs;
    const taken = await this.transactions.write((repos) =>
      repos.jobs.lease(jobId, lease, this.now(), null),
    );
    if (!taken) return false;
    const { operator, spec } = await this.transactions.read(async (repos) => {
      const job = (await repos.jobs.get(jobId))!;
      return { operator: job.operator, spec: readJobSpec<DataValueChange>(job.spec) };
    });
    const { change, confirmProtected } = spec;
    const attributes = this.attributes(change);
    const liftsSince = this.lifts(change) ? spec.startedAt : null;
    for (;;) {
      if (this.stopping) return true;
      const batch = await this.transactions.read((repos) => repos.jobs.nextPending(jobId));
      if (!batch) break;
      await this.applyBatch(jobId, batch.seq, batch.items, attributes, operator, {
        confirmProtected,
        liftsSince,
      });
      onBatch?.(batch.seq);
      const next = this.now() + this.leaseMs;
      const kept = await this.transactions.write((repos) =>
        repos.jobs.lease(jobId, next, this.now(), lease),
      );
      // Someone else took the job over (this run was thought dead): leave it to them.
      if (!kept) return true;
      lease = next;
    }
    const now = this.now();
    await this.transactions.write((repos) =>
      repos.jobs.update(jobId, { state: 'done', finishedAt: now, leaseUntil: 0, now }),
    );
    return true;
  }

  /**
   * One batch in one transaction with its marker. First the way syncMultipleLeads writes a
   * batch (people read once, the rules applied in memory, written set-based); a batch that
   * path cannot hold (an address shared by very many people…) or that the database refuses
   * as a whole is redone person by person in a transaction of its own.
   */
  private async applyBatch(
    jobId: number,
    seq: number,
    ids: readonly number[],
    attributes: NonNullable<LeadInput['attributes']>,
    operator: string,
    /** liftsSince: a lift's start, past which an opt-out is not lifted (optedOutSince). */
    { confirmProtected, liftsSince }: { confirmProtected: boolean; liftsSince: LiftStart | null },
  ): Promise<void> {
    // Started by an authenticated operator: it lifts a protected suppression only if they
    // confirmed that at the start. The check there saw the selection as it was then; a
    // complaint recorded since, on an unconfirmed job, fails its person (LEAD_SYNC_FAILED).
    const path = ChangePaths.flowStep(operator, confirmProtected);
    const inMemory = async (repos: TransactionScope) => {
      const batch = await repos.openBatch({ ids: [...ids], foreignIds: [], emailKeys: [] });
      for (;;) {
        const counts = await this.applyEach(repos, batch, ids, attributes, path, liftsSince);
        if (await batch.complete()) return counts;
      }
    };
    const each = async (repos: TransactionScope) => {
      // Every address involved is locked up front, in the global order.
      const people = await repos.leads.findByIds(ids);
      await repos.lockEmailKeys(people.map((p) => p.emailKey));
      return this.applyEach(repos, null, ids, attributes, path, liftsSince);
    };
    const mark = (work: (repos: TransactionScope) => Promise<BatchCounts>) =>
      this.transactions.write(async (repos) => {
        const counts = await work(repos);
        // Applied meanwhile by another run: this transaction's changes must not commit.
        if (!(await repos.jobs.markApplied(jobId, seq, counts, this.now()))) throw new BatchTaken();
      });
    try {
      await mark(inMemory);
    } catch (error) {
      if (error instanceof BatchTaken) return;
      if (error instanceof AppError) throw error;
      try {
        await mark(each);
      } catch (again) {
        if (!(again instanceof BatchTaken)) throw again;
      }
    }
  }

  /** The change on each person of a batch, counted: changed, unchanged (already so), failed. */
  private async applyEach(
    scope: TransactionScope,
    batch: BatchWrites | null,
    ids: readonly number[],
    attributes: NonNullable<LeadInput['attributes']>,
    path: ChangePath,
    liftsSince: LiftStart | null,
  ): Promise<BatchCounts> {
    const repos: WriteScope = batch?.repos ?? scope;
    // In memory, a lift reads which addresses were written after its start once (batchHistory).
    const history = batch ? batchHistory(scope.emailStatus, repos.leads, ids) : scope.emailStatus;
    const counts: BatchCounts = { changed: 0, unchanged: 0, failures: [] };
    for (const id of ids) {
      // Read now: an earlier person of the batch may have moved this one (same address).
      const current = await repos.leads.findById(id);
      if (!current) {
        counts.failures.push({ id, why: 'This person no longer exists' });
        continue;
      }
      const input = { id, attributes };
      if (!this.leads.changes(current, input)) {
        // Nothing of the person changes (rule 7); the opt-out it states may still have to be
        // recorded (an address a link's page unsubscribed, whose undo would lift it).
        await this.leads.acknowledgeWithin(repos, current, input, path);
        counts.unchanged++;
        continue;
      }
      const notLifted =
        liftsSince !== null &&
        (await notLiftedWhy(
          scope,
          batch,
          current,
          liftsSince,
          this.now(),
          { isProtected: this.isProtected, liftsProtected: path.operator === true },
          history,
        ));
      if (notLifted) {
        counts.failures.push({ id, why: notLifted });
        continue;
      }
      const savepoint = batch?.savepoint();
      try {
        await this.leads.syncWithin(repos, input, { path });
        counts.changed++;
      } catch (error) {
        if (!(error instanceof AppError) || error.code === ErrorCode.DATABASE_UNAVAILABLE)
          throw error;
        if (batch && savepoint !== undefined) batch.rollbackTo(savepoint);
        counts.failures.push({ id, why: error.message });
      }
    }
    return counts;
  }
}

interface BatchCounts {
  changed: number;
  unchanged: number;
  failures: BatchFailure[];
}

class BatchTaken extends Error {
  override name = 'BatchTaken';
}
