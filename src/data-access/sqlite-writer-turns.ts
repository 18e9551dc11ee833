import path from 'node:path';
import type { Database } from './database.js';

/**
 * Write transactions on one file queue here, one at a time per process, whichever Database
 * object of the process runs them (a test or a command may open the file twice): two writer
 * threads of one process would otherwise meet at BEGIN IMMEDIATE and one would sleep through
 * the busy timeout, or fail, instead of simply waiting its turn. Other processes (the CLI)
 * still wait for the lock through the busy timeout.
 */
interface WriterTurn {
  database: Database;
  /** Its transaction's last message is posted: the same Database's next may post behind it. */
  posted: Promise<void>;
  /** Its transaction has ended (answered): any other may start. */
  done: Promise<void>;
}

const sqliteWriters = new Map<string, WriterTurn>();

/**
 * `run` is given `handOff`: once its transaction's last message (COMMIT or ROLLBACK) is posted
 * to the writer thread, the next transaction of the same Database may start, whose messages
 * the thread runs after that one; another Database's (its own thread) waits for the end. And
 * `ahead`: settles once the transactions before it have ended (their COMMIT answered).
 */
export async function queueSqliteWriter<T>(
  database: Database,
  run: (handOff: () => void, ahead: Promise<void>) => Promise<T>,
): Promise<T> {
  const none = Promise.resolve();
  if (database.engine !== 'sqlite' || database.location === ':memory:') return run(() => {}, none);
  const file = path.resolve(database.location);
  const previous = sqliteWriters.get(file);
  let release!: () => void;
  let handOff!: () => void;
  const ended = new Promise<void>((resolve) => (release = resolve));
  const handed = new Promise<void>((resolve) => (handOff = resolve));
  const turn: WriterTurn = {
    database,
    posted: previous ? previous.posted.then(() => handed) : handed,
    done: previous ? previous.done.then(() => ended) : ended,
  };
  sqliteWriters.set(file, turn);
  if (previous) await (previous.database === database ? previous.posted : previous.done);
  void turn.done.then(() => {
    if (sqliteWriters.get(file) === turn) sqliteWriters.delete(file);
  });
  try {
    return await run(handOff, previous ? previous.done : none);
  } finally {
    handOff();
    release();
  }
}
