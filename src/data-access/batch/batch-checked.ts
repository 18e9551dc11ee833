import type { Knex } from 'knex';
import type { BatchMemory, BatchScope } from '../../domain/ports.js';
import type { PropagationLog } from '../propagation-log.js';
import { STATUS_READ_COLUMNS } from '../sql/email-status.repository.js';
import { fixedSql, type StatementCall } from '../sql/statement.js';
import { sqliteBatchCalls } from './batch-flush.js';
import { BatchMoved } from './batch-errors.js';
import { sqliteKeyed } from './batch-load.js';
import type { BatchGate } from './batch-gate.js';
import { BatchSession } from './batch-session.js';

/**
 * SQLite: a batch read without the write lock, on the writer's connection (its page cache
 * stays warm: a reader thread's connection drops its cache at every commit it has not seen and
 * reads the batch's pages again, which cost about what the overlap saved), posted past the
 * pool (sqlite-thread/writer-reads.ts): between two group transactions, or inside the open one,
 * where it may see writes that are then rolled back. Its result is written in one message to
 * the writer (a one-step unit of the group commit) that first checks that nothing the batch
 * read differs from what the file holds then, and writes only then, whole or not at all: what
 * it read, committed or not, is what the rules would read under the lock at that point.
 * While one batch's rules run on the main thread, another's writes and COMMIT run in the
 * writer: under the write lock (openBatch), the writer waited for the rules of each batch.
 *
 * What the batch read, and what the check compares with the file as it stands:
 * - every person it loaded: still there, with the same change_seq (every write of a person
 *   takes a new one);
 * - how many people hold its addresses, its ids, its foreign ids: the same (with the above, the
 *   same people: nobody new took one of them);
 * - the master status of each of its addresses: the same row, value by value (none created);
 * - when it created people (ids above the highest one it read): that highest id, unchanged.
 * The rules then ran on exactly what they would read under the lock now, so the result is the
 * one the locked path would write. The change_seq values are taken in the writer, above the
 * highest there, and so are its activities' ids, above the activities' sequence (batch-flush.ts,
 * sqliteBatchCalls).
 */

const STATUS_VALUES = STATUS_READ_COLUMNS.split(', ');

/**
 * Every connection of the writer has its own: the change_seq base of the batch being written,
 * and its activities' id base (the activities' sequence before the batch's log moves it).
 */
const BASE_TABLE = fixedSql(
  `CREATE TEMP TABLE IF NOT EXISTS batch_bases
   (one INTEGER PRIMARY KEY CHECK (one = 1), change_seq INTEGER NOT NULL,
    activity_id INTEGER NOT NULL)`,
);
const SET_BASE = fixedSql(
  `INSERT OR REPLACE INTO temp.batch_bases (one, change_seq, activity_id)
   SELECT 1, coalesce(max(change_seq), 0),
     coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'activities'), 0) FROM leads`,
);
const CHANGE_SEQ_BASE = '(SELECT change_seq FROM temp.batch_bases)';
const ACTIVITY_ID_BASE = '(SELECT activity_id FROM temp.batch_bases)';

const among = (column: string) => `${column} IN (SELECT value FROM json_each(?))`;

/**
 * One row, `moved` 1 when anything the batch read differs now (bindings: checkBindings). The
 * people's and statuses' rows are read as binary JSON: `->>` on a text element parsed it again
 * for each value it took (the people's part 127 → 86 µs for 300).
 */
const CHECK = fixedSql(`SELECT (
    EXISTS (SELECT 1 FROM jsonb_each(jsonb(?)) AS p LEFT JOIN leads AS l ON l.id = (p.value ->> 0)
            WHERE l.id IS NULL OR l.change_seq IS NOT (p.value ->> 1))
    OR (SELECT count(*) FROM ${sqliteKeyed('leads', 'email_key')}) <> ?
    OR (SELECT count(*) FROM leads WHERE ${among('id')}) <> ?
    OR (SELECT count(*) FROM leads WHERE ${among('foreign_sys_person_id')}) <> ?
    OR (SELECT count(*) FROM ${sqliteKeyed('email_status', 'email_key')}) <> ?
    OR EXISTS (SELECT 1 FROM jsonb_each(jsonb(?)) AS s LEFT JOIN email_status AS e
                 ON e.email_key = (s.value ->> 0)
               WHERE e.email_key IS NULL
                 OR ${STATUS_VALUES.slice(1)
                   .map((c, j) => `e.${c} IS NOT (s.value ->> ${j + 1})`)
                   .join(' OR ')})
    OR (? IS NOT NULL AND max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'leads'), 0),
          coalesce((SELECT max(id) FROM leads), 0)) <> ?)
  ) AS moved`);

function checkBindings(session: BatchSession): unknown[] {
  const { records, keys, ids, foreignIds, statusValues, sqliteHighs } = session.snapshot;
  if (!statusValues || !sqliteHighs) throw new Error('a checked batch needs what SQLite read');
  const people = records.map((l) => [l.id, l.changeSeq]);
  const holders = records.filter((l) => l.emailKey !== null && keys.has(l.emailKey)).length;
  const named = records.filter((l) => ids.has(l.id)).length;
  const foreign = records.filter(
    (l) => l.foreignSysPersonId !== null && foreignIds.has(l.foreignSysPersonId),
  ).length;
  const keyList = JSON.stringify([...keys]);
  const high = session.result.created.length > 0 ? sqliteHighs.id : null;
  return [
    JSON.stringify(people),
    keyList,
    holders,
    JSON.stringify([...ids]),
    named,
    JSON.stringify([...foreignIds]),
    foreign,
    keyList,
    statusValues.length,
    JSON.stringify(statusValues),
    high,
    high,
  ];
}

/**
 * Runs `check`, then unless its row's `moved` is true `writes`, in one message to the writer
 * inside the group commit (a one-step unit: whole or not at all); true when they ran.
 */
export type CheckedWrite = (check: StatementCall, writes: StatementCall[]) => Promise<boolean>;

/**
 * Reads the batch by `reader` (no locks: the check at its write stands for them), runs `apply`
 * over it, then writes it checked (`write`), its log in the writer's `form`: `apply`'s value, or null when nothing was written
 * (what it read moved, or the gate says to take the locked path).
 */
export async function writeCheckedBatch<T>(
  gate: BatchGate,
  form: PropagationLog,
  reader: Knex,
  scope: BatchScope,
  apply: (batch: BatchMemory) => Promise<T>,
  write: CheckedWrite,
): Promise<{ value: T } | null> {
  if (!gate.mayTry()) return null;
  const entered = await gate.enter(scope);
  try {
    let session: BatchSession;
    try {
      session = await BatchSession.open(reader, 'sqlite', scope, async () => undefined);
    } catch (error) {
      // An address moved between its reads (batch-load.ts).
      if (!(error instanceof BatchMoved)) throw error;
      gate.missed();
      return null;
    }
    entered.read(session.snapshot.keys);
    const value = await apply(session);
    const check: StatementCall = [CHECK, checkBindings(session)];
    const writes = sqliteBatchCalls(session.result, CHANGE_SEQ_BASE, form, ACTIVITY_ID_BASE);
    if (await write(check, [[BASE_TABLE, []], [SET_BASE, []], ...writes])) return { value };
    gate.missed();
    return null;
  } finally {
    entered.leave();
  }
}
