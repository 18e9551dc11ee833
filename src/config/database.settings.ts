import path from 'node:path';
import {
  ConfigError,
  type Setting,
  databaseReadUrl,
  databaseUrl,
  integer,
  oneOf,
} from './parse.js';

/** The database: which one, where, and how it is reached. */
export const databaseSettings = {
  databaseUrl: {
    env: 'DATABASE_URL',
    default: '',
    meaning: 'PostgreSQL connection URL; empty selects the embedded SQLite database',
    parse: databaseUrl,
  },
  dataDir: {
    env: 'DATA_DIR',
    default: './data',
    meaning: 'Directory of the embedded SQLite database (`:memory:` keeps it in memory, for tests)',
    parse: (raw: string) => {
      // path.resolve('') is the working directory: a blank line in an env file would put the
      // database wherever the process happens to start (in a container, off its volume).
      if (raw.trim() === '')
        throw new ConfigError(
          'DATA_DIR is empty: leave it unset for ./data, or give the directory of the database',
        );
      return raw.trim() === ':memory:' ? ':memory:' : path.resolve(raw.trim());
    },
  },
  readyMinFreeMb: {
    env: 'READY_MIN_FREE_MB',
    default: '64',
    meaning:
      "Free space, in MiB, the volume of DATA_DIR must have for /readyz to answer ready (the embedded SQLite database: on a full volume every write fails); looked at every 5 s at most, never on a call; 0: not looked at. On PostgreSQL the server's disk is not looked at",
    parse: integer('READY_MIN_FREE_MB', 0, 1048576),
  },
  databaseReadUrl: {
    env: 'DATABASE_READ_URL',
    default: '',
    meaning:
      'Optional PostgreSQL URL of a streaming standby for read-only operations (getLead, getMultipleLeads, getLeadActivity, getLeadChanges, /admin search); empty: every read goes to DATABASE_URL',
    parse: databaseReadUrl,
  },
  databaseReadMaxLagMs: {
    env: 'DATABASE_READ_MAX_LAG_MS',
    default: '1000',
    meaning:
      'Reads go to DATABASE_READ_URL only while it has replayed everything the primary had written this many ms ago (checked every 200 ms); otherwise to the primary',
    parse: integer('DATABASE_READ_MAX_LAG_MS', 0, 3600000),
  },
  sqliteBusyTimeoutMs: {
    env: 'SQLITE_BUSY_TIMEOUT_MS',
    default: '5000',
    meaning:
      'How long an SQLite writer waits for another process holding the write lock; 0: not at all (a write that finds the lock taken is retried a few times within about a second, then fails with 20011, nothing stored), which suits one process (WORKERS=1) with no command writing beside it',
    parse: integer('SQLITE_BUSY_TIMEOUT_MS', 0, 600000),
  },
  sqliteReadThreads: {
    env: 'SQLITE_READ_THREADS',
    default: '2',
    meaning:
      'Threads with a read-only SQLite connection each for reads outside transactions (getLead, getMultipleLeads, getLeadActivity, getLeadChanges, /admin search), beside the writer thread; 0: reads run on the writer thread',
    parse: integer('SQLITE_READ_THREADS', 0, 64),
  },
  sqliteWalAutocheckpointPages: {
    env: 'SQLITE_WAL_AUTOCHECKPOINT_PAGES',
    default: '10000',
    meaning:
      'Pages (4 KiB each) the SQLite write-ahead log gathers before the writer copies them into the database file, inside the COMMIT that crosses the mark; more pages: a page written again and again is copied once, for a larger -wal file (about 40 MiB at the default)',
    parse: integer('SQLITE_WAL_AUTOCHECKPOINT_PAGES', 100, 1000000),
  },
  dbPoolMax: {
    env: 'DB_POOL_MAX',
    default: '10',
    meaning:
      'Maximum PostgreSQL connections per process (an instance opens up to WORKERS × DB_POOL_MAX)',
    parse: integer('DB_POOL_MAX', 1, 1000),
  },
  dbAcquireTimeoutMs: {
    env: 'DB_ACQUIRE_TIMEOUT_MS',
    default: '5000',
    meaning:
      'How long a call waits for a free PostgreSQL connection of its process while every one is busy, before fault 20024 (a server that does not answer fails sooner, with 20011); must be below REQUEST_TIMEOUT_MS',
    parse: integer('DB_ACQUIRE_TIMEOUT_MS', 100, 600000),
  },
  dbStatementTimeoutMs: {
    env: 'DB_STATEMENT_TIMEOUT_MS',
    default: '15000',
    meaning:
      "PostgreSQL statement_timeout of each write transaction (SET LOCAL, so it suits PgBouncer transaction pooling), and the longest a COMMIT waits for a synchronous standby (then fault 20011); plain reads run under the role default (docs/operations.md); 0: none of ours (the role's statement_timeout applies, and a COMMIT waits for a standby as long as it takes, holding its connection; its answer still comes by REQUEST_TIMEOUT_MS + COMMIT_GRACE_MS)",
    parse: integer('DB_STATEMENT_TIMEOUT_MS', 0, 3600000),
  },
  propagationLog: {
    env: 'PROPAGATION_LOG',
    default: 'followers',
    meaning:
      'How an unsubscribe or re-subscribe that reaches the other people of an address logs each of them: `followers` (one narrow row each) or `activities` (a whole activity row each, the only form earlier versions read); `activities` while an instance of an earlier version still runs (docs/operations.md, the log of a propagation)',
    parse: oneOf('PROPAGATION_LOG', ['followers', 'activities'] as const),
  },
} satisfies Record<string, Setting<unknown>>;
