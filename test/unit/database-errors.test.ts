import net from 'node:net';
import { expect } from 'chai';
import knexFactory from 'knex';
import pg from 'pg';
import { openDatabase } from '../../src/data-access/database.js';
import { classifyDatabaseError } from '../../src/data-access/database-errors.js';
import { AppError, ErrorCode, isAppError } from '../../src/errors.js';

/** Errors of a PostgreSQL connection that broke: the statement's outcome is unknown. */
const BROKEN = [
  // pg, when the socket failed before the statement (a killed server, a failover).
  'COMMIT; - Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection terminated unexpectedly',
  'Connection ended unexpectedly',
];

describe('database errors', () => {
  for (const message of BROKEN) {
    it(`"${message}" is "database unavailable" (20011), never a success or an internal error`, () => {
      const classified = classifyDatabaseError(new Error(message));
      expect(classified).to.be.instanceOf(AppError);
      expect((classified as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    });
  }

  it('PgBouncer refusing for want of a server (SQLSTATE 08P01) is "database unavailable"', () => {
    const error = Object.assign(new Error('query_wait_timeout'), { code: '08P01' });
    expect((classifyDatabaseError(error) as AppError).code).to.equal(
      ErrorCode.DATABASE_UNAVAILABLE,
    );
  });

  it('a write refused by a server in recovery (SQLSTATE 25006) is "database unavailable", not an internal error', () => {
    const error = Object.assign(new Error('cannot execute INSERT in a read-only transaction'), {
      code: '25006',
    });
    expect((classifyDatabaseError(error) as AppError).code).to.equal(
      ErrorCode.DATABASE_UNAVAILABLE,
    );
    // The rest of class 25 (a bug of the service's own transactions) is not.
    const other = Object.assign(new Error('there is no transaction in progress'), {
      code: '25P01',
    });
    expect(classifyDatabaseError(other)).to.equal(other);
  });

  // better-sqlite3 reports SQLite's extended codes: a full disk met by a write or an fsync was an
  // internal error (fault 20010) instead of "database unavailable".
  for (const code of [
    'SQLITE_FULL',
    'SQLITE_IOERR',
    'SQLITE_IOERR_WRITE',
    'SQLITE_IOERR_FSYNC',
    'SQLITE_IOERR_SHORT_READ',
    'SQLITE_CANTOPEN_ISDIR',
    // A disk remounted read-only under the running service (an I/O error the kernel met).
    'SQLITE_READONLY',
    'SQLITE_READONLY_DBMOVED',
    // A damaged file: its pages cannot be read.
    'SQLITE_CORRUPT',
    'SQLITE_CORRUPT_INDEX',
    'SQLITE_NOTADB',
  ])
    it(`SQLite's ${code} (a full, failing, read-only disk or a damaged file) is "database unavailable" (20011)`, () => {
      const error = Object.assign(new Error('disk I/O error'), { code });
      expect((classifyDatabaseError(error) as AppError).code).to.equal(
        ErrorCode.DATABASE_UNAVAILABLE,
      );
    });

  it('other SQLite errors pass unchanged (a family is matched whole, not a name that starts alike)', () => {
    for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR', 'SQLITE_FULLY_MADE_UP']) {
      const error = Object.assign(new Error('x'), { code });
      expect(classifyDatabaseError(error), code).to.equal(error);
    }
  });

  // PostgreSQL reached through its Unix socket (?host=/var/run/postgresql): while it is stopped
  // its socket file is gone, and pg's connect fails with ENOENT, an internal error until now.
  it('a Unix socket that is not there (a stopped server) is "database unavailable"', async () => {
    const client = new pg.Client({ host: '/nonexistent-du-socket-dir', user: 'du' });
    const error = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).to.equal('ENOENT');
    expect((classifyDatabaseError(error) as AppError).code).to.equal(
      ErrorCode.DATABASE_UNAVAILABLE,
    );
    // A file pg reads for TLS missing is a setting to fix: not taken as a server down.
    const file = Object.assign(new Error("ENOENT: no such file, open '/ca.pem'"), {
      code: 'ENOENT',
      syscall: 'open',
    });
    expect(classifyDatabaseError(file)).to.equal(file);
  });

  it('other errors pass unchanged', () => {
    const error = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(classifyDatabaseError(error)).to.equal(error);
  });
});

describe('waiting for a database connection', () => {
  it('is answered as a concurrency limit (20024), not as the database being down', async () => {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
      pool: { min: 1, max: 1 },
      acquireConnectionTimeout: 100,
    });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const holding = knex.transaction(async () => held);
      let caught: unknown;
      try {
        await knex.raw('select 1');
      } catch (error) {
        caught = classifyDatabaseError(error);
      }
      release();
      await holding;
      expect(isAppError(caught) && caught.code).to.equal(ErrorCode.CONCURRENCY_LIMIT_EXCEEDED);
    } finally {
      await knex.destroy();
    }
  });

  it('on PostgreSQL waits DB_ACQUIRE_TIMEOUT_MS, then is answered as a concurrency limit (20024)', async function () {
    const url = process.env.DATABASE_URL;
    if (!url) return this.skip();
    // Held for 3 s: the default wait (5 s) would outlast it and the query would succeed.
    const database = openDatabase({
      databaseUrl: url,
      dataDir: '',
      sqliteBusyTimeoutMs: 0,
      dbPoolMax: 1,
      dbAcquireTimeoutMs: 200,
    });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const holding = database.knex.transaction(async () => held);
      const holdLimit = setTimeout(release, 3000);
      let caught: unknown = 'the query succeeded';
      try {
        await database.knex.raw('select 1');
      } catch (error) {
        caught = classifyDatabaseError(error);
      }
      clearTimeout(holdLimit);
      release();
      await holding;
      expect(isAppError(caught) && caught.code).to.equal(ErrorCode.CONCURRENCY_LIMIT_EXCEEDED);
      // The connection is free again: the next query gets it.
      await database.knex.raw('select 1');
    } finally {
      await database.close();
    }
  });

  it('to a PostgreSQL that never answers (a failover, a dropped route) is the database being down (20011), not 20024', async function () {
    this.timeout(30000);
    // Accepts connections and says nothing, as a host whose packets are dropped.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const database = openDatabase({
      databaseUrl: `postgres://app:secret@127.0.0.1:${port}/durable`,
      dataDir: '',
      sqliteBusyTimeoutMs: 1000,
      dbPoolMax: 2,
    });
    try {
      let caught: unknown;
      try {
        await database.knex.raw('select 1');
      } catch (error) {
        caught = classifyDatabaseError(error);
      }
      expect(isAppError(caught) && caught.code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    } finally {
      await database.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
