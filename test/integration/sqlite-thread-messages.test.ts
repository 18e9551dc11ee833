import path from 'node:path';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import sinon from 'sinon';
import { openDatabase, SQLITE_FILE_NAME, type Database } from '../../src/data-access/database.js';
import {
  fixedSql,
  queueCalls,
  queueStatement,
  runIfRow,
  runStatement,
  runUnless,
} from '../../src/data-access/sql/statement.js';
import { migrateLatest } from '../../src/data-access/migrator.js';
import { isRetryable } from '../../src/data-access/database-errors.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import {
  SQLITE_THREAD_EXITED,
  type SqliteThreadConnection,
} from '../../src/data-access/sqlite-thread/connection.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { createServices } from '../../src/compose.js';
import { SLOW_QUERY } from '../support/slow-query.js';
import { sqlitePerTest } from '../support/database.js';
import { failure, newLeadAt } from '../support/records.js';
import { threadPool } from '../support/sqlite-pool.js';

/**
 * Statements whose answer nobody waits for (BEGIN, SAVEPOINT, queueStatement) go to the SQLite
 * thread with the next statement that is answered: what fails among them must fail the
 * transaction exactly as if it had been awaited, and leave nothing of it stored.
 */

const INSERT_OPERATOR = fixedSql(
  'INSERT INTO operators (name, password_hash, created_at) VALUES (?, ?, ?)',
);
const COUNT_OPERATORS = fixedSql('SELECT count(*) AS n FROM operators');
const operator = (name: string) => [name, 'x', 1];

/** `scenario` on an in-process (in-memory) database holding the operator 'taken', as `db`. */
async function inProcess<T>(scenario: (on: Database) => Promise<T>): Promise<T> {
  const on = openDatabase({
    databaseUrl: '',
    dataDir: ':memory:',
    sqliteBusyTimeoutMs: 1000,
    dbPoolMax: 1,
  });
  try {
    await migrateLatest(on);
    await on.knex('operators').insert({ name: 'taken', password_hash: 'x', created_at: 1 });
    return await scenario(on);
  } finally {
    await on.close();
  }
}

describe('SQLite thread messages', function () {
  this.timeout(60000);
  let db: Database;
  let dataDir: string;

  afterEach(() => sinon.restore());
  sqlitePerTest(async (made) => {
    ({ db, dataDir } = made);
    await db.knex('operators').insert({ name: 'taken', password_hash: 'x', created_at: 1 });
  });

  const names = async () =>
    ((await db.knex('operators').select('name').orderBy('name')) as Array<{ name: string }>).map(
      (r) => r.name,
    );

  it('sends BEGIN, queued writes and the statement answered next as one message', async () => {
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const count = await db.knex.transaction(async (trx) => {
      await queueStatement(trx, INSERT_OPERATOR, operator('a'));
      await queueStatement(trx, INSERT_OPERATOR, operator('b'));
      return (await runStatement(trx, COUNT_OPERATORS, [])).rows[0]!.n;
    });
    // The queued inserts ran, in order, before the statement that was answered.
    expect(count).to.equal(3);
    // BEGIN + two inserts + the count, then COMMIT: two messages instead of five.
    expect(posted.callCount).to.equal(2);
    expect(await names()).to.deep.equal(['a', 'b', 'taken']);
  });

  it('queued writes whose count is wanted go with the next statement; the count comes with its answer', async () => {
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const seen: string[] = [];
    const result = await db.knex.transaction(async (trx) => {
      const { changes } = await queueCalls(trx, [
        [INSERT_OPERATOR, operator('a')],
        [fixedSql("UPDATE operators SET password_hash = 'y'"), []],
      ]);
      void changes.then(() => seen.push('changes'));
      await new Promise((resolve) => setImmediate(resolve));
      seen.push('before the next statement');
      const n = (await runStatement(trx, COUNT_OPERATORS, [])).rows[0]!.n;
      return { n, changes: await changes };
    });
    // The UPDATE ran after the insert and before the count: two rows, both changed.
    expect(result).to.deep.equal({ n: 2, changes: 2 });
    expect(seen).to.deep.equal(['before the next statement', 'changes']);
    // BEGIN, the insert, the update and the count, then COMMIT.
    expect(posted.callCount).to.equal(2);
  });

  it('a queued counted write that fails fails the next statement; its count never comes', async () => {
    let told = false;
    const error = await failure(
      db.knex.transaction(async (trx) => {
        const { changes } = await queueCalls(trx, [
          [INSERT_OPERATOR, operator('a')],
          [INSERT_OPERATOR, operator('taken')],
        ]);
        void changes.then(() => (told = true));
        await runStatement(trx, COUNT_OPERATORS, []);
      }),
    );
    expect(error.code).to.equal('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(told).to.equal(false);
    expect(await names()).to.deep.equal(['taken']);
  });

  it('a batch by address is three messages: its reads to a reader, its check and writes with BEGIN, then COMMIT', async () => {
    const services = createServices(db, { customFields: [], defaultPartition: 'Default' }, {});
    const web = ChangePaths.webService();
    const people = (name: string) =>
      Array.from({ length: 300 }, (_, p) => ({
        email: `p${p}@batch.example`,
        attributes: [{ name: 'FirstName', value: `${name}${p}` }],
      }));
    await services.leads.syncMany(people('A'), { path: web });
    await services.leads.setUnsubscribed(1, true, web);
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const results = await services.leads.syncMany(people('B'), { path: web });
    // To a reader thread: the address counts, the people, their statuses and the highest id
    // and change_seq. To the writer: BEGIN, the check that none of it moved, the UPDATE and
    // the activities (batch-checked.ts); then COMMIT.
    expect(posted.callCount).to.equal(3);
    const sent = posted.getCalls().map((c) => c.args[0] as { sql: string; unless?: unknown });
    expect(sent[0]!.unless).to.equal(undefined);
    expect(sent[1]!.unless).to.not.equal(undefined);
    expect(sent[2]!.sql).to.match(/^COMMIT/i);
    expect(results.map((r) => (r as { status: string }).status)).to.deep.equal(
      Array<string>(300).fill('UPDATED'),
    );
    const rows = (await db
      .knex('leads')
      .select('id', 'first_name', 'unsubscribed', 'change_seq')
      .orderBy('id')) as Array<{
      id: number;
      first_name: string;
      unsubscribed: number;
      change_seq: number;
    }>;
    expect(rows.map((r) => r.first_name)).to.deep.equal(
      people('B').map((p) => p.attributes[0]!.value),
    );
    // The unsubscribed address's status was read with the people: its person stays so.
    expect(rows.map((r) => r.unsubscribed)).to.deep.equal([1, ...Array<number>(299).fill(0)]);
    // Each change took the next change_seq above the highest before the batch, in order.
    const seqs = rows.map((r) => r.change_seq);
    expect(seqs.slice(1).every((v, i) => v === seqs[i]! + 1)).to.equal(true);
    expect(await db.knex('activities').where('new_value', 'B7').count({ n: '*' })).to.deep.equal([
      { n: 1 },
    ]);
  });

  it("a person's unsubscribe sends its master status and propagation with its own update, and counts who followed", async () => {
    const followed: number[] = [];
    const services = createServices(
      db,
      { customFields: [], defaultPartition: 'Default' },
      { onPropagation: (people) => followed.push(people) },
    );
    const web = ChangePaths.webService();
    const results = await services.leads.syncMany(
      Array.from({ length: 4 }, (_, p) => ({
        email: 'shared@x.example',
        attributes: [{ name: 'FirstName', value: `P${p}` }],
      })),
      { path: web, matchByEmail: false },
    );
    const id = (results[0] as { leadId: number }).leadId;
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    await services.leads.setUnsubscribed(id, true, web);
    // The lead's read (a reader thread); then one guarded step: BEGIN, the check of that
    // read, the status, its history, the propagation, the lead's update and its activity;
    // COMMIT.
    expect(posted.callCount).to.equal(3);
    expect(followed).to.deep.equal([3]);
    const leads = await db
      .knex('leads')
      .where('email_key', 'shared@x.example')
      .pluck('unsubscribed');
    expect(leads.map(Number)).to.deep.equal([1, 1, 1, 1]);
  });

  it("a queued write's error fails the next statement with its code; nothing of the transaction is stored", async () => {
    const error = await failure(
      db.knex.transaction(async (trx) => {
        await runStatement(trx, INSERT_OPERATOR, operator('before'));
        await queueStatement(trx, INSERT_OPERATOR, operator('taken'));
        await runStatement(trx, COUNT_OPERATORS, []);
        throw new Error('the count should have failed');
      }),
    );
    expect(error.code).to.equal('SQLITE_CONSTRAINT_PRIMARYKEY');
    // The log line names the statement that failed, not only the one that was awaited.
    expect(error.message).to.match(/sent with it: INSERT INTO operators/);
    expect(await names()).to.deep.equal(['taken']);
  });

  it('a queued write that fails with the COMMIT fails the transaction, rolls it back, and the connection goes on', async () => {
    const error = await failure(
      db.knex.transaction(async (trx) => {
        await runStatement(trx, INSERT_OPERATOR, operator('before'));
        await queueStatement(trx, INSERT_OPERATOR, operator('taken'));
      }),
    );
    expect(error.code).to.equal('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(await names()).to.deep.equal(['taken']);
    // No transaction was left open on the writer thread: the next one begins and commits.
    await db.knex.transaction((trx) => queueStatement(trx, INSERT_OPERATOR, operator('after')));
    expect(await names()).to.deep.equal(['after', 'taken']);
  });

  it('a BEGIN IMMEDIATE that meets SQLITE_BUSY fails the next statement with SQLITE_BUSY: retried, then "unavailable"', async () => {
    const other = new BetterSqlite3(path.join(dataDir, SQLITE_FILE_NAME));
    other.exec('BEGIN IMMEDIATE');
    const impatient = openDatabase({
      databaseUrl: '',
      dataDir,
      sqliteBusyTimeoutMs: 50,
      sqliteReadThreads: 0,
      dbPoolMax: 1,
    });
    try {
      const busy = await failure(
        impatient.knex.transaction((trx) => runStatement(trx, INSERT_OPERATOR, operator('a'))),
      );
      // BUSY itself, not the ROLLBACK's "no transaction is active" in its place.
      expect(busy.code).to.equal('SQLITE_BUSY');
      expect(isRetryable(busy)).to.equal(true);
      const uow = new UnitOfWork(impatient, { maxAttempts: 2 });
      const classified = await failure(
        uow.write((repos) => repos.leads.findById(1)) as Promise<unknown>,
      );
      expect(classified).to.be.instanceOf(AppError);
      expect((classified as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
      other.exec('ROLLBACK');
      // The connection that failed is fine once the lock is free.
      await impatient.knex.transaction((trx) =>
        runStatement(trx, INSERT_OPERATOR, operator('later')),
      );
      expect(await names()).to.deep.equal(['later', 'taken']);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await impatient.close();
    }
  });

  it('in a group commit, each unit whose statements all answered is one message: its RELEASE goes with the next', async () => {
    const uow = new UnitOfWork(db);
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const ids = await Promise.all(
      ['one', 'two', 'three'].map((name) =>
        uow.write((repos) => repos.leads.insert(newLeadAt(`${name}@x.example`))),
      ),
    );
    // BEGIN, SAVEPOINT, the first insert; RELEASE, SAVEPOINT, the second; …; RELEASE, COMMIT.
    expect(posted.callCount).to.equal(4);
    expect(ids).to.have.length(3);
    expect(await db.knex('leads').pluck('email').orderBy('id')).to.deep.equal([
      'one@x.example',
      'two@x.example',
      'three@x.example',
    ]);
  });

  it('in a group commit, a unit whose queued activity insert fails is undone alone', async () => {
    const uow = new UnitOfWork(db);
    const sync = (email: string, activityType: string | null) =>
      uow.write(async (repos) => {
        const leadId = await repos.leads.insert(newLeadAt(email));
        // The activity is queued: it goes with the unit's RELEASE (or the COMMIT).
        await repos.activities.insert([{ leadId, activityType: activityType!, createdAt: 1 }]);
      });
    const outcomes = await Promise.allSettled([
      sync('one@x.example', 'New Lead'),
      sync('two@x.example', null),
      sync('three@x.example', 'New Lead'),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (outcomes[1] as PromiseRejectedResult).reason as { code?: string };
    expect(refused.code).to.equal('SQLITE_CONSTRAINT_NOTNULL');
    const stored = await db.knex('leads').select('email', 'id').orderBy('id');
    expect(stored.map((r: { email: string }) => r.email)).to.deep.equal([
      'one@x.example',
      'three@x.example',
    ]);
    const logged = await db.knex('activities').pluck('lead_id').orderBy('id');
    expect(logged).to.deep.equal(stored.map((r: { id: number }) => r.id));
  });

  it('a thread that ends unexpectedly is logged once, with what happens next; a closed one is not', async () => {
    const heard: string[] = [];
    const watched = openDatabase({
      databaseUrl: '',
      dataDir,
      sqliteBusyTimeoutMs: 1000,
      sqliteReadThreads: 1,
      dbPoolMax: 1,
      onSqliteThreadExit: (message) => heard.push(message),
    });
    try {
      const pool = watched.knex.client as unknown as {
        acquireConnection(): Promise<SqliteThreadConnection>;
        releaseConnection(connection: SqliteThreadConnection): Promise<unknown>;
      };
      const writer = await pool.acquireConnection();
      const inFlight = failure(writer.run(SLOW_QUERY, []));
      await writer.kill();
      expect((await inFlight).code).to.equal(SQLITE_THREAD_EXITED);
      await pool.releaseConnection(writer);
      expect(heard).to.have.length(1);
      expect(heard[0]).to.match(/SQLite writer thread of .+ ended unexpectedly/);
      expect(heard[0]).to.match(/1 call\(s\) in flight failed .*a new thread replaces it/);
      // The new thread serves the next call; the reader threads come and go unheard.
      expect(await watched.knex.raw('SELECT 2 AS two')).to.deep.equal([{ two: 2 }]);
      expect(await watched.readKnex.raw('SELECT 3 AS three')).to.deep.equal([{ three: 3 }]);
    } finally {
      await watched.close();
    }
    expect(heard).to.have.length(1);
  });

  describe('runUnless: a check and the write it decides', () => {
    const STATUS = fixedSql(
      'SELECT unsubscribed, changed_at FROM email_status WHERE email_key = ?',
    );

    /** The same check-and-write on `on`: what each call gave, and the operators stored. */
    async function scenario(on: Database) {
      await on.knex('email_status').insert([
        { email_key: 'out@x.example', unsubscribed: true, source: 's', changed_at: 5 },
        { email_key: 'in@x.example', unsubscribed: false, source: 's', changed_at: 6 },
      ]);
      const write = (key: string, name: string) =>
        on.knex.transaction((trx) =>
          runUnless(trx, [STATUS, [key]], 'unsubscribed', [
            [INSERT_OPERATOR, operator(`${name}-1`)],
            [INSERT_OPERATOR, operator(`${name}-2`)],
          ]),
        );
      const given = [
        await write('out@x.example', 'skipped'),
        await write('in@x.example', 'subscribed'),
        await write('none@x.example', 'unknown'),
      ];
      const stored = await on.knex('operators').pluck('name').orderBy('name');
      return { given, stored };
    }

    it('writes unless the flag is set, in one message on the thread, as in one process', async () => {
      const posted = sinon.spy(Worker.prototype, 'postMessage');
      const threaded = await scenario(db);
      // The setup's insert; three times BEGIN with the check and its write, then COMMIT; the
      // final read.
      expect(posted.callCount).to.equal(1 + 3 * 2 + 1);
      expect(await inProcess(scenario)).to.deep.equal(threaded);
      expect(threaded.given).to.deep.equal([
        { rows: [{ unsubscribed: 1, changed_at: 5 }], thenChanges: null },
        { rows: [{ unsubscribed: 0, changed_at: 6 }], thenChanges: 1 },
        { rows: [], thenChanges: 1 },
      ]);
      expect(threaded.stored).to.deep.equal([
        'subscribed-1',
        'subscribed-2',
        'taken',
        'unknown-1',
        'unknown-2',
      ]);
    });

    it('a write that fails fails the transaction with its code and stores nothing of it', async () => {
      const error = await failure(
        db.knex.transaction((trx) =>
          runUnless(trx, [STATUS, ['none@x.example']], 'unsubscribed', [
            [INSERT_OPERATOR, operator('first')],
            [INSERT_OPERATOR, operator('taken')],
          ]),
        ),
      );
      expect(error.code).to.equal('SQLITE_CONSTRAINT_PRIMARYKEY');
      expect(await names()).to.deep.equal(['taken']);
    });
  });

  describe('runIfRow: a write and the logs of what it wrote', () => {
    const TOUCH = fixedSql(
      "UPDATE operators SET password_hash = 'y' WHERE name = ? RETURNING name, password_hash",
    );
    const touch = (on: Database, name: string, logged: string) =>
      on.knex.transaction((trx) =>
        runIfRow(trx, [TOUCH, [name]], [[INSERT_OPERATOR, operator(logged)]]),
      );

    /** The same writes on `on`: what each gave, and the operators stored. */
    async function scenario(on: Database) {
      const given = [
        await touch(on, 'taken', 'taken-logged'),
        await touch(on, 'nobody', 'nobody-logged'),
      ];
      const stored = await on.knex('operators').select('name', 'password_hash').orderBy('name');
      return { given, stored };
    }

    it("logs only when the write gave a row, in the write's message on the thread, as in one process", async () => {
      const posted = sinon.spy(Worker.prototype, 'postMessage');
      const threaded = await scenario(db);
      // Twice BEGIN with the write and its log, then COMMIT; the final read.
      expect(posted.callCount).to.equal(2 * 2 + 1);
      expect(await inProcess(scenario)).to.deep.equal(threaded);
      expect(threaded.given).to.deep.equal([
        { rows: [{ name: 'taken', password_hash: 'y' }], changes: 1 },
        { rows: [], changes: 0 },
      ]);
      expect(threaded.stored).to.deep.equal([
        { name: 'taken', password_hash: 'y' },
        { name: 'taken-logged', password_hash: 'x' },
      ]);
    });

    it('the log goes with the write: nothing is left queued for the next statement', async () => {
      const queued = await db.knex.transaction(async (trx) => {
        await runIfRow(trx, [TOUCH, ['taken']], [[INSERT_OPERATOR, operator('taken-logged')]]);
        return (await threadPool(trx).acquireConnection()).hasQueued;
      });
      expect(queued).to.equal(false);
      expect(await names()).to.deep.equal(['taken', 'taken-logged']);
    });

    it('a log that fails fails the write with its code and stores nothing of either', async () => {
      const error = await failure(touch(db, 'taken', 'taken'));
      expect(error.code).to.equal('SQLITE_CONSTRAINT_PRIMARYKEY');
      expect(await db.knex('operators').select('name', 'password_hash')).to.deep.equal([
        { name: 'taken', password_hash: 'x' },
      ]);
    });
  });
});
