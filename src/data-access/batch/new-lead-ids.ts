import type { Engine } from '../database.js';
import { BatchUnsupported } from './batch-errors.js';
import type { SqliteHighs } from './batch-load.js';

// Provisional ids (PostgreSQL's first pass) sort after every real id, as new ids do.
const PROVISIONAL_BASE = 2 ** 52;

/**
 * The ids of the people a batch creates.
 *
 * SQLite: the batch's transaction holds the only write lock, so the ids after the highest one
 * stored (read with the batch: SqliteHighs) are its own to take.
 *
 * PostgreSQL: ids come from a sequence the batch cannot hold. A first pass gives the new people
 * provisional ids and counts them (`unreserved`); the caller takes exactly that many from the
 * sequence (`reserve`) and runs the records again, and the second pass hands them out in order.
 */
export class NewLeadIds {
  private provisional = 0;
  private reserved: number[] | null = null;
  private sqliteNext: number | null;

  constructor(
    private readonly engine: Engine,
    sqliteHighs: SqliteHighs | undefined,
  ) {
    this.sqliteNext = sqliteHighs ? sqliteHighs.id + 1 : null;
  }

  /** New people of a first pass whose ids are still to be reserved (0: none, or reserved). */
  get unreserved(): number {
    return this.reserved === null ? this.provisional : 0;
  }

  /** The ids for the second pass, taken from the sequence. */
  reserve(ids: readonly number[]): void {
    this.reserved = [...ids].sort((a, b) => a - b);
  }

  /** Reserved ids the second pass did not use (it created fewer people than the first). */
  get unused(): number {
    return this.reserved?.length ?? 0;
  }

  /** The next id; `undo` gets the step that gives it back when its record is undone. */
  next(undo: Array<() => void>): number {
    if (this.engine === 'postgres') {
      const reserved = this.reserved;
      if (!reserved) {
        undo.push(() => this.provisional--);
        return PROVISIONAL_BASE + this.provisional++;
      }
      const id = reserved.shift();
      if (id === undefined) throw new BatchUnsupported('more new people than reserved');
      undo.push(() => reserved.unshift(id));
      return id;
    }
    if (this.sqliteNext === null) throw new BatchUnsupported('no id source');
    const id = this.sqliteNext++;
    undo.push(() => this.sqliteNext!--);
    return id;
  }
}
