import type { Knex } from 'knex';
import type { WriteScope } from '../../domain/ports.js';
import type { Engine } from '../database.js';
import { BatchUnsupported } from './batch-errors.js';
import { BatchWriter, type BatchResult } from './batch-flush.js';
import { loadBatch, type BatchScope, type LoadedBatch } from './batch-load.js';
import { BatchState } from './batch-state.js';
import { batchWriteScope } from './batch-write-scope.js';
import { NewLeadIds } from './new-lead-ids.js';

export { BatchMoved, BatchUnsupported, PG_BATCH_MOVED_CODE } from './batch-errors.js';

/** PostgreSQL: `?` new people's ids and `?` change_seq values, in one statement. */
const RESERVE = `SELECT nextval(pg_get_serial_sequence('leads', 'id')) AS id, NULL::bigint AS seq
  FROM generate_series(1, ?)
  UNION ALL SELECT NULL, nextval('leads_change_seq') FROM generate_series(1, ?)`;

export { MAX_BATCH_LEADS, MAX_PEOPLE_PER_ADDRESS, type BatchScope } from './batch-load.js';

/**
 * One syncMultipleLeads call as a unit of work over memory: everything the batch can read is
 * loaded (and locked) up front with a handful of set-based statements (batch-load.ts), the
 * domain rules run unchanged against repositories that read that memory and buffer their
 * writes (batch-write-scope.ts over batch-state.ts), and `complete` writes the result with one
 * statement per table (batch-flush.ts). Each record can be undone on its own (savepoint /
 * rollbackTo), so a record the rules refuse leaves no trace.
 */
export class BatchSession {
  /** The rules' write scope: reads come from what the batch loaded, writes are buffered. */
  readonly repos: WriteScope;
  private readonly state: BatchState;
  private readonly newIds: NewLeadIds;
  /** PostgreSQL: change_seq values reserved with the new people's ids (complete). */
  private changeSeqs: number[] | undefined;

  private constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly engine: Engine,
    /** What the batch read (a snapshot, when read outside a write transaction). */
    readonly snapshot: LoadedBatch,
  ) {
    this.newIds = new NewLeadIds(engine, snapshot.sqliteHighs);
    this.state = new BatchState(snapshot, this.newIds);
    this.repos = batchWriteScope(this.state);
  }

  /**
   * Locks every address in scope (PostgreSQL), then loads the people and statuses. `db`: a
   * write transaction, or (SQLite, batch-checked.ts) a reader outside any: `complete` then
   * cannot be used.
   */
  static async open(
    db: Knex | Knex.Transaction,
    engine: Engine,
    scope: BatchScope,
    lock: (keys: readonly string[]) => Promise<void>,
  ): Promise<BatchSession> {
    return new BatchSession(db, engine, await loadBatch(db, engine, scope, lock));
  }

  /** What the records have left to write so far (batch-checked.ts writes it). */
  get result(): BatchResult {
    return this.state.result;
  }

  /** Marks the start of one record; `rollbackTo` undoes everything since. */
  savepoint(): number {
    return this.state.savepoint();
  }

  rollbackTo(mark: number): void {
    this.state.rollbackTo(mark);
  }

  /**
   * Writes the batch, or, when new people need ids first (PostgreSQL: ids come from a sequence
   * the batch cannot hold), reserves exactly as many ids, forgets the pass and returns false:
   * the caller runs the records again and each new person takes the next reserved id.
   */
  async complete(): Promise<boolean> {
    const n = this.newIds.unreserved;
    if (n > 0) {
      // The change_seq values of the people the pass changed and created, in the same round
      // trip: the second pass changes the same people (BatchWriter uses them if it does).
      const r = (await (this.db as Knex.Transaction).raw(RESERVE, [
        n,
        this.state.result.dirty.size,
      ])) as { rows: Array<{ id: number | string | null; seq: number | string | null }> };
      this.newIds.reserve(r.rows.filter((x) => x.id !== null).map((x) => Number(x.id)));
      this.changeSeqs = r.rows
        .filter((x) => x.seq !== null)
        .map((x) => Number(x.seq))
        .sort((a, b) => a - b);
      this.state.reset();
      return false;
    }
    if (this.newIds.unused > 0) {
      throw new BatchUnsupported('the second pass created fewer people than the first');
    }
    if (this.db.isTransaction !== true) throw new Error('a batch read outside a transaction');
    const trx = this.db as Knex.Transaction;
    const writer = new BatchWriter(trx, this.engine, this.state.result, this.snapshot.sqliteHighs);
    await writer.write(this.changeSeqs);
    return true;
  }
}
