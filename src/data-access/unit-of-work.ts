import crypto from 'node:crypto';
import path from 'node:path';
import type { Knex } from 'knex';
import { AppError, ErrorCode } from '../errors.js';
import { ActivityRepository } from './activity.repository.js';
import { BatchMoved, BatchSession, type BatchScope } from './batch-session.js';
import type { Database, Engine } from './database.js';
import { EmailStatusRepository } from './email-status.repository.js';
import { LeadRepository } from './lead.repository.js';
import { SalesforceNotificationRepository } from './salesforce-notification.repository.js';

/** The repositories of one transaction (or of plain reads), plus the address locks. */
export interface Repositories {
  readonly engine: Engine;
  readonly leads: LeadRepository;
  readonly emailStatus: EmailStatusRepository;
  readonly activities: ActivityRepository;
  readonly salesforceNotifications: SalesforceNotificationRepository;
  /**
   * Serialises writers of the same addresses until the transaction ends. Keys are locked in
   * one global order, so two transactions that need the same pair of keys cannot deadlock.
   */
  lockEmailKeys(keys: ReadonlyArray<string | null>): Promise<void>;
  /**
   * Loads (and locks) everything a batch of lead changes can touch and hands back
   * repositories over that memory; its `complete` writes the batch set-based. Transactions only.
   */
  openBatch(scope: BatchScope): Promise<BatchSession>;
}

/** Thrown inside a transaction when what was read before locking changed; the work is redone. */
export class RetryTransaction extends Error {
  override name = 'RetryTransaction';
}

function lockId(key: string): bigint {
  return crypto.createHash('sha256').update(key).digest().readBigInt64BE(0);
}

function repositories(
  db: Knex | Knex.Transaction,
  engine: Engine,
  transaction: Knex.Transaction | null = null,
): Repositories {
  // Locks already held by this transaction: taking one again would only cost a round trip.
  const held = new Set<bigint>();
  const lockEmailKeys = async (keys: ReadonlyArray<string | null>) => {
    // SQLite: BEGIN IMMEDIATE already gave this transaction the only write lock.
    if (engine !== 'postgres') return;
    const ids = [...new Set(keys.filter((k): k is string => k !== null).map(lockId))]
      .filter((id) => !held.has(id))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (ids.length === 0) return;
    // One statement however many keys: unnest yields the sorted array in order, so the locks
    // are still taken in the global order.
    await db.raw('SELECT pg_advisory_xact_lock(k) FROM unnest(?::bigint[]) AS k', [
      `{${ids.join(',')}}`,
    ]);
    for (const id of ids) held.add(id);
  };
  return {
    engine,
    leads: new LeadRepository(db, engine),
    emailStatus: new EmailStatusRepository(db, engine),
    activities: new ActivityRepository(db),
    salesforceNotifications: new SalesforceNotificationRepository(db, engine),
    lockEmailKeys,
    async openBatch(scope) {
      if (!transaction) throw new Error('openBatch needs a transaction');
      try {
        return await BatchSession.open(transaction, engine, scope, lockEmailKeys);
      } catch (error) {
        if (error instanceof BatchMoved) throw new RetryTransaction();
        throw error;
      }
    },
  };
}

// 23505: two writers created the same foreign id at once; the redo finds the winner's lead.
const RETRYABLE_PG = new Set(['40001', '40P01', '23505']);
const UNAVAILABLE_PG_CLASSES = ['08', '57', '53'];
const UNAVAILABLE_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof RetryTransaction || error instanceof BatchMoved) return true;
  const code = errorCode(error);
  return (
    RETRYABLE_PG.has(code) || code.startsWith('SQLITE_BUSY') || code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/** Turns "the database is not there" into a typed error; everything else passes unchanged. */
export function classifyDatabaseError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : '';
  const unavailable =
    UNAVAILABLE_NODE.has(code) ||
    UNAVAILABLE_PG_CLASSES.some((c) => code.startsWith(c)) ||
    code.startsWith('SQLITE_BUSY') ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_IOERR' ||
    /Timeout acquiring a connection|Unable to acquire a connection|Connection terminated|pool is probably full|database .* does not exist/i.test(
      message,
    );
  if (unavailable) {
    return new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'Database unavailable', { cause: error });
  }
  return error;
}

/**
 * better-sqlite3 waits for a locked file synchronously, blocking the event loop: a second
 * Database object of this process on the same file would stall the transaction holding the
 * lock for the whole busy timeout, then fail. Write transactions on one file queue here, one
 * at a time per process; other processes still wait for the lock through the busy timeout.
 */
const sqliteWriters = new Map<string, Promise<void>>();

async function queueSqliteWriter<T>(database: Database, run: () => Promise<T>): Promise<T> {
  if (database.engine !== 'sqlite' || database.location === ':memory:') return run();
  const file = path.resolve(database.location);
  const previous = sqliteWriters.get(file) ?? Promise.resolve();
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => done);
  sqliteWriters.set(file, tail);
  await previous;
  try {
    return await run();
  } finally {
    release();
    if (sqliteWriters.get(file) === tail) sqliteWriters.delete(file);
  }
}

export interface UnitOfWorkOptions {
  maxAttempts?: number;
}

/** Runs domain work in transactions, retrying the ones the database asks us to redo. */
export class UnitOfWork {
  private readonly maxAttempts: number;

  constructor(
    private readonly database: Database,
    options: UnitOfWorkOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 8;
  }

  get engine(): Engine {
    return this.database.engine;
  }

  /** One transaction; the whole function is re-run on deadlock, serialisation failure or busy. */
  async write<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await queueSqliteWriter(this.database, () =>
          this.database.knex.transaction((trx) =>
            work(repositories(trx, this.database.engine, trx)),
          ),
        );
      } catch (error) {
        if (attempt < this.maxAttempts && isRetryable(error)) {
          await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** attempt));
          continue;
        }
        throw classifyDatabaseError(error);
      }
    }
  }

  /** Reads outside a transaction (each statement sees committed data). */
  async read<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    try {
      return await work(repositories(this.database.knex, this.database.engine));
    } catch (error) {
      throw classifyDatabaseError(error);
    }
  }
}
