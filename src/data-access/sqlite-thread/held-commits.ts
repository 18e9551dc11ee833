import {
  MAX_HELD_STEPS,
  type CrossedError,
  type SqliteResponse,
  type StatementRequest,
} from './protocol.js';

/** What this module needs of the writer's connection (worker.ts). */
export interface HoldingConnection {
  db: { inTransaction: boolean; exec(sql: string): unknown };
  /** A step failed after writing: the transaction is to be rolled back (worker.ts, runStep). */
  spoiled: CrossedError | null;
  /** SQLite ended the transaction under a step (worker.ts, lose). */
  lost: CrossedError | null;
}

const BEGIN_ALONE = /^\s*BEGIN(\s+IMMEDIATE)?\s*;?\s*$/i;

/** The COMMIT that ends a group of final steps (StatementRequest.final). */
function finalCommit(message: unknown): StatementRequest | null {
  const last = Array.isArray(message) ? message[message.length - 1] : message;
  const request = last as Partial<StatementRequest> | undefined;
  return request?.final === true && !request.step ? (request as StatementRequest) : null;
}

/**
 * The COMMITs of groups of final steps, held by the writer thread until it has run every
 * message already posted to it. A group's message is its steps and its COMMIT
 * (StatementRequest.final); a final group that comes while a COMMIT is held runs inside the
 * same transaction (its BEGIN dropped), and one COMMIT, one fsync, ends them all once the
 * thread finds nothing more to run (the next turn of its event loop), or before any other
 * message. With synchronous=FULL, the fsync is most of a small write's time: the groups the
 * main thread posts while the thread is in a COMMIT, or running a group's steps, share the
 * next one instead of waiting for one each; the thread never waits for the main thread to
 * decide when a group ends. Each COMMIT is answered only once the transaction holding it has
 * ended: a caller is still told of its write only once it is on disk.
 *
 * A step that fails after writing (worker.ts, runStep) rolls back the whole transaction: every
 * group in it runs again (its COMMIT is answered GROUP_UNDONE_CODE), as the units of one group
 * do. A COMMIT that fails fails every group it held.
 */
export class HeldCommits {
  private held: StatementRequest[] = [];
  /** Steps run under the held COMMITs: bounds the wait of the first group's callers. */
  private steps = 0;
  private scheduled = false;

  constructor(
    private readonly connection: HoldingConnection,
    private readonly run: (request: StatementRequest) => SqliteResponse,
    private readonly post: (answer: SqliteResponse | SqliteResponse[]) => void,
    private readonly crossed: (error: unknown) => CrossedError,
  ) {}

  /**
   * Runs a final group's message (its steps answered now, its COMMIT held, or run when it
   * cannot be: worker.ts's path for a failed transaction). False: not such a message; the
   * caller ends what is held (end()) before running it.
   */
  runGroup(message: unknown): boolean {
    const commit = finalCommit(message);
    if (!commit) return false;
    const group = (Array.isArray(message) ? message : [message]) as StatementRequest[];
    const steps = group.slice(0, -1);
    const joined = this.held.length > 0 && this.mayJoin(steps.length);
    if (joined) dropBegin(group[0]!);
    else {
      this.end();
      this.steps = 0;
    }
    if (steps.length > 0) this.post(steps.map((step) => this.run(step)));
    this.steps += steps.length;
    const { db, spoiled, lost } = this.connection;
    if (joined || (db.inTransaction && !spoiled && !lost && !commit.queued?.length)) {
      this.held.push(commit);
      // Its transaction is lost or to be rolled back: every held COMMIT is answered so now.
      if (spoiled || lost || !db.inTransaction) this.end();
      else this.schedule();
    } else this.post(this.run(commit));
    return true;
  }

  /** Ends the held COMMITs' transaction and answers them; nothing when none is held. */
  end(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    this.steps = 0;
    const failure = this.commit();
    this.post(
      held.map((commit) =>
        failure
          ? { id: commit.id, error: failure }
          : { id: commit.id, changes: 0, lastInsertRowid: 0 },
      ),
    );
  }

  /** COMMIT, or what the transaction's failure tells every group held. */
  private commit(): CrossedError | null {
    const connection = this.connection;
    const { db } = connection;
    if (connection.spoiled) {
      const spoiled = connection.spoiled;
      connection.spoiled = null;
      rollBack(db);
      return spoiled;
    }
    // SQLite ended the transaction itself; `lost` stays until a ROLLBACK or a BEGIN comes.
    if (connection.lost) return connection.lost;
    if (!db.inTransaction)
      return { name: 'Error', message: 'the transaction of a held COMMIT ended before it' };
    try {
      db.exec('COMMIT');
      return null;
    } catch (error) {
      rollBack(db);
      return this.crossed(error);
    }
  }

  private mayJoin(steps: number): boolean {
    const { db, spoiled, lost } = this.connection;
    return db.inTransaction && !spoiled && !lost && this.steps + steps <= MAX_HELD_STEPS;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the messages already posted to this thread (Node runs them all, then the
    // immediates): those of them that are final groups join the transaction first.
    setImmediate(() => {
      this.scheduled = false;
      this.end();
    });
  }
}

/** The group's BEGIN (queued with its first message): the held transaction is its own. */
function dropBegin(first: StatementRequest): void {
  const queued = first.queued;
  if (queued && queued.length > 0 && BEGIN_ALONE.test(queued[0]!.sql)) {
    if (queued.length === 1) delete first.queued;
    else first.queued = queued.slice(1);
  }
}

function rollBack(db: HoldingConnection['db']): void {
  if (!db.inTransaction) return;
  try {
    db.exec('ROLLBACK');
  } catch {
    // SQLite ended it itself meanwhile.
  }
}
