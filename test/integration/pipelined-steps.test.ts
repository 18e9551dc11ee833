import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { SqliteThreadConnection } from '../../src/data-access/sqlite-thread/connection.js';
import { testEngines } from '../support/database.js';
import { expectNoViolations, leadAddresses, type Harness } from '../support/harness.js';
import { threadPool } from '../support/sqlite-pool.js';
import { linkPropagation, linkStatus, linkUnsubscribe } from '../support/records.js';
import { expectRejectedAlone, openUnitOfWork, refuseWrites } from '../support/step-units.js';
import { historyCount } from '../support/writer-answers.js';

/**
 * One-step units (writeStep) on a SQLite file: the group writer posts each one's message
 * without waiting for the answers of the units before it; each message runs whole or not at
 * all in the writer thread, and every caller is still answered after the group's COMMIT.
 */

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;

type Call = (request: { id: number }) => Promise<unknown>;

/** The most messages in flight at once to SQLite threads while `run` runs, and their count. */
async function inFlight(run: () => Promise<unknown>): Promise<{ most: number; sent: number }> {
  const proto = SqliteThreadConnection.prototype as unknown as { call: Call };
  const original = proto.call;
  let now = 0;
  let most = 0;
  let sent = 0;
  proto.call = function (this: unknown, request) {
    now++;
    sent++;
    most = Math.max(most, now);
    return original.call(this, request).finally(() => now--);
  };
  try {
    await run();
  } finally {
    proto.call = original;
  }
  return { most, sent };
}

/** The message `promise` is rejected with ('' when it is not). */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => '',
    (error: unknown) => String(error),
  );

describe('SQLite one-step units, pipelined in a group', () => {
  let h: Harness;
  let uow: UnitOfWork;
  let k: Knex;

  beforeEach(async () => ({ h, uow, k } = await openUnitOfWork(sqlite)));
  afterEach(() => h.drop());

  const unsubscribe = (key: string, at = 1000) => linkUnsubscribe(uow, key, at);

  const addresses = (name: string, n: number) => leadAddresses(h.services, name, 'step.example', n);

  const stored = async (key: string) => ({
    status: ((await k('email_status').where('email_key', key).first()) as unknown) ?? null,
    history: await historyCount(k, key),
    unsubscribed: (
      (await k('leads').where('email_key', key).select('unsubscribed')) as Array<{
        unsubscribed: number;
      }>
    ).map((p) => Boolean(p.unsubscribed)),
  });

  /** Statements knex sends, in order, from now on. */
  function recordStatements(): string[] {
    const seen: string[] = [];
    k.on('query', (q: { sql: string }) => seen.push(q.sql));
    return seen;
  }

  it('posts every unit of the group before the first answer, in one transaction', async () => {
    const keys = await addresses('all', 8);
    const statements = recordStatements();
    let results: Array<{ changed: boolean; people: number }> = [];
    const { most, sent } = await inFlight(async () => {
      results = await Promise.all(keys.map((key) => unsubscribe(key)));
    });
    // Eight step messages, then COMMIT: all eight were in flight at once.
    expect(sent).to.equal(keys.length + 1);
    expect(most).to.equal(keys.length);
    expect(results.map((r) => [r.changed, r.people])).to.deep.equal(keys.map(() => [true, 1]));
    for (const key of keys) expect((await stored(key)).unsubscribed).to.deep.equal([true]);
    expect(statements.filter((s) => /^BEGIN/i.test(s))).to.have.length(1);
    expect(statements.filter((s) => /^COMMIT/i.test(s))).to.have.length(1);
    await expectNoViolations(h.services);
  });

  it('the steps of a group cross to the writer thread as one message', async () => {
    const keys = await addresses('held', 6);
    const posted: unknown[] = [];
    const proto = Worker.prototype as unknown as { postMessage(message: unknown): void };
    const original = proto.postMessage;
    proto.postMessage = function (this: Worker, message: unknown) {
      posted.push(message);
      original.call(this, message);
    };
    let results: Array<{ changed: boolean }> = [];
    try {
      results = await Promise.all(keys.map((key) => unsubscribe(key)));
    } finally {
      proto.postMessage = original;
    }
    expect(results.map((r) => r.changed)).to.deep.equal(keys.map(() => true));
    // The six steps in one message (BEGIN queued ahead of the first), then COMMIT.
    expect(posted.map((m) => (Array.isArray(m) ? m.length : 1))).to.deep.equal([6, 1]);
    for (const key of keys) expect((await stored(key)).history).to.equal(1);
  });

  it('a unit of several messages between steps: the held steps go first, in order', async () => {
    const [a, b, c] = await addresses('mixed', 3);
    const results = await Promise.all([
      unsubscribe(a!, 3000),
      // Not a step: its statements wait for their answers, so the step before it is posted.
      uow.write(async (r) => {
        const before = await r.emailStatus.get(a!);
        await r.leads.unsubscribeAddressOnce(linkStatus(b!, 3001), linkPropagation);
        return before?.unsubscribed ?? false;
      }),
      unsubscribe(c!, 3002),
      unsubscribe(b!, 3003),
    ]);
    expect(results[0]).to.include({ changed: true });
    // The plain unit saw the step posted before it.
    expect(results[1]).to.equal(true);
    expect(results[2]).to.include({ changed: true });
    expect(results[3]).to.deep.equal({ changed: false, people: 0, changedAt: 3001 });
    for (const key of [a!, b!, c!]) expect((await stored(key)).history).to.equal(1);
  });

  it('a unit that fails leaves no trace, and the others commit', async () => {
    const keys = await addresses('fail', 5);
    const bad = keys[2]!;
    // The people's update fails: the status and history rows before it must go too.
    await refuseWrites(k, 'UPDATE ON leads', bad);
    let results: Array<PromiseSettledResult<unknown>> = [];
    const { most } = await inFlight(async () => {
      results = await Promise.allSettled(keys.map((key) => unsubscribe(key)));
    });
    // All in flight at once: the failure was the writer thread's to undo.
    expect(most).to.equal(keys.length);
    expectRejectedAlone(results, 5, 2, 'SQLITE_CONSTRAINT_TRIGGER');
    expect(await stored(bad)).to.deep.equal({ status: null, history: 0, unsubscribed: [false] });
    for (const key of keys.filter((key) => key !== bad))
      expect((await stored(key)).history).to.equal(1);
  });

  it('a COMMIT that fails fails every unit of the group, and stores nothing', async () => {
    const keys = await addresses('commit', 4);
    // A deferred foreign key broken by one unit: checked, and refused, at COMMIT.
    await k.raw(
      'CREATE TABLE step_deferred (lead_id INTEGER REFERENCES leads(id) DEFERRABLE INITIALLY DEFERRED)',
    );
    await k.raw(
      `CREATE TRIGGER break_at_commit AFTER INSERT ON email_status_history
       WHEN NEW.email_key = '${keys[1]!}' BEGIN INSERT INTO step_deferred VALUES (-1); END`,
    );
    let results: Array<PromiseSettledResult<unknown>> = [];
    const { most } = await inFlight(async () => {
      results = await Promise.allSettled(keys.map((key) => unsubscribe(key)));
    });
    expect(most).to.equal(keys.length);
    for (const r of results) {
      expect(r.status).to.equal('rejected');
      const code = ((r as PromiseRejectedResult).reason as { code?: string }).code;
      expect(code).to.equal('SQLITE_CONSTRAINT_FOREIGNKEY');
    }
    for (const key of keys)
      expect(await stored(key)).to.deep.equal({ status: null, history: 0, unsubscribed: [false] });
  });

  it('two one-clicks of one address in a group: one change, one history row', async () => {
    const [key] = await addresses('twice', 1);
    const others = await addresses('beside', 2);
    let results: Array<{ changed: boolean; people: number; changedAt: number }> = [];
    const { most } = await inFlight(async () => {
      results = await Promise.all([
        unsubscribe(key!, 2000),
        unsubscribe(others[0]!),
        unsubscribe(key!, 2001),
        unsubscribe(others[1]!),
      ]);
    });
    // The second was posted before the first was answered: the thread's order decided.
    expect(most).to.equal(4);
    expect(results[0]).to.deep.equal({ changed: true, people: 1, changedAt: 2000 });
    // The second saw the first's status, in the same transaction.
    expect(results[2]).to.deep.equal({ changed: false, people: 0, changedAt: 2000 });
    expect((await stored(key!)).history).to.equal(1);
  });

  it('refuses a second statement from a one-step unit, and stores none of it', async () => {
    const [a, b, c] = await addresses('second', 3);
    const twice = uow.writeStep(async (r) => {
      await r.leads.unsubscribeAddressOnce(linkStatus(a!, 3000), linkPropagation);
      return r.leads.unsubscribeAddressOnce(linkStatus(b!, 3000), linkPropagation);
    });
    const beside = unsubscribe(c!);
    const [first, second] = await Promise.allSettled([twice, beside]);
    expect(first.status).to.equal('rejected');
    expect(String((first as PromiseRejectedResult).reason)).to.match(/one-step unit/);
    // The group was rolled back for it; the other unit ran again, in a group of its own.
    expect(second.status).to.equal('fulfilled');
    expect((await stored(a!)).history).to.equal(0);
    expect((await stored(b!)).history).to.equal(0);
    expect((await stored(c!)).history).to.equal(1);
  });

  it('the connection refuses other statements while a step is open, and a second one', async () => {
    const pool = threadPool(k);
    const connection = await pool.acquireConnection();
    try {
      await connection.run('BEGIN', []);
      const step = connection.openStep();
      expect(await refusal(connection.run('SELECT 1 AS one', []))).to.match(/outside its step/);
      expect(() => connection.queue('SELECT 1', [])).to.throw(/outside its step/);
      const answer = await step.run('SELECT 2 AS two', []);
      expect(answer).to.deep.equal({ rows: [{ two: 2 }] });
      expect(await refusal(step.run('SELECT 3 AS three', []))).to.match(/one-step unit/);
      expect(() => step.queue('SELECT 3', [])).to.throw(/one-step unit/);
      // Sent: the connection takes statements again.
      await connection.run('ROLLBACK', []);
    } finally {
      await pool.releaseConnection(connection);
    }
  });

  it('after a step that found no transaction, runs nothing until ROLLBACK or BEGIN', async () => {
    const pool = threadPool(k);
    const connection = await pool.acquireConnection();
    const count = async () =>
      ((await connection.run('SELECT count(*) AS n FROM step_lost', [])) as { rows: unknown[] })
        .rows;
    try {
      await connection.run('CREATE TABLE step_lost (x INTEGER)', []);
      // As when the transaction's BEGIN, sent with the step, failed (SQLITE_BUSY): what is
      // posted behind the step must not run on its own, outside any transaction.
      const step = connection.openStep();
      expect(await refusal(step.run('INSERT INTO step_lost VALUES (1)', []))).to.match(
        /no transaction open/,
      );
      connection.queue('SAVEPOINT group_unit', []);
      expect(await refusal(connection.run('INSERT INTO step_lost VALUES (2)', []))).to.match(
        /the transaction ended under an earlier unit/,
      );
      expect(await refusal(connection.run('RELEASE group_unit', []))).to.match(/earlier unit/);
      await connection.run('ROLLBACK', []);
      expect(await count()).to.deep.equal([{ n: 0 }]);
    } finally {
      await pool.releaseConnection(connection);
    }
  });
});
