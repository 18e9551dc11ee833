import { masterStatus, masterStatusRead, type MasterStatusRead } from './master-status.js';
import { AppError, ErrorCode } from '../errors.js';
import { RESET_REASON, type ChangePath } from './change-paths.js';
import type { DurableStatusService, KnownStatuses } from './durable-status.service.js';
import type { PreparedChange } from './lead-input.js';
import {
  flagActivity,
  newAddressOf,
  newLeadActivity,
  newLeadOf,
  planChange,
  planIsEmpty,
  text,
} from './lead-rules.js';
import { statedReason, updateLead } from './lead-update.js';
import type { LeadView, SyncAnswer, SyncResult, SyncStatus } from './lead.types.js';
import {
  RetryTransaction,
  StaleRead,
  type CallDeadline,
  type ReadExpectation,
  type WriteScope,
} from './ports.js';
import type { EmailStatusRecord, LeadRecord, NewActivity } from './records.js';

/** Who asks for a change, and what it may touch. */
export interface SyncContext {
  path: ChangePath;
  /** Partition of leads this call creates; the default partition when absent. */
  partition?: string;
  /** false: a record with only an Email creates a new lead even if the address exists. */
  matchByEmail?: boolean;
  /**
   * The partitions the caller may see and change people in; every partition when absent.
   * Confined to some, it finds no one elsewhere: a person of another partition is answered as
   * no one is, never refused by name.
   */
  partitions?: readonly string[];
  /** The deadline of the call that asks (SOAP: REQUEST_TIMEOUT_MS), see CallDeadline. */
  deadline?: CallDeadline;
}

/** An update planned on plain reads (LeadWrites.firstRead), and what it relies on. */
export interface GuardedUpdate {
  lead: LeadRecord;
  change: PreparedChange;
  expected: ReadExpectation;
  known: KnownStatuses;
}

export type FirstRead = { unchanged: SyncResult } | { guarded: GuardedUpdate };

/** What a sync answers, made of the person it wrote (LeadWrites.syncRecord). */
export type AnswerOf<T> = (leadId: number, status: SyncStatus, lead: LeadRecord) => T;

/** A batch's answer: which person, and whether it was new (no view of it). */
export const answerOnly: AnswerOf<SyncAnswer> = (leadId, status) => ({ leadId, status });

/**
 * The change without its address when the person was found by another key and the address
 * only keys the record (emailOnlyAsKey): the person keeps its own, and the rules of an address
 * change (rule 5) do not run. Its untick is left out too when it named another address than the
 * person's: "subscribed" said of that address would otherwise lift the opt-out of the person's
 * own, which the record never named (a CRM that moved the person off an address it opted out
 * of). Its opt-out stands: the person opts out, as it would at either address.
 */
function keyedAway(lead: LeadRecord | null, change: PreparedChange): PreparedChange {
  if (!lead || !change.emailOnlyAsKey) return change;
  const kept = { ...change, email: undefined, emailKey: undefined, emailOnlyAsKey: undefined };
  // A person without an address too: its opt-out, held by its flag alone, was not the one named.
  const elsewhere = typeof change.emailKey === 'string' && change.emailKey !== lead.emailKey;
  if (elsewhere && change.unsubscribed === false) kept.unsubscribed = undefined;
  return kept;
}

/** Creating a person in a partition the caller named (or the default one) but may not touch. */
const outsidePartitions = (partition: string) =>
  new AppError(ErrorCode.ACCESS_DENIED, `This user may not touch partition ${partition}`);

/** Whether a caller confined to `partitions` (undefined: every one) may see `partition`'s people. */
export const within = (partition: string, partitions: readonly string[] | undefined) =>
  !partitions || partitions.includes(partition);

/** What a unique key (Id, foreign id) held by someone the caller may not see answers. */
export const leadNotFound = (id: number) =>
  new AppError(ErrorCode.LEAD_NOT_FOUND, `Lead ${id} not found`);
const foreignIdTaken = () =>
  new AppError(ErrorCode.LEAD_SYNC_FAILED, 'ForeignSysPersonId belongs to another lead');

/**
 * One validated change (lead-input.ts) applied inside a write scope: which person it is (key
 * precedence), the locks in the global order, then creation or update with every rule of
 * lead-rules.ts and the master status changes they call for. The same code runs in a single
 * transaction and in a batch's memory (the scope decides which); LeadService decides where the
 * transactions begin and end.
 */
export class LeadWrites {
  constructor(
    private readonly durable: DurableStatusService,
    private readonly now: () => number,
    private readonly view: (lead: LeadRecord) => LeadView,
  ) {}

  /**
   * What a sync finds with plain reads, before any transaction: the answer of a change that
   * changes nothing (rule 7); or, with `guarded` (Transactions.guardedSteps), an update of the
   * person found that may be written as one step checked against these reads (syncGuarded);
   * or null: the locked path decides.
   */
  async firstRead(
    repos: WriteScope,
    change: PreparedChange,
    ctx: SyncContext,
    guarded: boolean,
  ): Promise<FirstRead | null> {
    let lead: LeadRecord | null = null;
    let latestOf: string | undefined;
    let statusOfLatest: Promise<MasterStatusRead> | undefined;
    if (change.id !== undefined) {
      lead = await repos.leads.findById(change.id);
      change = keyedAway(lead, change);
    } else if (change.foreignSysPersonId !== undefined) {
      lead = await repos.leads.findByForeignId(change.foreignSysPersonId);
      change = keyedAway(lead, change);
    } else if ((change.matchEmailKey ?? change.emailKey) && ctx.matchByEmail !== false) {
      // Confined: the latest of its own people, which a check of the address's latest (the
      // guarded step's) would not confirm: the locked path writes it.
      if (ctx.partitions) guarded = false;
      latestOf = (change.matchEmailKey ?? change.emailKey)!;
      const found = repos.leads.findLatestByEmailKey(latestOf, false, ctx.partitions);
      // A re-subscribe by address reads that address's status too (below): asked for now, it
      // goes in the person's read's message instead of a second one after it.
      if (guarded && change.unsubscribed === false) {
        statusOfLatest = masterStatusRead(repos.emailStatus, latestOf);
        // Awaited only if the plan re-subscribes; its failure is then that read's.
        statusOfLatest.catch(() => undefined);
      }
      lead = await found;
      // As in sync: the address found the lead, it is not a change to it.
      if (lead && change.matchEmailKey === undefined)
        change = { ...change, email: undefined, emailKey: undefined };
    }
    if (!lead) return null;
    if (!within(lead.partition, ctx.partitions)) return null; // answered by sync
    // The plan without the new address's status: an address change is a change whatever it is.
    const plan = planChange(lead, change, false, ctx.path, 0);
    const empty = planIsEmpty(plan);
    if (!empty && !guarded) return null;
    // Only what the reads above decide alone: not a move to another address (its status, or
    // rule 5), nor a foreign id that someone else may hold.
    const fid = plan.update.foreignSysPersonId;
    if (newAddressOf(lead, change) !== null || (fid !== undefined && fid !== null)) return null;
    // An opt-out stated of an address unsubscribed already: its status says whether it must
    // be recorded (the locked path does it), or changes nothing (rule 7).
    // One at most: two are stated only by a move (acknowledged's doc), decided above.
    const ack = plan.acknowledged[0] ?? null;
    let ackStatus: EmailStatusRecord | null = null;
    if (ack !== null) {
      ackStatus = await masterStatus(repos.emailStatus, ack.key);
      const reason = statedReason(this.durable, ack);
      if (this.durable.mustRecord(ackStatus, { optOut: ack.optOut, reason, path: ctx.path }))
        return null;
    }
    if (empty) return { unchanged: { leadId: lead.id, status: 'UPDATED', lead: this.view(lead) } };
    const expected: ReadExpectation = {
      lead: { id: lead.id, changeSeq: lead.changeSeq },
      address: lead.emailKey,
    };
    if (latestOf !== undefined) expected.latestOf = latestOf;
    const known = new Map<string, EmailStatusRecord | null>();
    // A re-subscribe reads its address's status (what it lifts, or refuses to): read here,
    // and checked with the rest. A refusal is left to the locked path to decide.
    const resubscribe = plan.masterChanges.find((m) => !m.unsubscribed);
    if (resubscribe) {
      const { status: record, keptUnder } =
        statusOfLatest && resubscribe.key === latestOf
          ? await statusOfLatest
          : await masterStatusRead(repos.emailStatus, resubscribe.key);
      if (record?.unsubscribed && !ctx.path.operator && this.durable.isProtected(record.reason))
        return null;
      // A kept opt-out is checked as kept (no row of the address's own since), not as a row.
      expected.status =
        keptUnder === null
          ? { key: resubscribe.key, record }
          : { key: resubscribe.key, record, keptUnder };
      known.set(resubscribe.key, record);
    } else if (ack !== null) {
      // Read above and found not to be recorded: checked with the rest.
      expected.status = { key: ack.key, record: ackStatus };
      known.set(ack.key, ackStatus);
    }
    return { guarded: { lead, change, expected, known } };
  }

  /**
   * The update firstRead planned, as the whole of a one-step unit: written only if the store
   * still holds what was read (WriteScope.expect), with the same rules and writes as the
   * locked path would make on that person. StaleRead: nothing was written, the caller goes
   * the locked way.
   */
  async syncGuarded(repos: WriteScope, g: GuardedUpdate, path: ChangePath): Promise<SyncResult> {
    if (!repos.expect) throw new StaleRead();
    await repos.expect(g.expected);
    const after = await this.update(repos, g.lead, g.change, path, true, g.known);
    return { leadId: g.lead.id, status: 'UPDATED', lead: this.view(after) };
  }

  /**
   * The change applied to the person its keys find (Id, then foreign id, then Email) or to a new
   * one, inside the caller's write scope. `last`: the scope's work ends with it (nothing read or
   * written after), so its last write may commit the transaction (WriteScope.updateLogged).
   */
  async sync(
    repos: WriteScope,
    change: PreparedChange,
    ctx: SyncContext,
    partition: string,
    last = false,
  ): Promise<SyncResult> {
    return this.syncRecord(repos, change, ctx, partition, this.withView, last);
  }

  private readonly withView: AnswerOf<SyncResult> = (leadId, status, lead) => ({
    leadId,
    status,
    lead: this.view(lead),
  });

  /**
   * sync, answered as `answer` makes it of the person written: a batch answers ids and
   * statuses only (answerOnly), and holds only the columns its rules read (BatchScope.columns).
   * The answer is made here rather than from a record handed back: a caller that only copied
   * one cost every record of a batch an async call of its own.
   */
  async syncRecord<T>(
    repos: WriteScope,
    change: PreparedChange,
    ctx: SyncContext,
    partition: string,
    answer: AnswerOf<T>,
    last = false,
  ): Promise<T> {
    // Find the lead without locks, lock every address involved, then read it again: a lead
    // whose address moved in between makes us start over rather than lock out of order.
    let lead: LeadRecord | null = null;
    let locked: LeadRecord | null = null;
    // Found by address: both addresses it may involve are locked already.
    let keysLocked = false;
    if (change.id !== undefined) {
      lead = await repos.leads.findById(change.id);
      if (!lead || !within(lead.partition, ctx.partitions)) throw leadNotFound(change.id);
      change = keyedAway(lead, change);
    } else if (change.foreignSysPersonId !== undefined) {
      lead = await repos.leads.findByForeignId(change.foreignSysPersonId);
      // Unique: held by someone it may not see, it is taken, as for an update naming it.
      if (lead && !within(lead.partition, ctx.partitions)) throw foreignIdTaken();
      change = keyedAway(lead, change);
    } else if ((change.matchEmailKey ?? change.emailKey) && ctx.matchByEmail !== false) {
      const matchKey = (change.matchEmailKey ?? change.emailKey)!;
      // Both addresses at once (an address change moves the lead to the second): locks are
      // taken in one call, in the global order. Under the address's lock no one else can move
      // its people: the latest of them, read with its row lock, is already the lead to change.
      locked = lead = await repos.lockAndFindLatest(
        matchKey,
        change.emailKey ?? null,
        ctx.partitions,
      );
      keysLocked = true;
      // The address was the key that found the lead, not a change to it.
      if (lead && change.matchEmailKey === undefined)
        change = { ...change, email: undefined, emailKey: undefined };
    }
    // Anyone found is one it may see: only a create can be outside its partitions.
    if (!lead && !within(partition, ctx.partitions)) throw outsidePartitions(partition);
    // The lead found by address holds that address, and the change's own was locked with it.
    if (!keysLocked) await repos.lockEmailKeys([lead?.emailKey ?? null, change.emailKey ?? null]);
    if (lead) {
      if (!locked) {
        locked = await repos.leads.lockRow(lead);
        if (!locked || locked.emailKey !== lead.emailKey) throw new RetryTransaction();
      }
      const after = await this.update(repos, locked, change, ctx.path, last);
      return answer(lead.id, 'UPDATED', after);
    }
    const id = await this.create(repos, change, ctx.path, partition);
    return answer(id, 'CREATED', (await repos.leads.findById(id))!);
  }

  /** Rule 3: a new person takes the master status of its address, whatever the request said. */
  private async create(
    repos: WriteScope,
    change: PreparedChange,
    path: ChangePath,
    partition: string,
  ) {
    const now = this.now();
    const lead = newLeadOf(change, partition, now);
    const requested = lead.unsubscribed;
    const key = lead.emailKey;
    const id = await repos.leads.insert(lead);
    const activities: NewActivity[] = [newLeadActivity(id, path, now)];
    if (key !== null) {
      const reason = text(lead.columns.unsubscribed_reason);
      const current = await masterStatus(repos.emailStatus, key);
      if (requested && !current?.unsubscribed) {
        await this.durable.setMasterStatus(repos, {
          key,
          unsubscribed: true,
          causedBy: id,
          path,
          reason,
          now,
        });
      } else if (current?.unsubscribed) {
        if (!requested) {
          await repos.leads.update(id, { unsubscribed: true, columns: {} }, now);
          activities.push(
            flagActivity(id, false, true, RESET_REASON, path.source, now, path.actor ?? null),
          );
        }
        // The address was unsubscribed already: an opt-out (or its reason) the create states
        // may still have to be recorded (acknowledged-opt-outs.ts).
        if (requested || reason !== null) {
          const statement = { key, optOut: requested, reason, path, causedBy: id, now };
          await this.durable.acknowledgeOptOut(repos, statement, new Map([[key, current]]));
        }
      }
    }
    await repos.activities.insert(activities);
    return id;
  }

  /**
   * For a change that changes nothing of the locked `lead` (rule 7): the opt-out it states,
   * recorded in the master status if it must be (acknowledged-opt-outs.ts).
   */
  async acknowledge(
    repos: WriteScope,
    lead: LeadRecord,
    change: PreparedChange,
    path: ChangePath,
  ): Promise<void> {
    const now = this.now();
    for (const ack of planChange(lead, change, false, path, now).acknowledged) {
      const reason = statedReason(this.durable, ack);
      const statement = { key: ack.key, optOut: ack.optOut, reason, path, causedBy: lead.id, now };
      await this.durable.acknowledgeOptOut(repos, statement);
    }
  }

  /**
   * Applies `change` to the locked `lead`; returns the lead as it then stands. `last`: as for
   * sync, the caller's work ends here (lead-update.ts).
   */
  update(
    repos: WriteScope,
    lead: LeadRecord,
    change: PreparedChange,
    path: ChangePath,
    last = false,
    known?: KnownStatuses,
  ): Promise<LeadRecord> {
    return updateLead(this.durable, repos, lead, change, { path, now: this.now(), last, known });
  }
}
