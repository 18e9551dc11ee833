import type BetterSqlite3 from 'better-sqlite3';

/**
 * Rows cross from an SQLite thread as arrays of values, their column names once per shape
 * (a list of column names, numbered by the thread): a row object of 37 columns cost the thread
 * more to build (better-sqlite3 makes each name a string again, and the object a dictionary)
 * and to send (every name, every row) than the query that read it.
 *
 * A statement's columns are what the schema makes of its text (`SELECT *`): a statement keeps
 * the shape it had only while the schema version it was read at stands, checked before and
 * after every run (outside a transaction another connection may change the schema between
 * statements), so a row is never read under another statement's names.
 */

/** The thread's side: the shape of each statement's rows, and which shapes it has sent. */
export class RowShapes {
  private readonly byStatement = new WeakMap<
    BetterSqlite3.Statement,
    { shape: number; version: number }
  >();
  private readonly byColumns = new Map<string, number>();
  private readonly columnsOf: string[][] = [];
  /** Shapes whose names went out with an answer (the main thread knows them). */
  private readonly announced = new Set<number>();
  private readonly schemaVersion: BetterSqlite3.Statement;

  private readonly begin: BetterSqlite3.Statement;
  private readonly commit: BetterSqlite3.Statement;
  private readonly rollback: BetterSqlite3.Statement;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.schemaVersion = db.prepare('PRAGMA schema_version').pluck();
    this.begin = db.prepare('BEGIN');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  /**
   * Runs a statement that returns rows: its rows as arrays, and the number of their shape.
   * The schema version is read once, in the statement's own transaction, where no other
   * connection can change the schema (its snapshot, or the write lock, holds) and a statement
   * that returns rows makes no schema change of its own. Outside a transaction, a read
   * (`readonly`) gets a read transaction of its own for that: the version and the rows are
   * read in one snapshot, as the statement alone would have read them (it sees the last
   * commit when it starts). The two reads of the version around it in autocommit each opened
   * and closed a read transaction of the WAL: together more CPU than the lookup they guarded
   * (23 against 12 µs for a one-row read on a reader connection). A write returning rows
   * outside a transaction runs in autocommit, its version read before and after it.
   */
  all(statement: BetterSqlite3.Statement, bindings: unknown[]): RowsOfShape {
    const own = !this.db.inTransaction && statement.readonly;
    if (own) this.begin.run();
    let before: number;
    let rows: unknown[][];
    try {
      before = this.schemaVersion.get() as number;
      rows = packed(statement.raw(true).all(bindings) as unknown[][]);
      if (own) this.commit.run();
    } catch (error) {
      if (own && this.db.inTransaction) this.rollback.run();
      throw error;
    }
    const after = this.db.inTransaction || own ? before : (this.schemaVersion.get() as number);
    const known = this.byStatement.get(statement);
    if (known && known.version === before && before === after) return { rows, shape: known.shape };
    // SQLite prepares a statement again when the schema changed; its names now are those
    // of the rows it just gave. Kept only when the schema did not change during the run.
    const columns = statement.columns().map((c) => c.name);
    const key = columns.join('\0');
    let shape = this.byColumns.get(key);
    if (shape === undefined) {
      shape = this.columnsOf.push(columns) - 1;
      this.byColumns.set(key, shape);
    }
    if (before === after) this.byStatement.set(statement, { shape, version: before });
    else this.byStatement.delete(statement);
    return { rows, shape };
  }

  /** The index of `column` in `shape`'s rows (-1: none). */
  indexOf(shape: number, column: string): number {
    return this.columnsOf[shape]!.indexOf(column);
  }

  /**
   * The names to send with an answer carrying `shape`'s rows: the first time only. Called
   * once the answer is certain to be sent as it is.
   */
  announce(shape: number): string[] | undefined {
    if (this.announced.has(shape)) return undefined;
    this.announced.add(shape);
    return this.columnsOf[shape];
  }
}

/**
 * The rows copied into packed arrays. better-sqlite3 makes each array at its full length and
 * then fills it: V8 marks such an array holey, and the structured clone sends a holey array
 * index by index (its sparse form), which the main thread then reads back one property at a
 * time: about twice the cost of a packed array's values read in one run (v8.deserialize of
 * getLead's 37-column row: 10 µs against 5). The copy costs this thread a fraction of that.
 */
function packed(rows: readonly unknown[][]): unknown[][] {
  const out: unknown[][] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const values: unknown[] = [];
    for (let i = 0; i < row.length; i++) values.push(row[i]);
    out.push(values);
  }
  return out;
}

export interface RowsOfShape {
  rows: unknown[][];
  shape: number;
}

type Row = Record<string, unknown>;

/**
 * Rows given as arrays of values made objects again, by a function made once per list of
 * names that returns one object literal (V8 then builds each row with its layout known,
 * where adding 37 names one by one made a dictionary of each row, and a copied template
 * still paid a lookup per name). The names are written as JSON strings, so that no name can
 * be anything but a key; "__proto__" as a computed key, which makes an own property rather
 * than set the prototype. A name repeated (two tables' `id`): the last value wins, as in
 * better-sqlite3's objects.
 */
export class RowTemplate {
  private readonly make: (values: readonly unknown[]) => Row;

  constructor(names: readonly string[]) {
    const fields = names.map((name, i) => {
      const key = JSON.stringify(name);
      return `${name === '__proto__' ? `[${key}]` : key}: v[${i}]`;
    });
    this.make = new Function('v', `return { ${fields.join(', ')} };`) as typeof this.make;
  }

  private static readonly kept = new Map<string, RowTemplate>();

  /** The template of `names`, made once (the few lists a caller reads, up to 64 kept). */
  static of(names: readonly string[]): RowTemplate {
    const key = names.join('\0');
    let template = RowTemplate.kept.get(key);
    if (!template) {
      template = new RowTemplate(names);
      if (RowTemplate.kept.size < 64) RowTemplate.kept.set(key, template);
    }
    return template;
  }

  objects(rows: readonly unknown[][]): Row[] {
    const out = new Array<Row>(rows.length);
    for (let r = 0; r < rows.length; r++) out[r] = this.make(rows[r]!);
    return out;
  }
}

/** The main thread's side: the names of each shape a thread sent, its rows as objects. */
export class RowDecoder {
  private readonly templates = new Map<number, RowTemplate>();
  private readonly namesOf = new Map<number, readonly string[]>();

  /** Learns a shape's names (sent with the first answer that carries its rows). */
  learn(shape: number, names: readonly string[]): void {
    this.templates.set(shape, new RowTemplate(names));
    this.namesOf.set(shape, names);
  }

  /** A shape's names, for rows read as arrays of values (grouped-reads.ts). */
  names(shape: number): readonly string[] {
    const names = this.namesOf.get(shape);
    if (!names) throw new Error(`rows of an unknown shape (${shape}) from the SQLite thread`);
    return names;
  }

  decode(shape: number, rows: readonly unknown[][]): Row[] {
    const template = this.templates.get(shape);
    if (!template) throw new Error(`rows of an unknown shape (${shape}) from the SQLite thread`);
    return template.objects(rows);
  }
}
