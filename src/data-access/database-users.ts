import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/** The file an instance serving an SQLite DATA_DIR holds locked for its life. */
export const CLAIM_FILE_NAME = 'serve.lock';

/** `file` with its directory's symbolic links resolved, as /proc names what a process holds. */
function realFile(file: string): string {
  const resolved = path.resolve(file);
  try {
    return path.join(fs.realpathSync(path.dirname(resolved)), path.basename(resolved));
  } catch {
    return resolved;
  }
}

/** Other processes of this machine holding `file` open (found through /proc; Linux). */
export function processesHolding(file: string): number[] {
  const real = realFile(file);
  const wanted = new Set([real, `${real}-wal`, `${real}-shm`]);
  const found: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's process
    }
    for (const fd of fds) {
      try {
        if (wanted.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))) {
          found.push(Number(pid));
          break;
        }
      } catch {
        // closed meanwhile
      }
    }
  }
  return found;
}

/**
 * Whether an instance serves `dataDir`: its claim (serve.lock, SQLite's exclusive lock) is
 * held. Unlike /proc, the lock is seen across containers sharing the directory, other users'
 * processes and symbolic links. Takes the lock for a moment and lets it go; claims nothing.
 */
export function dataDirServed(dataDir: string): boolean {
  const file = path.join(path.resolve(dataDir), CLAIM_FILE_NAME);
  if (!fs.existsSync(file)) return false;
  let lock: BetterSqlite3.Database | undefined;
  try {
    lock = new BetterSqlite3(file, { fileMustExist: true });
    lock.pragma('busy_timeout = 0');
    lock.pragma('journal_mode = MEMORY');
    lock.exec('BEGIN EXCLUSIVE');
    lock.exec('ROLLBACK');
    return false;
  } catch (error) {
    return String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY');
  } finally {
    lock?.close();
  }
}

/**
 * Who uses the SQLite database in `dataDir` (its file `file`), for the commands that must not
 * run beside a service (restore, migrate rollback): the processes seen holding it, and whether
 * an instance serves the directory where no process can be seen (another container, user).
 */
export function databaseUsers(dataDir: string, file: string): { inUse: boolean; named: string } {
  const holders = processesHolding(file);
  if (holders.length > 0) return { inUse: true, named: `open in process ${holders.join(', ')}` };
  if (dataDirServed(dataDir))
    return { inUse: true, named: `served by an instance (${CLAIM_FILE_NAME} is held)` };
  return { inUse: false, named: '' };
}
