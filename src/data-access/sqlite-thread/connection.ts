import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  CrossedError,
  SqliteReady,
  SqliteRequest,
  SqliteResponse,
  SqliteThreadOptions,
  StatementCall,
  StatementRequest,
} from './protocol.js';
import { RowDecoder } from './row-shapes.js';
import type { RowSet } from '../sql/row-set.js';
import {
  markUndoesGroup,
  queueCall,
  SqliteStep,
  type QueueOptions,
  type StatementResult,
} from './step.js';

export { SqliteStep, type QueueOptions, type StatementResult } from './step.js';

/** The code of every call a thread left unanswered by exiting (database-errors.ts: unavailable). */
export const SQLITE_THREAD_EXITED = 'SQLITE_THREAD_EXITED';

/** Told (once, with one line to log) of a thread that ended without being closed. */
export type ThreadExitListener = (message: string) => void;

interface Pending {
  resolve(response: SqliteResponse): void;
  reject(error: Error): void;
}

function revived(crossed: CrossedError): Error {
  const error = new Error(crossed.message) as Error & { code?: string };
  error.name = crossed.name;
  if (crossed.code !== undefined) error.code = crossed.code;
  if (crossed.undoesGroup) markUndoesGroup(error);
  return error;
}

function threadExited(filename: string, reason: string): Error {
  const error = new Error(`the SQLite thread of ${filename} exited (${reason})`) as Error & {
    code: string;
  };
  error.code = SQLITE_THREAD_EXITED;
  return error;
}

const WORKER_FILE = new URL(
  `./worker${path.extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
);

/** The file URL of tsx's ESM loader API (its CommonJS twin cannot register from a thread). */
function tsxLoaderApi(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const { exports } = require(manifest) as {
    exports: Record<string, { import?: { default?: string } }>;
  };
  const file = exports['./esm/api']?.import?.default;
  if (!file) throw new Error('tsx has no ESM loader API: run the built service (dist/)');
  return pathToFileURL(path.join(path.dirname(manifest), file)).href;
}

/** The thread runs the build (worker.js), or the sources when the service does (tests, tsx). */
function startThread(options: SqliteThreadOptions): Worker {
  if (WORKER_FILE.pathname.endsWith('.js')) return new Worker(WORKER_FILE, { workerData: options });
  // Node 20 does not apply the parent's loader (tsx) to a thread's entry point: the thread
  // registers it before importing worker.ts.
  const entry = JSON.stringify(WORKER_FILE.href);
  const tsx = JSON.stringify(tsxLoaderApi());
  const code = `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); })`;
  return new Worker(code, {
    eval: true,
    workerData: options,
  });
}

/**
 * One SQLite connection living in its own thread: what knex's pool holds in place of a
 * better-sqlite3 Database. Statements are posted and answered in order.
 */
export class SqliteThreadConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exitReason: string | null = null;
  /** Statements whose results nobody reads, sent with the next statement run (protocol.ts). */
  private queued: StatementCall[] = [];
  /** Told the changes of the queued statements marked `counted`, in order. */
  private counted: Array<(changes: number) => void> = [];

  /** The names of the thread's row shapes: its rows as objects again. */
  private readonly decoder = new RowDecoder();

  /** Set by close(): the thread ends because it was asked to, which is not news. */
  private closing = false;

  /** The one-step unit that has not sent its statement yet (openStep). */
  private step: SqliteStep | null = null;

  /** One-step units' messages held to cross as one (holdSteps), in order; null: not held. */
  private held: StatementRequest[] | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly filename: string,
    private readonly role: 'writer' | 'reader',
    private readonly onExit: ThreadExitListener | undefined,
  ) {
    worker.on('message', (message: SqliteResponse | SqliteResponse[]) => this.settle(message));
    worker.on('error', (error) => this.exited(error.message));
    worker.on('exit', (code) => this.exited(`exit code ${code}`));
    // An idle thread does not keep the process alive (nor did an idle connection); a call
    // in flight does.
    worker.unref();
  }

  /**
   * Starts a thread and waits until its connection is open and set up. `onExit` hears, once,
   * of a thread that ended without being closed (a crash, a kill).
   */
  static open(
    options: SqliteThreadOptions,
    onExit?: ThreadExitListener,
  ): Promise<SqliteThreadConnection> {
    const worker = startThread(options);
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => reject(error);
      worker.once('error', failed);
      worker.once('exit', (code) => reject(threadExited(options.filename, `exit code ${code}`)));
      worker.once('message', (ready: SqliteReady) => {
        worker.off('error', failed);
        worker.removeAllListeners('exit');
        const role = options.readonly ? 'reader' : 'writer';
        if (ready.ready)
          resolve(new SqliteThreadConnection(worker, options.filename, role, onExit));
        else {
          reject(revived(ready.error));
          void worker.terminate();
        }
      });
    });
  }

  /** False once the thread is gone: knex's pool then replaces this connection. */
  get alive(): boolean {
    return this.exitReason === null;
  }

  /**
   * Sends `sql` with the next statement `run` sends, in the same message, instead of a message
   * of its own: for statements whose result nobody reads (BEGIN, SAVEPOINT, inserts of
   * history). Its failure is that next statement's failure (worker.ts).
   */
  /** Whether statements wait to go with the next one. */
  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  /**
   * `how`, a function: it hears how many rows the statement changed once the message it goes
   * in is answered; never if that message fails (the transaction fails with it). `{ expect }`:
   * a SELECT whose first value must be true, or the message fails (protocol.ts).
   */
  queue(sql: string, bindings: unknown[], how?: QueueOptions): void {
    this.refuseDuringStep();
    queueCall(this.queued, this.counted, sql, bindings, how);
  }

  run(
    sql: string,
    bindings: unknown[],
    unless?: StatementRequest['unless'],
    ifRow?: StatementRequest['ifRow'],
  ): Promise<StatementResult> {
    try {
      this.refuseDuringStep();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(sql, bindings, unless, ifRow);
  }

  /**
   * Opens a one-step unit (unit-of-work.ts, writeStep): until it sends its statement, this
   * connection refuses any other (the unit's statements all go through the step), and the
   * step refuses a second one.
   */
  openStep(): SqliteStep {
    if (this.step) throw new Error('a one-step unit is open already on this connection');
    const step = new SqliteStep(
      (sql, bindings, unless, ifRow, calls) => this.send(sql, bindings, unless, ifRow, calls),
      () => {
        if (this.step === step) this.step = null;
      },
    );
    this.step = step;
    return step;
  }

  /**
   * Until releaseSteps(), the messages of one-step units wait and then cross to the thread as
   * one message (answered by one): a group commit's steps cost one hand-over each way instead
   * of one per unit. Any other message posts the held ones first, ahead of itself, so the
   * thread still runs everything in the order it was sent.
   */
  holdSteps(): void {
    this.held ??= [];
  }

  /** Posts the held steps' messages (holdSteps) and posts the next ones at once again. */
  releaseSteps(): void {
    this.postHeld();
    this.held = null;
  }

  private postHeld(): void {
    const held = this.held;
    if (!held || held.length === 0) return;
    this.held = [];
    this.worker.postMessage(held.length === 1 ? held[0] : held);
  }

  private refuseDuringStep(): void {
    if (this.step) throw new Error('a one-step unit ran a statement outside its step');
  }

  /** Posts at once (before returning): a step counts on that (SqliteStep.run). */
  private async send(
    sql: string,
    bindings: unknown[],
    unless?: StatementRequest['unless'],
    ifRow?: StatementRequest['ifRow'],
    step?: { calls: StatementCall[]; counted: Array<(changes: number) => void> },
  ): Promise<StatementResult> {
    const request: StatementRequest = { id: this.nextId++, sql, bindings };
    if (unless) request.unless = unless;
    if (ifRow) request.ifRow = ifRow;
    let counted = this.counted;
    if (this.queued.length > 0) {
      request.queued = this.queued;
      this.queued = [];
      this.counted = [];
    }
    if (step) {
      request.step = step.calls;
      counted = counted.concat(step.counted);
    }
    const response = await this.call(request);
    if ('queuedChanges' in response && response.queuedChanges)
      response.queuedChanges.forEach((changes, i) => counted[i]?.(changes));
    if ('rows' in response) {
      if (response.columns) this.decoder.learn(response.shape, response.columns);
      const rows = this.decoder.decode(response.shape, response.rows);
      return response.thenChanges === undefined
        ? { rows }
        : { rows, thenChanges: response.thenChanges };
    }
    if ('changes' in response)
      return { changes: response.changes, lastInsertRowid: response.lastInsertRowid };
    throw new Error('unexpected answer from the SQLite thread');
  }

  /** Plain reads in one message (grouped-reads.ts): each read's rows, or its own error. */
  async readAll(reads: StatementCall[]): Promise<Array<RowSet | Error>> {
    const answer = await this.call({ id: this.nextId++, reads });
    if (!('outcomes' in answer)) throw new Error('unexpected answer from the SQLite thread');
    return answer.outcomes.map((outcome) => {
      if ('error' in outcome) return revived(outcome.error);
      if (outcome.columns) this.decoder.learn(outcome.shape, outcome.columns);
      return { names: this.decoder.names(outcome.shape), rows: outcome.rows };
    });
  }

  /** SQLite's online backup of this connection's database into `file` (backup.ts). */
  async backup(file: string): Promise<void> {
    await this.call({ id: this.nextId++, backupTo: file });
  }

  /** Closes the connection (checkpointing the WAL when it is the last) and ends the thread. */
  async close(): Promise<void> {
    if (!this.alive) return;
    this.closing = true;
    const ended = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.worker.postMessage('close');
    await ended;
  }

  /** Ends the thread at once, as a crash would (what callers see is tested). */
  kill(): Promise<number> {
    return this.worker.terminate();
  }

  private call(request: SqliteRequest): Promise<SqliteResponse> {
    if (this.exitReason !== null)
      return Promise.reject(threadExited(this.filename, this.exitReason));
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(request.id, { resolve, reject });
      if (this.held && 'step' in request && request.step) this.held.push(request);
      else {
        this.postHeld();
        this.worker.postMessage(request);
      }
    });
  }

  private settle(response: SqliteResponse | SqliteResponse[]): void {
    if (Array.isArray(response)) {
      for (const one of response) this.settle(one);
      return;
    }
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('error' in response) pending.reject(revived(response.error));
    else pending.resolve(response);
  }

  private exited(reason: string): void {
    if (this.exitReason !== null) return;
    this.exitReason = reason;
    const error = threadExited(this.filename, reason);
    const inFlight = this.pending.size;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    if (this.held) this.held = [];
    this.queued = [];
    this.counted = [];
    if (!this.closing)
      this.onExit?.(
        `The SQLite ${this.role} thread of ${this.filename} ended unexpectedly (${reason}); ` +
          `${inFlight} call(s) in flight failed as "database unavailable", and a new thread ` +
          'replaces it for the next call.',
      );
  }
}
