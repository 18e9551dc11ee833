import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { openDatabase, SQLITE_FILE_NAME, type Database } from '../../src/data-access/database.js';
import { migrateLatest, rollback, withTempFiles } from '../../src/data-access/migrator.js';
import { classifyDatabaseError, isRetryable } from '../../src/data-access/database-errors.js';
import { SQLITE_THREAD_EXITED } from '../../src/data-access/sqlite-thread/connection.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { sqlitePerTest } from '../support/database.js';
import { SLOW_QUERY } from '../support/slow-query.js';
import { failure } from '../support/records.js';
import { threadPool } from '../support/sqlite-pool.js';

describe('SQLite threads', function () {
  this.timeout(60000);
  let db: Database;
  let dataDir: string;

  sqlitePerTest((made) => ({ db, dataDir } = made));

  it('reads on a reader thread see what the writer thread just committed', async () => {
    expect(db.readKnex).to.not.equal(db.knex);
    await db.knex('operators').insert({ name: 'seen', password_hash: 'x', created_at: 1 });
    const rows = await db.readKnex('operators').select('name');
    expect(rows).to.deep.equal([{ name: 'seen' }]);
  });

  it('reader threads are read-only', async () => {
    const error = await failure(db.readKnex.raw('CREATE TABLE t (x)'));
    expect(error.code).to.equal('SQLITE_READONLY');
  });

  it('errors cross from the thread with their code, which decides retries', async () => {
    await db.knex('operators').insert({ name: 'twice', password_hash: 'x', created_at: 1 });
    const error = await failure(
      db.knex('operators').insert({ name: 'twice', password_hash: 'x', created_at: 1 }),
    );
    expect(error.code).to.equal('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(isRetryable(error)).to.equal(false);
    expect(classifyDatabaseError(error)).to.equal(error);
    const busy = await failure(db.readKnex.raw('SELECT * FROM no_such_table'));
    expect(busy.code).to.equal('SQLITE_ERROR');
  });

  it('a thread that dies fails its calls as "database unavailable", and a new one takes over', async () => {
    const pool = threadPool(db.readKnex);
    const connection = await pool.acquireConnection();
    const pending = connection.run(SLOW_QUERY, []);
    await connection.kill();
    const error = await failure(pending);
    const classified = classifyDatabaseError(error);
    expect(classified).to.be.instanceOf(AppError);
    expect((classified as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    // A call on the dead thread fails at once; the pool replaces the thread for the next one.
    expect((await failure(connection.run('SELECT 1', []))).code).to.equal(error.code);
    await pool.releaseConnection(connection);
    expect(await db.readKnex.raw('SELECT 2 AS two')).to.deep.equal([{ two: 2 }]);
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
      const pool = threadPool(watched.knex);
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

  it('the writer thread keeps the file and its WAL readable by the owner alone', async () => {
    await db.knex('operators').insert({ name: 'mode', password_hash: 'x', created_at: 1 });
    for (const f of [SQLITE_FILE_NAME, `${SQLITE_FILE_NAME}-wal`]) {
      const mode = fs.statSync(path.join(dataDir, f)).mode & 0o777;
      expect(mode.toString(8), f).to.equal('600');
    }
  });

  it('the writer keeps its savepoint journals in memory, and after migrations still does', async () => {
    // 2 = MEMORY: a group commit's savepoints journal there, not in temporary files. The
    // database was migrated (sqlitePerTest), which puts them in files for its own time.
    const pragma = async (knex: Knex) =>
      ((await knex.raw('PRAGMA temp_store')) as Array<{ temp_store: number }>)[0]!.temp_store;
    expect(await pragma(db.knex)).to.equal(2);
    await rollback(db);
    expect(await pragma(db.knex)).to.equal(2);
    await migrateLatest(db);
    expect(await pragma(db.knex)).to.equal(2);
  });

  it('migrations run with temporary journals in files, and the setting comes back after a failure', async () => {
    const pragma = async () =>
      ((await db.knex.raw('PRAGMA temp_store')) as Array<{ temp_store: number }>)[0]!.temp_store;
    expect(await withTempFiles(db, pragma)).to.equal(1);
    const err = await failure(
      withTempFiles(db, () => Promise.reject(new Error('migration failed'))),
    );
    expect(err.message).to.equal('migration failed');
    expect(await pragma()).to.equal(2);
  });

  describe('SQLITE_WAL_AUTOCHECKPOINT_PAGES', () => {
    const PAGE = 4096;
    /** Two transactions of about 300 pages each, then the size of the -wal file in pages. */
    async function walPagesAfterTwoCommits(database: Database): Promise<number> {
      await database.knex.raw('CREATE TABLE pad (x BLOB)');
      const rows = `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300)
        INSERT INTO pad SELECT randomblob(${PAGE - 200}) FROM c`;
      await database.knex.raw(rows);
      await database.knex.raw(rows);
      return fs.statSync(path.join(dataDir, `${SQLITE_FILE_NAME}-wal`)).size / PAGE;
    }

    it("is the writer connection's wal_autocheckpoint, 10,000 pages unless set", async () => {
      const value = async (database: Database) =>
        (
          (await database.knex.raw('PRAGMA wal_autocheckpoint')) as Array<{
            wal_autocheckpoint: number;
          }>
        )[0]!.wal_autocheckpoint;
      expect(await value(db)).to.equal(10000);
      // Both transactions stay in the log: nothing was copied yet.
      expect(await walPagesAfterTwoCommits(db)).to.be.above(600);
    });

    it('set lower, the COMMIT that crosses it checkpoints and the log starts again', async () => {
      await db.close();
      const small = openDatabase({
        databaseUrl: '',
        dataDir,
        sqliteBusyTimeoutMs: 1000,
        sqliteWalAutocheckpointPages: 100,
        dbPoolMax: 1,
      });
      try {
        // The first transaction's ~300 pages were copied at its COMMIT; the second wrote the
        // log again from its start.
        expect(await walPagesAfterTwoCommits(small)).to.be.within(250, 400);
      } finally {
        await small.close();
      }
    });
  });

  it('SQLITE_READ_THREADS=0 runs reads on the writer thread', async () => {
    const single = openDatabase({
      databaseUrl: '',
      dataDir,
      sqliteBusyTimeoutMs: 1000,
      sqliteReadThreads: 0,
      dbPoolMax: 1,
    });
    try {
      expect(single.readKnex).to.equal(single.knex);
      expect(await single.readKnex('operators').count({ n: '*' })).to.deep.equal([{ n: 0 }]);
    } finally {
      await single.close();
    }
  });
});
