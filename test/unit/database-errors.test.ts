import { expect } from 'chai';
import { classifyDatabaseError } from '../../src/data-access/database-errors.js';
import { AppError, ErrorCode } from '../../src/errors.js';

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

  it('other errors pass unchanged', () => {
    const error = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(classifyDatabaseError(error)).to.equal(error);
  });
});
