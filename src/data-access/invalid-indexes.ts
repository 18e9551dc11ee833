import type { Database } from './database.js';

/**
 * PostgreSQL: an index left INVALID (pg_index.indisvalid false) by a CREATE INDEX CONCURRENTLY
 * or REINDEX CONCURRENTLY that was interrupted (a signal, a lost connection) or failed (a
 * unique index over duplicate rows). Queries do not read it, writes may still keep it: the
 * service answers, slower, and a unique one may not be what it seems. SQLite builds an index
 * inside its transaction: it has none.
 */
export interface InvalidIndex {
  index: string;
  table: string;
}

/** The invalid indexes of the tables in the database's schema (ours); none on SQLite. */
export async function invalidIndexes(db: Database): Promise<InvalidIndex[]> {
  if (db.engine !== 'postgres') return [];
  const found = (await db.knex.raw(
    `SELECT i.relname AS index, t.relname AS table
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE NOT x.indisvalid AND n.nspname = current_schema()
      ORDER BY i.relname`,
  )) as { rows: InvalidIndex[] };
  return found.rows;
}

/** How to quote a name PostgreSQL gave back (any character but a NUL). */
const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

// What an interrupted REINDEX CONCURRENTLY leaves beside the index it rebuilt (which stays, and
// valid): the new copy (…_ccnew) or the old one (…_ccold), to drop, not to rebuild.
const REINDEX_LEFTOVER = /_cc(new|old)\d*$/;

/**
 * Rebuilds each invalid index without blocking writes: a leftover of an interrupted REINDEX
 * CONCURRENTLY is dropped (DROP INDEX CONCURRENTLY), any other is rebuilt in place (REINDEX
 * INDEX CONCURRENTLY), as the migrations that build them do on a run after an interruption.
 * `rebuilding` hears each one before its turn (a stop signal names it). One that cannot be
 * rebuilt (a unique index over duplicate rows) throws an InvalidIndexLeft naming it and the
 * way out.
 */
export async function rebuildInvalidIndexes(
  db: Database,
  rebuilding: (index: InvalidIndex | null) => void = () => undefined,
): Promise<InvalidIndex[]> {
  const done: InvalidIndex[] = [];
  try {
    for (const found of await invalidIndexes(db)) {
      rebuilding(found);
      const leftover = REINDEX_LEFTOVER.test(found.index);
      try {
        await db.knex.raw(
          `${leftover ? 'DROP INDEX CONCURRENTLY' : 'REINDEX INDEX CONCURRENTLY'} ${quoted(found.index)}`,
        );
      } catch (error) {
        // A failed REINDEX CONCURRENTLY leaves its invalid new copy (…_ccnew) beside the index:
        // dropped, or each run would leave one more.
        for (const left of await invalidIndexes(db))
          if (left.index.startsWith(`${found.index}_ccnew`))
            await db.knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${quoted(left.index)}`);
        throw new InvalidIndexLeft(found, error);
      }
      done.push(found);
    }
  } finally {
    rebuilding(null);
  }
  return done;
}

/** An invalid index `migrate` could not rebuild, in one line: which, why, and what to do. */
export class InvalidIndexLeft extends Error {
  override name = 'InvalidIndexLeft';

  constructor(found: InvalidIndex, cause: unknown) {
    let why = (cause instanceof Error ? cause.message : String(cause)).replace(/\s+/g, ' ');
    // knex puts the statement first ("<statement> - <error>").
    why = why
      .slice(why.lastIndexOf(' - ') + 1)
      .replace(/^- /, '')
      .replace(/_ccnew\d*"/, '"') // the copy it was building, dropped: named as the index
      .trim()
      .slice(0, 300);
    super(
      `index ${found.index} on ${found.table} is invalid (an interrupted or failed concurrent build) and could not be rebuilt: ${why}. Fix what stops it (duplicate rows for a unique index), or drop it (DROP INDEX CONCURRENTLY ${quoted(found.index)}), then run "durable-unsubscribe migrate" again`,
      { cause },
    );
  }
}
