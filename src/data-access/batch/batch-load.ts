import type { Knex } from 'knex';
import type { EmailStatusRecord, LeadRecord } from '../../domain/records.js';
import type { Engine } from '../database.js';
import { fromRow, OWN_COLUMNS, type Row } from '../lead-row.js';
import { EmailStatusRepository } from '../sql/email-status.repository.js';
import { fixedSql, runStatement } from '../sql/statement.js';
import { RowTemplate } from '../sqlite-thread/row-shapes.js';
import { BatchMoved, BatchUnsupported } from './batch-errors.js';
import { quote } from './row-sets.js';
import type { BatchScope } from '../../domain/ports.js';
export type { BatchScope };

// Beyond these, the per-record path (propagation as set-based SQL, address locks held only
// for one record) is cheaper: the batch would hold every address of the call locked while it
// reads, changes and writes all their people. Measured with test/resilience/stress.ts, where a
// few addresses are shared by thousands.
export const MAX_BATCH_LEADS = 20000;
export const MAX_PEOPLE_PER_ADDRESS = 200;
/** What a batch read (under its locks): the people, the statuses of its addresses, its keys. */
export interface LoadedBatch {
  records: LeadRecord[];
  statuses: Map<string, EmailStatusRecord>;
  keys: Set<string>;
  ids: Set<number>;
  foreignIds: Set<string>;
}

/**
 * `column` among `values`, as SQL text past the query builder (compiling it cost more than
 * the statement, and PostgreSQL got a placeholder per value) and its one binding: an array on
 * PostgreSQL, JSON text on SQLite; the text is the same whatever the number of values.
 */
function among(engine: Engine, column: string, values: readonly unknown[]) {
  return engine === 'postgres'
    ? { sql: `${quote(column)} = ANY(?)`, binding: values }
    : {
        sql: `${quote(column)} IN (SELECT value FROM json_each(?))`,
        binding: JSON.stringify(values),
      };
}

/** Runs `sql` (the same text on both engines) with `bindings` on the transaction. */
async function select(db: Knex.Transaction, sql: string, bindings: unknown[]): Promise<Row[]> {
  return (await runStatement(db, fixedSql(sql), bindings)).rows;
}

/**
 * The people `sql` selects (its columns `names`, or `*`). SQLite, the columns named: as one
 * JSON text, an array of arrays, which the writer thread hands over as one string and the main
 * thread parses natively, where better-sqlite3 set every value of every row into an array of
 * its own (the leads' columns hold text and numbers only, which JSON keeps as they are).
 */
async function selectPeople(
  db: Knex.Transaction,
  engine: Engine,
  names: readonly string[] | null,
  sql: string,
  binding: unknown,
): Promise<Row[]> {
  if (engine !== 'sqlite' || !names) return select(db, sql, [binding]);
  const [row] = await select(
    db,
    `SELECT json_group_array(json_array(${names.map(quote).join(', ')})) AS people FROM (${sql})`,
    [binding],
  );
  return RowTemplate.of(names).objects(JSON.parse(row!.people as string) as unknown[][]);
}

/** Locks every address in scope (PostgreSQL), then loads the people and statuses. */
export async function loadBatch(
  db: Knex.Transaction,
  engine: Engine,
  scope: BatchScope,
  lock: (keys: readonly string[]) => Promise<void>,
): Promise<LoadedBatch> {
  const ids = new Set(scope.ids);
  const foreignIds = new Set(scope.foreignIds);
  const keys = new Set(scope.emailKeys);
  // The columns the rules read (a record's own fields always): fewer values to read, copy
  // between threads and decode than `*`'s.
  const names = scope.columns ? [...new Set([...OWN_COLUMNS, ...scope.columns])] : null;
  const columns = names ? names.map(quote).join(', ') : '*';
  // One indexed query per kind of key (an OR of them can make the planner scan the table).
  // Row locks (PostgreSQL) only for the leads named by id or foreign id: every writer of a
  // person with an address holds that address's lock, which this batch holds too; a person
  // deleted meanwhile (deletes take no address lock) is caught when the flush updates fewer
  // rows than it should.
  const load = async (forUpdate: boolean, keyList: readonly string[]) => {
    const byId = new Map<number, Row>();
    const run = async (column: string, values: readonly unknown[], lockRows = forUpdate) => {
      if (values.length === 0) return;
      // Never more than a batch may hold: an address shared by a million people is left to
      // the per-record path before it is read into memory.
      const where = among(engine, column, values);
      const locking = lockRows && engine === 'postgres' ? ' FOR UPDATE' : '';
      const sql = `SELECT ${columns} FROM leads WHERE ${where.sql} LIMIT ${MAX_BATCH_LEADS + 1}${locking}`;
      for (const r of await selectPeople(db, engine, names, sql, where.binding))
        byId.set(Number(r.id), r);
      if (byId.size > MAX_BATCH_LEADS) throw new BatchUnsupported('too many people in one batch');
    };
    await run('email_key', keyList, false);
    await run('id', [...ids]);
    await run('foreign_sys_person_id', [...foreignIds]);
    return [...byId.values()].sort((a, b) => Number(a.id) - Number(b.id));
  };
  // Leads named by id or foreign id may hold addresses the records do not name: read them
  // first without locks, so that every address is locked in one go, in the global order
  // (locking in two rounds lets two batches deadlock). Then everything is read under row
  // locks; an address that moved in between means starting over (the caller retries).
  // Addresses shared by very many people are cheaper on the per-record path (propagation in
  // SQL, locks held briefly): find out before taking any lock.
  // One statement for both, over at most MAX_BATCH_LEADS + 1 holders: within that bound the
  // count of each address is exact; beyond it the batch is refused whatever the counts.
  if (keys.size > 0) {
    const where = among(engine, 'email_key', [...keys]);
    const [row] = (await select(
      db,
      `SELECT sum(c) AS n, max(c) AS most FROM (
         SELECT email_key, count(*) AS c FROM (
           SELECT email_key FROM leads WHERE ${where.sql} LIMIT ${MAX_BATCH_LEADS + 1}
         ) AS holders GROUP BY email_key
       ) AS per_address`,
      [where.binding],
    )) as Array<{ n: number | string | null; most: number | string | null }>;
    if (Number(row?.n ?? 0) > MAX_BATCH_LEADS)
      throw new BatchUnsupported('too many people in one batch');
    if (Number(row?.most ?? 0) > MAX_PEOPLE_PER_ADDRESS)
      throw new BatchUnsupported('an address shared by very many people');
  }
  const named = ids.size > 0 || foreignIds.size > 0;
  let before = new Map<number, unknown>();
  if (named) {
    const ahead = await load(false, []);
    before = new Map(ahead.map((r) => [Number(r.id), r.email_key ?? null]));
    for (const r of ahead) if (r.email_key) keys.add(r.email_key as string);
  }
  await lock([...keys]);
  const rows = await load(true, [...keys]);
  for (const r of rows) {
    const key = (r.email_key as string | null) ?? null;
    if (key !== null && !keys.has(key)) throw new BatchMoved();
    if (before.has(Number(r.id)) && before.get(Number(r.id)) !== key) throw new BatchMoved();
  }
  if (rows.length > MAX_BATCH_LEADS) throw new BatchUnsupported('too many people in one batch');
  // One statement and one binding, whatever the number of addresses (at most the batch's).
  const statuses = await new EmailStatusRepository(db, engine).getMany([...keys]);
  // Decoded once and the rows let go: a second pass (PostgreSQL, new people) starts over from
  // the same records, which no change ever mutates.
  const records = rows.map(fromRow);
  return { records, statuses, keys, ids, foreignIds };
}
