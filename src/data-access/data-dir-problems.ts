import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';

// Why DATA_DIR cannot take a write, by the code of the failure (the file system's, or SQLite's),
// in words an operator acts on.
const WHY: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'a file would grow past the size this process may write (ulimit -f)',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied for this user',
  EPERM: 'permission denied for this user',
  ENOENT: 'no directory can be made there',
  ENOTDIR: 'a part of its path is a file, not a directory',
  SQLITE_FULL: 'the disk is full',
  SQLITE_READONLY: 'the database is read-only (a read-only file system, or file)',
  SQLITE_CANTOPEN: 'the database file cannot be opened',
  SQLITE_IOERR:
    'the database cannot be written (disk I/O error: a full disk, a file size limit, a failing disk)',
};

/**
 * A file that is not an SQLite database, or one whose pages are damaged (a disk that lost
 * writes, a copy taken while it was written without the WAL, a file overwritten by hand).
 */
const DAMAGED = ['SQLITE_CORRUPT', 'SQLITE_NOTADB'];

/**
 * One line naming DATA_DIR for a write the embedded database's directory refused (a full disk,
 * a read-only file system, a file size limit), instead of the failure's stack trace; null when
 * `error` is something else.
 */
export function dataDirWriteProblem(dataDir: string, error: unknown): ConfigError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (DAMAGED.some((family) => code === family || code.startsWith(`${family}_`)))
    return new ConfigError(
      `DATA_DIR: the database in ${dataDir} is damaged or not a database (${code}): ` +
        'restore a backup (durable-unsubscribe restore FILE; docs/operations.md, Restoring)',
    );
  const why = writeRefusedWhy(error);
  if (!why) return null;
  // A file of the directory, there already, that refused while the directory may take writes
  // (a database file made read-only, or owned by another user): named, or the operator looks at the
  // directory's permissions, which are right.
  const file = (error as { path?: unknown }).path;
  const inDir =
    (code === 'EACCES' || code === 'EPERM') &&
    typeof file === 'string' &&
    dataDir !== ':memory:' &&
    path.dirname(file) === dataDir &&
    fs.existsSync(file)
      ? `, on ${path.basename(file)}`
      : '';
  return new ConfigError(`DATA_DIR: cannot write in ${dataDir}: ${why}${inDir} (${code})`);
}

/**
 * Why a write was refused (a full disk, a read-only file system, no permission…), in words an
 * operator acts on; null for another failure.
 */
export function writeRefusedWhy(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  // SQLite's extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, …) by their family.
  return WHY[code] ?? WHY[code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1')] ?? null;
}

/**
 * One line for a write that waited SQLITE_BUSY_TIMEOUT_MS for the file's write lock, which
 * another process (the service's writes, another command) kept all that time, instead of the
 * statement's stack trace or a bare "Database unavailable"; null when `error` (or its cause,
 * what a unit of work wraps it in) is something else. The transaction that waited stored
 * nothing.
 */
export function lockWaitProblem(error: unknown, busyTimeoutMs: number): AppError | null {
  let at: unknown = error;
  for (let depth = 0; depth < 4 && at instanceof Error; depth++) {
    const code = (at as { code?: unknown }).code;
    // Exactly SQLITE_BUSY: what a write that waited out the busy timeout fails with (a WAL
    // being recovered, SQLITE_BUSY_RECOVERY, is another matter).
    if (code === 'SQLITE_BUSY')
      return new AppError(
        ErrorCode.DATABASE_UNAVAILABLE,
        `the database stayed locked by another process's write (the service, another command) ` +
          `longer than SQLITE_BUSY_TIMEOUT_MS (${busyTimeoutMs} ms)`,
        { cause: error },
      );
    at = (at as { cause?: unknown }).cause;
  }
  return null;
}
