import { AppError, ErrorCode } from '../errors.js';
import { ChangePaths, type ChangePath } from './change-paths.js';
import type { DurableStatusService } from './durable-status.service.js';
import type { FieldCatalogue } from './field-catalogue.js';
import { LeadBatchSync, type CheckedWriteListener } from './lead-batch.js';
import { findByKey, findByKeys, findPageByKeys, noMatch } from './lead-find.js';
import { flagInput, setFlagLocked, type FlagResult } from './lead-flag.js';
import { parseLeadInput, type PreparedChange } from './lead-input.js';
import { planChange, planIsEmpty } from './lead-rules.js';
import { answerOnly, LeadWrites, type SyncContext } from './lead-writes.js';
import { leadView } from './lead-view.js';
import type { LeadInput, LeadKey, LeadView, SyncAnswer, SyncResult } from './lead.types.js';
import { REMAINING_COUNT_CAP } from './paging.js';
import { MAX_PARTITION_LENGTH } from './permissions.js';
import {
  FINAL_STEP,
  RetryTransaction,
  StaleRead,
  type CallDeadline,
  type KeyPageStart,
  type StillHolding,
  type TransactionScope,
  type Transactions,
  type WriteScope,
} from './ports.js';
import type { LeadRecord } from './records.js';
import { salesforceIdSpellings } from '../formats/salesforce-id.js';

export { MAX_LEAD_ID, parseLeadId } from './lead-input.js';
export type { SyncContext };

export interface LeadServiceOptions {
  catalogue: FieldCatalogue;
  defaultPartition: string;
  now?: () => number;
  /** Batch transactions (syncMultipleLeads) in flight at once; no limit when absent. */
  batchConcurrency?: number;
  /** Told how each change planned on a plain read ended (the metrics count them). */
  onCheckedWrite?: CheckedWriteListener;
}

/**
 * Lead lifecycle: where each change's transaction begins and ends (one call, a batch, a list),
 * delete, and every read by key. What a change does inside its transaction: lead-writes.ts.
 */
export class LeadService {
  private readonly catalogue: FieldCatalogue;
  private readonly defaultPartition: string;
  private readonly now: () => number;
  private readonly batch: LeadBatchSync;
  private readonly writes: LeadWrites;
  private readonly onCheckedWrite: CheckedWriteListener;

  constructor(
    private readonly transactions: Transactions,
    private readonly durable: DurableStatusService,
    options: LeadServiceOptions,
  ) {
    this.catalogue = options.catalogue;
    this.defaultPartition = options.defaultPartition;
    this.now = options.now ?? Date.now;
    this.onCheckedWrite = options.onCheckedWrite ?? (() => undefined);
    this.batch = new LeadBatchSync(transactions, options.batchConcurrency, this.onCheckedWrite);
    this.writes = new LeadWrites(durable, this.now, (lead) => this.view(lead));
  }

  /** syncLead: update the lead the keys match (Id, then foreign id, then Email), or create one. */
  async sync(input: LeadInput, ctx: SyncContext): Promise<SyncResult> {
    const change = this.prepare(input);
    const partition = this.partitionOf(ctx);
    // Integrations resend whole records, and most of them change nothing (rule 7): found with
    // plain reads, such a call answers without a write transaction or a lock. Its answer is
    // the one the transaction would give at the moment of the read.
    const first = await this.transactions.read((repos) =>
      this.writes.firstRead(repos, change, ctx, this.transactions.guardedSteps),
    );
    if (first && 'unchanged' in first) return first.unchanged;
    if (first) {
      // An update of the person just read, as one step checked against that read: no read
      // inside the transaction, and the next unit need not wait for this one's answer.
      try {
        // Final: the step's check (the same change_seq) and the person's update run in one
        // message, so the update finds its row, and the answer is only read after it.
        const result = await this.transactions.writeStep(
          (repos) => this.writes.syncGuarded(repos, first.guarded, ctx.path),
          ctx.deadline ? { ...FINAL_STEP, deadline: ctx.deadline } : FINAL_STEP,
        );
        this.onCheckedWrite('syncLead', 'written');
        return result;
      } catch (error) {
        // Someone changed the person (or its address) meanwhile; nothing was written.
        if (!(error instanceof StaleRead)) throw error;
        this.onCheckedWrite('syncLead', 'locked');
      }
    }
    // The whole transaction: its last write may carry COMMIT.
    return this.transactions.write(
      (repos) => this.writes.sync(repos, change, ctx, partition, true),
      ctx.deadline ? { deadline: ctx.deadline } : undefined,
    );
  }

  /**
   * sync inside a transaction the caller holds, so that its own bookkeeping commits or rolls
   * back with the change. May throw RetryTransaction: the caller's whole unit of work is redone.
   */
  async syncWithin(repos: WriteScope, input: LeadInput, ctx: SyncContext): Promise<SyncResult> {
    return this.writes.sync(repos, this.prepare(input), ctx, this.partitionOf(ctx));
  }

  /**
   * syncMultipleLeads: one bad record fails only itself. Records the rules refuse are found
   * while validating or in the batch's memory and undone there; the rest are written together
   * with a few set-based statements, in one transaction.
   */
  async syncMany(
    inputs: readonly LeadInput[],
    ctx: SyncContext,
  ): Promise<Array<SyncAnswer | AppError>> {
    const partition = this.partitionOf(ctx);
    const prepared = inputs.map((input) => {
      try {
        return this.prepare(input);
      } catch (error) {
        if (error instanceof AppError) return error;
        throw error;
      }
    });
    return this.batch.syncMany(
      prepared,
      (repos, change) => this.writes.syncRecord(repos, change, ctx, partition, answerOnly),
      ctx.deadline,
    );
  }

  /** Sets one person's flag by a named path (operator, flow step…), with every durable rule. */
  async setUnsubscribed(
    leadId: number,
    unsubscribed: boolean,
    path: ChangePath,
    reason?: string,
  ): Promise<LeadView> {
    return (await this.sync(flagInput(leadId, unsubscribed, reason), { path })).lead;
  }

  /**
   * setUnsubscribed deciding under the person's lock, and telling what it did (lead-flag.ts);
   * `deadline`: the request's (CallDeadline), past which it is not written unless committing.
   */
  async setUnsubscribedReporting(
    leadId: number,
    unsubscribed: boolean,
    path: ChangePath,
    reason?: string,
    deadline?: CallDeadline,
    /** A re-subscribe: the statusVersion of the suppression it was shown (setFlagLocked). */
    seenVersion?: string,
  ): Promise<FlagResult<LeadView>> {
    const change = this.prepare(flagInput(leadId, unsubscribed, reason));
    const done = await this.transactions.write(
      (repos) =>
        setFlagLocked(repos, this.writes, this.durable, change, path, this.now(), seenVersion),
      deadline && { deadline },
    );
    return { ...done, lead: this.view(done.lead) };
  }

  /** Whether `input` would change `lead` as it stands (rule 7's test, before any write). */
  changes(lead: LeadRecord, input: LeadInput): boolean {
    // As the no-change answer does: an address change is a change whatever its status.
    const plan = planChange(lead, this.prepare(input), false, ChangePaths.flowStep(), 0);
    return !planIsEmpty(plan);
  }

  /**
   * For an `input` that would not change `lead` (changes() false), inside the caller's
   * transaction holding its address's lock: the opt-out it states, recorded in the master
   * status if it must be (acknowledged-opt-outs.ts), though no person changes.
   */
  async acknowledgeWithin(
    repos: WriteScope,
    lead: LeadRecord,
    input: LeadInput,
    path: ChangePath,
  ): Promise<void> {
    await this.writes.acknowledge(repos, lead, this.prepare({ ...input, id: lead.id }), path);
  }

  /** Validates a change without a database: the same checks a sync makes first. */
  validate(input: LeadInput): void {
    this.prepare(input);
  }

  async changeEmail(leadId: number, email: string | null, path: ChangePath): Promise<LeadView> {
    return (await this.sync({ id: leadId, email }, { path })).lead;
  }

  /**
   * The same change applied to many leads in one transaction (a flow step over a list):
   * every address involved is locked up front, in the global order.
   */
  async bulkApply(
    leadIds: readonly number[],
    input: Omit<LeadInput, 'id'>,
    path: ChangePath,
  ): Promise<LeadView[]> {
    const base = this.prepare({ ...input, id: 1 });
    return this.transactions.write(async (repos) => {
      const before = await repos.leads.findByIds(leadIds);
      if (before.length !== new Set(leadIds).size)
        throw new AppError(ErrorCode.LEAD_NOT_FOUND, 'Lead not found');
      const keys = [...before.map((l) => l.emailKey), base.emailKey ?? null];
      await repos.lockEmailKeys(keys);
      const out: LeadView[] = [];
      for (const lead of before) {
        const current = await repos.leads.findById(lead.id, true);
        if (!current || current.emailKey !== lead.emailKey) throw new RetryTransaction();
        await this.writes.update(repos, current, { ...base, id: lead.id }, path);
        out.push(this.view((await repos.leads.findById(lead.id))!));
      }
      return out;
    });
  }

  /**
   * Every lead a key matches, inside the caller's transaction (no locks); `partitions`: only
   * the people of these.
   */
  async findWithin(
    repos: TransactionScope,
    key: LeadKey,
    partitions?: readonly string[],
  ): Promise<LeadRecord[]> {
    return findByKey(repos, key, undefined, partitions);
  }

  /**
   * Applies `input` to `lead` with every rule of an update (address first, then the flag, each
   * change logged), inside the caller's transaction. The caller holds the row and the locks of
   * every address involved, taken in the global order.
   */
  async applyWithin(
    repos: TransactionScope,
    lead: LeadRecord,
    input: LeadInput,
    path: ChangePath,
  ): Promise<LeadRecord> {
    return this.writes.update(repos, lead, this.prepare({ ...input, id: lead.id }), path);
  }

  /** Deleting people never touches the master status (rule 4). */
  async delete(
    key: LeadKey,
    path: ChangePath,
    partitions?: readonly string[],
    deadline?: CallDeadline,
  ): Promise<number[]> {
    return this.transactions.write(async (repos) => {
      // Confined to partitions: its own people only; anyone else is no one (as for getLead).
      const leads = await findByKey(repos, key, undefined, partitions);
      if (leads.length === 0) throw noMatch(key);
      // Found unlocked: a person another call deleted meanwhile is that call's deletion, and
      // one moved away from the address, or given another foreign id, holds the key no more
      // (the statement deletes only those still holding it). Either way the key may name
      // others by now (a merge's winner took the address or id of the loser it deleted, say):
      // found again, as if this call ran after the other, never answered nor logged for what
      // it did not delete.
      const ids = leads.map((l) => l.id);
      const deleted = await repos.leads.deleteByIds(ids, stillHolding(key, leads[0]!));
      if (deleted.length < ids.length) throw new RetryTransaction();
      const now = this.now();
      await repos.activities.insert(
        leads.map((l) => ({
          leadId: l.id,
          activityType: 'Delete Lead',
          createdAt: now,
          reason: path.reason,
          source: path.source,
          actor: path.actor ?? null,
          extra: [['Lead ID', String(l.id)]],
        })),
      );
      return ids;
    }, deadline && { deadline });
  }

  /** The leads the key matches (getLead), at most `limit`; none is LEAD_NOT_FOUND. */
  /** `partitions`: only the people of these (a SOAP user confined to them). */
  async find(key: LeadKey, limit?: number, partitions?: readonly string[]): Promise<LeadView[]> {
    const leads = await this.transactions.readReplicated((repos) =>
      findByKey(repos, key, limit, partitions),
    );
    if (leads.length === 0) throw noMatch(key);
    return leads.map((l) => this.view(l));
  }

  /** Leads for many values of one key type (getMultipleLeads by key), in id order; missing ones are skipped. */
  async findMany(keyType: LeadKey['keyType'], values: readonly string[]): Promise<LeadView[]> {
    const leads = await this.transactions.readReplicated((repos) =>
      findByKeys(repos, keyType, values),
    );
    return leads.map((l) => this.view(l));
  }

  /**
   * A page of findMany after a position (getMultipleLeads by key): the same leads in the same
   * order, reading only the page, with how many matches follow it.
   */
  async findManyPage(
    keyType: LeadKey['keyType'],
    values: readonly string[],
    after: KeyPageStart,
    limit: number,
    partitions?: readonly string[],
  ): Promise<{ leads: LeadView[]; remaining: number }> {
    const page = await this.transactions.readReplicated((repos) =>
      findPageByKeys(repos, keyType, values, after, limit, partitions),
    );
    return { leads: page.leads.map((l) => this.view(l)), remaining: page.remaining };
  }

  /**
   * Leads updated within a window, oldest first, keyset-paged by (updatedAt, id).
   *
   * A change is stamped inside its transaction, and transactions commit in any order: one
   * stamped earlier may commit after a page served a later one, behind the position handed out,
   * and a paging run would never serve it. So a page serves only changes stamped before the
   * call began, once every write transaction in flight has ended (settleWrites): any stamped
   * earlier has committed by then. A write another process stamped and has not yet begun is
   * in flight nowhere: the bound is raised as the store's horizon first, and the store stamps
   * such a write past it, for a later call. From the primary: a replica may not have replayed
   * them yet. Later changes are served by a later call. `partitions`: only the people of these
   * (a SOAP user confined to them).
   */
  async listUpdated(
    window: { oldest: number; latest: number | null },
    after: { updatedAt: number; id: number } | null,
    limit: number,
    partitions?: readonly string[],
  ): Promise<{ leads: LeadView[]; remaining: number }> {
    const settled = this.now() - 1;
    await this.transactions.settleWrites(settled);
    const latest = window.latest === null ? settled : Math.min(window.latest, settled);
    return this.transactions.read(async (repos) => {
      // Confined to partitions, the page, its count and its position hold none of the others.
      const rows = await repos.leads.listUpdatedBetween(
        window.oldest,
        latest,
        after,
        limit,
        partitions,
      );
      const last = rows[rows.length - 1];
      const remaining = last
        ? await repos.leads.countUpdatedBetween(
            window.oldest,
            latest,
            { updatedAt: last.updatedAt, id: last.id },
            REMAINING_COUNT_CAP,
            partitions,
          )
        : 0;
      return { leads: rows.map((l) => this.view(l)), remaining };
    });
  }

  /** `partitions`: only the people of these (a SOAP user confined to them). */
  async findLeadIds(key: LeadKey, partitions?: readonly string[]): Promise<number[]> {
    const leads = await this.transactions.readReplicated((repos) =>
      findByKey(repos, key, undefined, partitions),
    );
    if (leads.length === 0) throw noMatch(key);
    return leads.map((l) => l.id);
  }

  view(lead: LeadRecord): LeadView {
    return leadView(lead, this.catalogue);
  }

  private partitionOf(ctx: SyncContext): string {
    const partition = (ctx.partition ?? this.defaultPartition).trim();
    if (partition === '' || partition.length > MAX_PARTITION_LENGTH) {
      throw new AppError(ErrorCode.BAD_PARAMETER, 'Partition name must be 1 to 64 characters');
    }
    return partition;
  }

  /** Validates everything that needs no database, so bad input never opens a transaction. */
  private prepare(input: LeadInput): PreparedChange {
    return parseLeadInput(input, this.catalogue);
  }
}

/** What the people found by `key` must still hold when deleted (IDNUM: nothing, the id is theirs). */
function stillHolding(key: LeadKey, found: LeadRecord): StillHolding | undefined {
  if (key.keyType === 'EMAIL' && found.emailKey !== null) return { emailKey: found.emailKey };
  if ((key.keyType === 'SFDCLEADID' || key.keyType === 'SFDCCONTACTID') && found.foreignSysPersonId)
    return { foreignIds: salesforceIdSpellings(key.keyValue.trim()) };
  return undefined;
}
