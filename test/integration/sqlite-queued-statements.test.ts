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
  runStatement,
} from '../../src/data-access/sql/statement.js';
import { isRetryable } from '../../src/data-access/database-errors.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { failure } from '../support/records.js';
import {
  COUNT_OPERATORS,
  INSERT_OPERATOR,
  operator,
  operatorNames,
  sqliteWithTakenOperator,
} from '../support/sqlite-messages.js';

/**
 * Statements whose answer nobody waits for (BEGIN, SAVEPOINT, queueStatement) go to the SQLite
 * thread with the next statement that is answered: what fails among them must fail the
 * transaction exactly as if it had been awaited, and leave nothing of it stored.
 */

describe('SQLite thread messages: queued statements', function () {
  this.timeout(60000);
  let db: Database;
  let dataDir: string;

  afterEach(() => sinon.restore());
  sqliteWithTakenOperator((made) => ({ db, dataDir } = made));
  const names = () => operatorNames(db);

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
});
