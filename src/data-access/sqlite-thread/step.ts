/**
 * A one-step unit of a group commit (unit-of-work.ts, writeStep) on the writer connection
 * (connection.ts), and the queueing of statements whose results nobody reads, which both share.
 */
import { GROUP_UNDONE_CODE, type StatementCall, type StatementRequest } from './protocol.js';

/** Errors of step messages that failed after writing (protocol.ts, CrossedError.undoesGroup). */
const groupUndoers = new WeakSet<object>();

/** Marks `error` as a step's failure that left writes in the transaction (connection.ts). */
export function markUndoesGroup(error: Error): void {
  groupUndoers.add(error);
}

/**
 * What a step's message left in the transaction: `stored`, its work (answered); `spoiled`,
 * part of it (it failed after writing: the group must be rolled back); `refused`, nothing (a
 * step before it spoiled the transaction: its unit runs again); `failed`, nothing.
 */
export type StepOutcome = 'stored' | 'spoiled' | 'refused' | 'failed';

/** What a statement gives back: its rows, or what it changed. */
export type StatementResult =
  { rows: unknown[]; thenChanges?: number } | { changes: number; lastInsertRowid: number | bigint };

/** How a queued statement is run: its changes told, or its expectation checked (protocol.ts). */
export type QueueOptions = ((changes: number) => void) | { expect: true };

export function queueCall(
  queued: StatementCall[],
  counted: Array<(changes: number) => void>,
  sql: string,
  bindings: unknown[],
  how?: QueueOptions,
): void {
  if (!how) {
    queued.push({ sql, bindings });
    return;
  }
  if (typeof how !== 'function') {
    queued.push({ sql, bindings, expect: true });
    return;
  }
  queued.push({ sql, bindings, counted: true });
  counted.push(how);
}

export type StepSend = (
  sql: string,
  bindings: unknown[],
  unless: StatementRequest['unless'],
  ifRow: StatementRequest['ifRow'],
  step: { calls: StatementCall[]; counted: Array<(changes: number) => void> },
) => Promise<StatementResult>;

/**
 * One unit of a group commit whose whole work is one message (unit-of-work.ts, writeStep):
 * the statements it queues, then the one it awaits, which the thread runs whole or not at all
 * (protocol.ts, `step`). Once that message is posted the group
 * writer starts the next unit without waiting for the answer, so the unit may send nothing
 * more: a second statement is a programming error, refused here.
 */
export class SqliteStep {
  private readonly calls: StatementCall[] = [];
  private readonly counted: Array<(changes: number) => void> = [];
  private sent = false;
  /** What its message left, once answered (null until then). */
  outcome: StepOutcome | null = null;
  /** Its message's error, when it failed. */
  error: unknown = null;
  private markPosted!: () => void;
  /** Settles once the step's message is posted to the thread. */
  readonly posted = new Promise<void>((resolve) => (this.markPosted = resolve));

  constructor(
    private readonly post: StepSend,
    private readonly closed: () => void,
  ) {}

  get hasQueued(): boolean {
    return this.calls.length > 0;
  }

  /** Statements queued and never sent: the unit ended without its statement to answer. */
  get unsent(): boolean {
    return !this.sent && this.calls.length > 0;
  }

  queue(sql: string, bindings: unknown[], how?: QueueOptions): void {
    if (this.sent) throw refusedSecond();
    queueCall(this.calls, this.counted, sql, bindings, how);
  }

  run(
    sql: string,
    bindings: unknown[],
    unless?: StatementRequest['unless'],
    ifRow?: StatementRequest['ifRow'],
  ): Promise<StatementResult> {
    if (this.sent) return Promise.reject(refusedSecond());
    this.sent = true;
    this.close();
    const answer = this.post(sql, bindings, unless, ifRow, {
      calls: this.calls,
      counted: this.counted,
    });
    this.markPosted();
    // Before the unit's own handlers (registered later): the group writer reads it whatever
    // the unit made of its answer.
    answer.then(
      () => (this.outcome = 'stored'),
      (error: unknown) => {
        this.error = error;
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof error === 'object' && error !== null && groupUndoers.has(error))
          this.outcome = 'spoiled';
        else this.outcome = code === GROUP_UNDONE_CODE ? 'refused' : 'failed';
      },
    );
    return answer;
  }

  /** The connection takes other statements again (the step is sent, or its unit ended). */
  close(): void {
    this.closed();
  }
}

function refusedSecond(): Error {
  return new Error('a one-step unit sends one statement to answer; this was a second one');
}
