/**
 * A one-step unit of a group commit (unit-of-work.ts, writeStep) on the writer connection
 * (connection.ts), and the queueing of statements whose results nobody reads, which both share.
 */
import type { StatementCall, StatementRequest } from './protocol.js';

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
 * inside a savepoint of its own (protocol.ts, `step`). Once that message is posted the group
 * writer starts the next unit without waiting for the answer, so the unit may send nothing
 * more: a second statement is a programming error, refused here.
 */
export class SqliteStep {
  private readonly calls: StatementCall[] = [];
  private readonly counted: Array<(changes: number) => void> = [];
  private sent = false;
  /** Its message was answered without error: it is in the transaction. */
  answered = false;
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
    answer.then(
      () => (this.answered = true),
      () => undefined,
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
