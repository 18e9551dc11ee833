import type {
  BatchMemory,
  CallDeadline,
  TransactionScope,
  Transactions,
  WriteOptions,
} from './ports.js';
import { AppError, ErrorCode } from '../errors.js';
import type { PreparedChange } from './lead-input.js';
import { columnsRead } from './lead-rules.js';
import type { SyncAnswer } from './lead.types.js';
import type { WriteScope } from './ports.js';
import { Semaphore } from './semaphore.js';

/**
 * A change planned on a read outside the write transaction (where the store offers it:
 * Transactions.guardedSteps): written by its checked step, or run again under the locks
 * because what it read had moved (a batch also while the store pauses after such a miss).
 */
export type CheckedWriteListener = (
  kind: 'syncLead' | 'syncMultipleLeads',
  outcome: 'written' | 'locked',
) => void;

/** One record's sync with every rule, in the write scope given (LeadService's). */
export type SyncOne = (repos: WriteScope, change: PreparedChange) => Promise<SyncAnswer>;

/**
 * syncMultipleLeads: the records of a call applied in order in one transaction over the batch's
 * memory (data-access/batch/batch-session.ts), written set-based at the end; each record the rules
 * refuse is undone alone. When the batch cannot be held, one transaction per record.
 */
export class LeadBatchSync {
  /** Batch transactions in flight (syncMultipleLeads); see BATCH_CONCURRENCY. */
  private readonly batches: Semaphore;

  constructor(
    private readonly transactions: Transactions,
    batchConcurrency: number | undefined,
    private readonly onCheckedWrite: CheckedWriteListener = () => undefined,
  ) {
    this.batches = new Semaphore(batchConcurrency ?? Number.MAX_SAFE_INTEGER);
  }

  async syncMany(
    prepared: ReadonlyArray<PreparedChange | AppError>,
    syncOne: SyncOne,
    deadline?: CallDeadline,
  ): Promise<Array<SyncAnswer | AppError>> {
    const within: WriteOptions | undefined = deadline ? { deadline } : undefined;
    try {
      // Each batch holds its people, their rows and its statements in memory until it commits:
      // on PostgreSQL every call would otherwise run at once, and the heap grows with them.
      return await this.batches.run(() => this.syncBatch(prepared, syncOne, within));
    } catch (error) {
      // Nothing of the batch is stored: past the call's deadline nothing more may be.
      if (error instanceof AppError || deadline?.passed) throw error;
      // The batch could not be written as one (the database refused a value, more people
      // than a batch may hold…): each record in a transaction of its own isolates the bad one.
      return this.syncEach(prepared, syncOne, within);
    }
  }

  private async syncBatch(
    prepared: ReadonlyArray<PreparedChange | AppError>,
    syncOne: SyncOne,
    within: WriteOptions | undefined,
  ): Promise<Array<SyncAnswer | AppError>> {
    const changes = prepared.filter((p): p is PreparedChange => !(p instanceof AppError));
    // Every key the records name, in their order (one pass, no list per record).
    const ids: number[] = [];
    const foreignIds: string[] = [];
    const emailKeys: string[] = [];
    for (const c of changes) {
      if (c.id !== undefined) ids.push(c.id);
      if (c.foreignSysPersonId !== undefined) foreignIds.push(c.foreignSysPersonId);
      if (c.emailKey) emailKeys.push(c.emailKey);
      if (c.matchEmailKey) emailKeys.push(c.matchEmailKey);
    }
    // The people are read with these columns alone: the answers carry no views.
    const scope = { ids, foreignIds, emailKeys, columns: columnsRead(changes) };
    // Read outside the write transaction where the store offers it (a SQLite file, whose one
    // writer would otherwise wait for the rules of the whole batch): written only if nothing
    // it read moved meanwhile, else run again below under the locks.
    const checked = await this.transactions.writeChecked?.(
      scope,
      (batch) => this.applyAll(batch, prepared, syncOne),
      within,
    );
    // Counted where the store read it outside (a SQLite file): undefined where it has no such
    // batch (PostgreSQL).
    if (checked !== undefined)
      this.onCheckedWrite('syncMultipleLeads', checked ? 'written' : 'locked');
    if (checked) return checked.value;
    return this.transactions.write(async (repos: TransactionScope) => {
      const batch = await repos.openBatch(scope);
      // `complete` may ask for a second pass (new people's ids must be reserved first on
      // PostgreSQL).
      for (;;) {
        const out = await this.applyAll(batch, prepared, syncOne);
        if (await batch.complete()) return out;
      }
    }, within);
  }

  /** The records in order, each seeing the ones before; one the rules refuse is undone alone. */
  private async applyAll(
    batch: BatchMemory,
    prepared: ReadonlyArray<PreparedChange | AppError>,
    syncOne: SyncOne,
  ): Promise<Array<SyncAnswer | AppError>> {
    const out: Array<SyncAnswer | AppError> = [];
    // By index: a for…of whose body awaits keeps an iterator result alive for every record.
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i]!;
      if (p instanceof AppError) {
        out.push(p);
        continue;
      }
      const mark = batch.savepoint();
      try {
        out.push(await syncOne(batch.repos, p));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        batch.rollbackTo(mark);
        out.push(error);
      }
    }
    return out;
  }

  /**
   * Each record in a transaction of its own, so the answer says of each whether it is stored:
   * a record reached after the call's deadline fails with the timeout (nothing of it stored),
   * and once the database is gone the records after it are not tried. Only when none was
   * stored yet does the database being gone fail the whole call.
   */
  private async syncEach(
    prepared: ReadonlyArray<PreparedChange | AppError>,
    syncOne: SyncOne,
    within: WriteOptions | undefined,
  ): Promise<Array<SyncAnswer | AppError>> {
    const out: Array<SyncAnswer | AppError> = [];
    let stored = false;
    let gone: AppError | undefined;
    for (const p of prepared) {
      if (p instanceof AppError) {
        out.push(p);
        continue;
      }
      if (gone) {
        out.push(new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'Not tried: database unavailable'));
        continue;
      }
      try {
        out.push(await this.transactions.write((repos) => syncOne(repos, p), within));
        stored = true;
      } catch (error) {
        if (!(error instanceof AppError)) {
          out.push(
            new AppError(ErrorCode.LEAD_SYNC_FAILED, 'Lead could not be stored', { cause: error }),
          );
        } else if (error.code !== ErrorCode.DATABASE_UNAVAILABLE) out.push(error);
        else if (!stored) throw error;
        else {
          out.push(error);
          gone = error;
        }
      }
    }
    return out;
  }
}
