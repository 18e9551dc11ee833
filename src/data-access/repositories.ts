import type { Knex } from 'knex';
import { addressLockId, lockAddresses } from './address-lock.js';
import { ActivityRepository } from './sql/activity.repository.js';
import { BatchMoved, BatchSession, type BatchScope } from './batch/batch-session.js';
import type { Engine } from './database.js';
import { EmailStatusRepository } from './sql/email-status.repository.js';
import { LeadRepository } from './sql/lead.repository.js';
import { queueStatusAndPropagate } from './sql/lead-propagation.js';
import { runUnless, type StatementCall } from './sql/statement.js';
import { expectRead } from './sql/read-expectation.js';
import { ConsoleJobRepository } from './console-job.repository.js';
import { PeopleSelectionRepository } from './people-selection.repository.js';
import { SalesforceNotificationRepository } from './sql/salesforce-notification.repository.js';
import type {
  EmailStatusRecord,
  LeadRecord,
  LeadUpdate,
  NewActivity,
  PropagationActivity,
} from '../domain/records.js';
import { RetryTransaction, type ReadExpectation, type TransactionScope } from '../domain/ports.js';

/**
 * The repositories of one transaction (or of plain reads), plus the address locks: the SQL
 * implementation of the domain's transaction scope (domain/ports/transactions.ts).
 */
export interface Repositories extends TransactionScope {
  readonly engine: Engine;
  readonly leads: LeadRepository;
  readonly emailStatus: EmailStatusRepository;
  readonly activities: ActivityRepository;
  readonly salesforceNotifications: SalesforceNotificationRepository;
  readonly selection: PeopleSelectionRepository;
  readonly jobs: ConsoleJobRepository;
  /**
   * Loads (and locks) everything a batch of lead changes can touch and hands back a write
   * scope over that memory; its `complete` writes the batch set-based. Transactions only.
   */
  openBatch(scope: BatchScope): Promise<BatchSession>;
  /**
   * Runs `check` and, unless its row's `moved` is true, `writes` (statement.ts, runUnless: on
   * a SQLite file one message); true when they ran. A checked batch's write (batch-checked.ts).
   */
  checkedWrite(check: StatementCall, writes: readonly StatementCall[]): Promise<boolean>;
}

/**
 * Repositories on `db`. One is made for every unit of work and every read, and most use one or
 * two of its repositories (a syncLead's step: the people's, through the scope's own methods):
 * each repository is made when first asked for, and the methods are the class's, not closures
 * made per unit.
 */
class SqlRepositories implements Repositories {
  /** Address locks this transaction already holds: taking one again would cost a round trip. */
  private held: Set<bigint> | undefined;
  private leadsMade: LeadRepository | undefined;
  private statusMade: EmailStatusRepository | undefined;
  private activitiesMade: ActivityRepository | undefined;
  private notificationsMade: SalesforceNotificationRepository | undefined;
  private selectionMade: PeopleSelectionRepository | undefined;
  private jobsMade: ConsoleJobRepository | undefined;
  /**
   * Checked in the write's own message: on SQLite any unit's, on PostgreSQL a one-step unit's,
   * whose message the check heads (read-expectation.ts). Absent elsewhere (the domain reads
   * its absence: the locked path).
   */
  readonly expect?: (expected: ReadExpectation) => Promise<void>;

  constructor(
    private readonly db: Knex | Knex.Transaction,
    readonly engine: Engine,
    private readonly transaction: Knex.Transaction | null,
    step: boolean,
  ) {
    if (engine === 'sqlite') this.expect = (expected) => expectRead(db, expected);
    else if (engine === 'postgres' && step)
      this.expect = (expected) => expectRead(db, expected, true);
  }

  get leads(): LeadRepository {
    return (this.leadsMade ??= new LeadRepository(this.db, this.engine));
  }

  get emailStatus(): EmailStatusRepository {
    return (this.statusMade ??= new EmailStatusRepository(this.db, this.engine));
  }

  get activities(): ActivityRepository {
    return (this.activitiesMade ??= new ActivityRepository(this.db, this.engine));
  }

  get salesforceNotifications(): SalesforceNotificationRepository {
    return (this.notificationsMade ??= new SalesforceNotificationRepository(this.db, this.engine));
  }

  get selection(): PeopleSelectionRepository {
    return (this.selectionMade ??= new PeopleSelectionRepository(this.db));
  }

  get jobs(): ConsoleJobRepository {
    return (this.jobsMade ??= new ConsoleJobRepository(this.db));
  }

  async lockEmailKeys(keys: ReadonlyArray<string | null>): Promise<void> {
    // SQLite: BEGIN IMMEDIATE already gave this transaction the only write lock.
    if (this.engine !== 'postgres') return;
    const held = (this.held ??= new Set());
    const ids = [...new Set(keys.filter((k): k is string => k !== null).map(addressLockId))]
      .filter((id) => !held.has(id))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (ids.length === 0) return;
    await lockAddresses(this.db, ids);
    for (const id of ids) held.add(id);
  }

  async lockAndFindLatest(
    key: string,
    otherKey: string | null,
    partitions?: readonly string[],
  ): Promise<LeadRecord | null> {
    await this.lockEmailKeys([key, otherKey]);
    return this.leads.findLatestByEmailKey(key, true, partitions);
  }

  // One statement each on PostgreSQL (one round trip), two on SQLite.
  setStatusAndPropagate(
    status: EmailStatusRecord,
    exceptLeadId: number | null,
    activity: PropagationActivity,
  ): Promise<number> {
    return this.leads.setStatusAndPropagate(status, exceptLeadId, activity);
  }

  queueStatusAndPropagate(
    status: EmailStatusRecord,
    exceptLeadId: number | null,
    activity: PropagationActivity,
  ): Promise<{ people: Promise<number> }> {
    return queueStatusAndPropagate(this.db, this.engine, status, exceptLeadId, activity);
  }

  updateLogged(
    lead: LeadRecord,
    change: LeadUpdate,
    now: number,
    activities: readonly NewActivity[],
    last?: boolean,
  ): Promise<LeadRecord | null> {
    return this.leads.updateLogged(lead, change, now, activities, last);
  }

  async checkedWrite(check: StatementCall, writes: readonly StatementCall[]): Promise<boolean> {
    return (await runUnless(this.db, check, 'moved', writes)).thenChanges !== null;
  }

  async openBatch(scope: BatchScope): Promise<BatchSession> {
    if (!this.transaction) throw new Error('openBatch needs a transaction');
    try {
      return await BatchSession.open(this.transaction, this.engine, scope, (keys) =>
        this.lockEmailKeys(keys),
      );
    } catch (error) {
      if (error instanceof BatchMoved) throw new RetryTransaction();
      throw error;
    }
  }
}

/** The repositories of a transaction (`transaction`, `step`: a one-step unit's) or of reads. */
export function repositories(
  db: Knex | Knex.Transaction,
  engine: Engine,
  transaction: Knex.Transaction | null = null,
  step = false,
): Repositories {
  return new SqlRepositories(db, engine, transaction, step);
}
