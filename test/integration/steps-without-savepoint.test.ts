import { expect } from 'chai';
import type { Knex } from 'knex';
import type { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { SqliteThreadConnection } from '../../src/data-access/sqlite-thread/connection.js';
import { GROUP_UNDONE_CODE } from '../../src/data-access/sqlite-thread/protocol.js';
import { testEngines } from '../support/database.js';
import { createLead, expectNoViolations, type Harness } from '../support/harness.js';
import { threadPool } from '../support/sqlite-pool.js';
import { linkPropagation, linkStatus } from '../support/records.js';
import { expectRejectedAlone, openUnitOfWork, refuseWrites } from '../support/step-units.js';
import { historyCount } from '../support/writer-answers.js';

/**
 * One-step units run with no savepoint of their own (worker.ts, runStep). A step that fails
 * before it changed a row leaves nothing and fails alone; one that fails after has its whole
 * group rolled back: the other units run again and are stored once, it keeps its own error.
 */

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;

type Answer = { id: number; error?: { code?: string } };

describe('SQLite one-step units without a savepoint', () => {
  let h: Harness;
  let uow: UnitOfWork;
  let k: Knex;

  beforeEach(async () => ({ h, uow, k } = await openUnitOfWork(sqlite)));
  afterEach(() => h.drop());

  /** How many times each address's unit ran. */
  let runs: Map<string, number>;
  const unsubscribe = (key: string) =>
    uow.writeStep((r) => {
      runs.set(key, (runs.get(key) ?? 0) + 1);
      return r.leads.unsubscribeAddressOnce(linkStatus(key, 1000), linkPropagation);
    });

  async function addresses(name: string, n: number): Promise<string[]> {
    runs = new Map();
    const all = Array.from({ length: n }, (_, i) => `${name}${i}@nosave.example`);
    for (const a of all) await createLead(h.services, a);
    return all;
  }

  const stored = async (key: string) => ({
    status: Number(
      (
        (await k('email_status').where('email_key', key).count({ n: '*' })) as Array<{ n: number }>
      )[0]!.n,
    ),
    history: await historyCount(k, key),
    unsubscribed: (await k('leads').where('email_key', key).pluck('unsubscribed')).map(Number),
  });
  const none = { status: 0, history: 0, unsubscribed: [0] };
  const done = { status: 1, history: 1, unsubscribed: [1] };

  /** Statements knex sends, and the callers answered, in order, from now on. */
  function recordEvents(): string[] {
    const seen: string[] = [];
    k.on('query', (q: { sql: string }) => seen.push(q.sql));
    return seen;
  }

  /** The answers the writer thread sends back as one message (a group's held steps). */
  async function arrayAnswers(run: () => Promise<unknown>): Promise<Answer[][]> {
    const proto = SqliteThreadConnection.prototype as unknown as { settle(r: unknown): void };
    const original = proto.settle;
    const seen: Answer[][] = [];
    proto.settle = function (this: unknown, response: unknown) {
      if (Array.isArray(response)) seen.push(response as Answer[]);
      original.call(this, response);
    };
    try {
      await run();
    } finally {
      proto.settle = original;
    }
    return seen;
  }

  it('a step that fails after writing: the group is rolled back, the others stored once', async () => {
    const keys = await addresses('after', 5);
    const bad = keys[2]!;
    // The person's update fails after the status, its history and the activities were written.
    await refuseWrites(k, 'UPDATE ON leads', bad);
    const events = recordEvents();
    const answered = (i: number) => () => events.push(`answered ${i}`);
    const results = await Promise.allSettled(
      keys.map((key, i) => unsubscribe(key).finally(answered(i))),
    );
    expectRejectedAlone(results, 5, 2, 'SQLITE_CONSTRAINT_TRIGGER');
    // The failed unit ran once; the others twice: rolled back with it, then run again.
    expect(keys.map((key) => runs.get(key))).to.deep.equal([2, 2, 1, 2, 2]);
    // Nobody was answered before the rollback; that transaction committed nothing.
    const rolledBack = events.findIndex((s) => /^ROLLBACK;?$/i.test(s));
    expect(rolledBack).to.be.greaterThan(0);
    expect(events.slice(0, rolledBack).filter((s) => /^(COMMIT|answered)/i.test(s))).to.deep.equal(
      [],
    );
    for (const key of keys) expect(await stored(key)).to.deep.equal(key === bad ? none : done);
    await expectNoViolations(h.services);
  });

  it('a step that fails before writing fails alone: nobody runs again', async () => {
    const keys = await addresses('before', 5);
    const bad = keys[1]!;
    // Its first write, the master status, fails: nothing of it was written.
    await refuseWrites(k, 'INSERT ON email_status', bad);
    const events = recordEvents();
    const results = await Promise.allSettled(keys.map((key) => unsubscribe(key)));
    expectRejectedAlone(results, 5, 1);
    expect(keys.map((key) => runs.get(key))).to.deep.equal([1, 1, 1, 1, 1]);
    expect(events.filter((s) => /^BEGIN/i.test(s))).to.have.length(1);
    expect(events.filter((s) => /^COMMIT/i.test(s))).to.have.length(1);
    expect(events.filter((s) => /^ROLLBACK/i.test(s))).to.deep.equal([]);
    for (const key of keys) expect(await stored(key)).to.deep.equal(key === bad ? none : done);
  });

  it('steps sent as one message, a failing one in the middle: those behind it do not run', async () => {
    const keys = await addresses('middle', 5);
    const bad = keys[2]!;
    await refuseWrites(k, 'UPDATE ON leads', bad);
    let results: Array<PromiseSettledResult<unknown>> = [];
    const answers = await arrayAnswers(async () => {
      results = await Promise.allSettled(keys.map((key) => unsubscribe(key)));
    });
    // The first group's five steps in one message: the two before it ran, it failed after
    // writing, the two behind it were refused without running.
    expect(answers[0]!.map((a) => a.error?.code ?? 'ok')).to.deep.equal([
      'ok',
      'ok',
      'SQLITE_CONSTRAINT_TRIGGER',
      GROUP_UNDONE_CODE,
      GROUP_UNDONE_CODE,
    ]);
    expectRejectedAlone(results, 5, 2);
    for (const key of keys) expect(await stored(key)).to.deep.equal(key === bad ? none : done);
  });

  it('on the connection: after a step fails having written, COMMIT rolls back and fails', async () => {
    const pool = threadPool(k);
    const connection = await pool.acquireConnection();
    const code = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (error: { code?: string }) => error.code ?? String(error),
      );
    const count = async () =>
      ((await connection.run('SELECT count(*) AS n FROM step_spoil', [])) as { rows: unknown[] })
        .rows;
    const step = (queued: number[], value: number) => {
      const s = connection.openStep();
      for (const v of queued) s.queue('INSERT INTO step_spoil VALUES (?)', [v]);
      return code(s.run('INSERT INTO step_spoil VALUES (?)', [value]));
    };
    try {
      await connection.run('CREATE TABLE step_spoil (x INTEGER CHECK (x < 10))', []);
      // Failing before it wrote: the transaction goes on and commits the others.
      await connection.run('BEGIN', []);
      expect(await step([], 99)).to.equal('SQLITE_CONSTRAINT_CHECK');
      expect(await step([], 1)).to.equal('ok');
      await connection.run('COMMIT', []);
      expect(await count()).to.deep.equal([{ n: 1 }]);
      // Failing after it wrote: later steps are refused, and the COMMIT stores nothing.
      await connection.run('BEGIN', []);
      expect(await step([], 2)).to.equal('ok');
      expect(await step([3], 99)).to.equal('SQLITE_CONSTRAINT_CHECK');
      expect(await step([], 4)).to.equal(GROUP_UNDONE_CODE);
      expect(await code(connection.run('COMMIT', []))).to.equal(GROUP_UNDONE_CODE);
      expect(await count()).to.deep.equal([{ n: 1 }]);
      // The connection goes on.
      await connection.run('BEGIN', []);
      expect(await step([], 5)).to.equal('ok');
      await connection.run('COMMIT', []);
      expect(await count()).to.deep.equal([{ n: 2 }]);
    } finally {
      await pool.releaseConnection(connection);
    }
  });
});
