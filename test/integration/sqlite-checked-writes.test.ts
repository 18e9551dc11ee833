import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import sinon from 'sinon';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { fixedSql, runIfRow, runUnless } from '../../src/data-access/sql/statement.js';
import { migrateLatest } from '../../src/data-access/migrator.js';
import { failure } from '../support/records.js';
import { threadPool } from '../support/sqlite-pool.js';
import {
  INSERT_OPERATOR,
  operator,
  operatorNames,
  sqliteWithTakenOperator,
} from '../support/sqlite-messages.js';

/**
 * A check or a write and the writes it decides go to the SQLite thread as one message: they
 * must give what they give in one process, and a failure among them must store nothing.
 */

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

describe('SQLite thread messages: checked writes', function () {
  this.timeout(60000);
  let db: Database;

  afterEach(() => sinon.restore());
  sqliteWithTakenOperator((made) => ({ db } = made));
  const names = () => operatorNames(db);

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
