import type { Knex } from 'knex';
import { SqliteThreadConnection } from '../../src/data-access/sqlite-thread/connection.js';

interface Request {
  id: number;
  sql?: string;
  step?: unknown;
}
interface Answer {
  id: number;
}
interface Patched {
  call(request: Request): Promise<unknown>;
  settle(response: Answer | Answer[]): void;
}

/**
 * Runs `run` with the SQLite writer thread's answers handled `delayMs` late by this thread, as
 * under a busy event loop: every answer (`'all'`) or only those to COMMIT (`'commits'`). Tells
 * what was posted and answered, in order: 'step posted', 'commit posted', 'commit answered',
 * and with `'all'` 'answered' for the others. `run` may add its own events.
 */
export async function withSlowWriterAnswers(
  delayMs: number,
  which: 'all' | 'commits',
  run: (events: string[]) => Promise<unknown>,
): Promise<string[]> {
  const proto = SqliteThreadConnection.prototype as unknown as Patched;
  const { call, settle } = proto;
  const commits = new Set<number>();
  const events: string[] = [];
  proto.call = function (this: unknown, request) {
    if (request.sql && /^COMMIT/i.test(request.sql)) {
      commits.add(request.id);
      events.push('commit posted');
    } else if (request.step) events.push('step posted');
    return call.call(this, request);
  };
  // The answers of an array come back through settle one by one: those go straight on.
  let inArray = false;
  proto.settle = function (this: unknown, response) {
    if (inArray) return settle.call(this, response);
    const answers = Array.isArray(response) ? response : [response];
    const commit = answers.some((a) => commits.has(a.id));
    if (!commit && which === 'commits') return settle.call(this, response);
    setTimeout(() => {
      events.push(commit ? 'commit answered' : 'answered');
      inArray = true;
      try {
        settle.call(this, response);
      } finally {
        inArray = false;
      }
    }, delayMs);
  };
  try {
    await run(events);
  } finally {
    proto.call = call;
    proto.settle = settle;
  }
  return events;
}

/** How many changes of an address's master status its history holds. */
export async function historyCount(knex: Knex, key: string): Promise<number> {
  const [row] = (await knex('email_status_history')
    .where('email_key', key)
    .count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(row?.n ?? 0);
}
