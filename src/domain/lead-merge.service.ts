import type { LeadRecord } from './records.js';
import {
  RetryTransaction,
  type CallDeadline,
  type TransactionScope,
  type Transactions,
} from './ports.js';
import { AppError, ErrorCode } from '../errors.js';
import type { ChangePath } from './change-paths.js';
import { FieldCatalogue, RULE_FIELDS } from './field-catalogue.js';
import type { LeadService } from './lead.service.js';
import { leadNotFound, within } from './lead-writes.js';
import type { LeadInput, LeadKey, LeadView } from './lead.types.js';

/** One lead named by a key list: every key of the list must name the same single lead. */
export type LeadKeyList = readonly LeadKey[];

export interface MergeResult {
  winnerId: number;
  loserIds: number[];
  lead: LeadView;
}

// Fields a merge never fills from a loser: the flag follows the winner's address (the
// invariant), and a reason without the unsubscribe it explains would say something false.
const NOT_FILLED = new Set([...RULE_FIELDS, 'UnsubscribedReason']);

/**
 * The standard score field, which a merge adds up (three leads of 10 make one of 30), as the
 * vendor's merge did; every other field keeps the winner's value. The sum stays within the
 * integer the field holds.
 */
const SUMMED = 'LeadScore';
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

const failed = (message: string) => new AppError(ErrorCode.LEAD_SYNC_FAILED, message);

function empty(v: unknown): boolean {
  return v === null || v === undefined || v === '';
}

/**
 * mergeLeads: the winner keeps its id and address; its empty fields take the first value the
 * losers (in the order given) have, and its LeadScore is everyone's added up; the losers are deleted (their addresses' master statuses
 * stay, as with any delete) and their history moves to the winner, which logs Merge Leads.
 * Every address involved is locked, in the global order, before anything is read for writing.
 */
export class LeadMergeService {
  constructor(
    private readonly transactions: Transactions,
    private readonly leads: LeadService,
    private readonly catalogue: FieldCatalogue,
    private readonly now: () => number = Date.now,
    /** PROTECTED_REASONS: a carried opt-out's protected reason is never dropped. */
    private readonly isProtected: (reason: string | null) => boolean = () => false,
  ) {}

  async merge(
    winnerKeys: LeadKeyList,
    loserKeyLists: readonly LeadKeyList[],
    path: ChangePath,
    /** Confined to these partitions: every key finds its people only, anyone else is no one. */
    partitions?: readonly string[],
    deadline?: CallDeadline,
  ): Promise<MergeResult> {
    if (winnerKeys.length === 0)
      throw new AppError(ErrorCode.LEAD_KEY_REQUIRED, 'winningLeadKeyList is empty');
    if (loserKeyLists.length === 0 || loserKeyLists.some((l) => l.length === 0))
      throw new AppError(ErrorCode.LEAD_KEY_REQUIRED, 'losingLeadKeyLists needs a key per lead');
    return this.transactions.write(async (repos) => {
      const found = await this.resolve(repos, winnerKeys, 'winning', partitions);
      const losersFound: LeadRecord[] = [];
      for (const [i, keys] of loserKeyLists.entries()) {
        const loser = await this.resolve(repos, keys, `losing #${i + 1}`, partitions);
        if (loser.id === found.id) throw failed(`Lead ${loser.id} cannot lose a merge to itself`);
        if (!losersFound.some((l) => l.id === loser.id)) losersFound.push(loser);
      }
      // Lock every address, then read each person again under its row lock: someone whose
      // address moved in between means starting over, never locking out of order; so does one
      // given another foreign id (found by it, it may hold the key no more).
      const all = [found, ...losersFound];
      await repos.lockEmailKeys(all.map((l) => l.emailKey));
      const locked: LeadRecord[] = [];
      for (const l of all) {
        const current = await repos.leads.findById(l.id, true);
        if (!current) throw new AppError(ErrorCode.LEAD_NOT_FOUND, `Lead ${l.id} not found`);
        if (current.emailKey !== l.emailKey || current.foreignSysPersonId !== l.foreignSysPersonId)
          throw new RetryTransaction();
        locked.push(current);
      }
      // A user confined to partitions merges only people it could delete one by one (found
      // among them above; a person's partition never changes, this only keeps it so).
      const outside = locked.find((l) => !within(l.partition, partitions));
      if (outside) throw leadNotFound(outside.id);
      const [winner, ...losers] = locked as [LeadRecord, ...LeadRecord[]];
      const loserIds = losers.map((l) => l.id);

      const input = this.fill(winner, losers);
      // Losers first: a foreign id passes to the winner only once its holder is gone.
      await repos.leads.deleteByIds(loserIds);
      await repos.activities.reassign(loserIds, winner.id);
      const after = await this.leads.applyWithin(repos, winner, input, path);
      await repos.activities.insert([
        {
          leadId: winner.id,
          activityType: 'Merge Leads',
          createdAt: this.now(),
          reason: path.reason,
          source: path.source,
          extra: [
            ['Merge Ids', loserIds.join(',')],
            ['Merged in Sales', 'false'],
          ],
        },
      ]);
      return { winnerId: winner.id, loserIds, lead: this.leads.view(after) };
    }, deadline && { deadline });
  }

  private async resolve(
    repos: TransactionScope,
    keys: LeadKeyList,
    which: string,
    partitions: readonly string[] | undefined,
  ): Promise<LeadRecord> {
    let lead: LeadRecord | undefined;
    for (const key of keys) {
      const matches = await this.leads.findWithin(repos, key, partitions);
      if (matches.length === 0)
        throw new AppError(
          ErrorCode.LEAD_NOT_FOUND,
          `No lead found for the ${which} key ${key.keyType} ${key.keyValue.slice(0, 64)}`,
        );
      if (matches.length > 1)
        throw failed(
          `The ${which} key ${key.keyType} ${key.keyValue.slice(0, 64)} matches ${matches.length} leads`,
        );
      if (lead && lead.id !== matches[0]!.id)
        throw failed(`The keys of the ${which} key list name different leads`);
      lead = matches[0]!;
    }
    return lead!;
  }

  /** The winner's empty fields, filled from the losers in order; its flag never lost. */
  private fill(winner: LeadRecord, losers: readonly LeadRecord[]): LeadInput {
    const attributes: Array<{ name: string; value: string | null }> = [];
    for (const field of this.catalogue.all()) {
      if (NOT_FILLED.has(field.name)) continue;
      const valueOf = (l: LeadRecord) =>
        field.column ? l.columns[field.column] : l.custom[field.name];
      if (field.name === SUMMED && field.column) {
        const sum = this.summed([winner, ...losers].map(valueOf));
        if (sum !== null && sum !== valueOf(winner))
          attributes.push({ name: field.name, value: String(sum) });
        continue;
      }
      if (!empty(valueOf(winner))) continue;
      const donor = losers.find((l) => !empty(valueOf(l)));
      if (donor)
        attributes.push({ name: field.name, value: FieldCatalogue.format(valueOf(donor)!) });
    }
    const input: LeadInput = { attributes };
    if (winner.emailKey === null) {
      // No address of its own: it takes the first loser's (and with it that address's status).
      const donor = losers.find((l) => l.email !== null);
      if (donor) input.email = donor.email;
    }
    // An opt-out of a loser without an address is carried, never dropped: no master status
    // holds it, so deleting the loser would lose it. It is kept on the winner if it still has
    // no address, else carried to the winner's address, its own or the one it takes (rule 1,
    // as the winner's own opt-out would be; rule 6: the address first, then the flag).
    // Stated also to a winner unsubscribed already: no person changes (rule 7), but the
    // address's status may have to record it (acknowledged-opt-outs.ts), or a link's page
    // undo, or a late Salesforce untick, would lift it with the unsubscribe it found there.
    const carried = losers.filter((l) => l.email === null && l.unsubscribed);
    if (carried.length > 0) attributes.push({ name: 'Unsubscribed', value: 'true' });
    // Its reason goes with it: a complaint carried without it would become a plain opt-out
    // that any integration's re-subscribe lifts (rules 1 and 7 record it at the address).
    const reason = this.carriedReason(winner, carried);
    if (reason !== null) attributes.push({ name: 'UnsubscribedReason', value: reason });
    if (winner.foreignSysPersonId === null) {
      const donor = losers.find((l) => l.foreignSysPersonId !== null);
      if (donor) {
        input.foreignSysPersonId = donor.foreignSysPersonId!;
        if (donor.foreignSysType)
          input.foreignSysType = donor.foreignSysType as LeadInput['foreignSysType'];
      }
    }
    return input;
  }

  /** The sum of the scores given (null when nobody has one), held within an integer's bounds. */
  private summed(values: readonly unknown[]): number | null {
    let sum: number | null = null;
    for (const v of values) {
      if (empty(v)) continue;
      const n = Number(v);
      if (Number.isFinite(n)) sum = (sum ?? 0) + n;
    }
    return sum === null ? null : Math.min(INT_MAX, Math.max(INT_MIN, sum));
  }

  /**
   * The reason of the opt-outs `carried` (losers without an address) that the winner takes:
   * the first protected one its own reason is not, else the first one when it has none; null
   * when its own stays.
   */
  private carriedReason(winner: LeadRecord, carried: readonly LeadRecord[]): string | null {
    const reasons = carried
      .map((l) => l.columns.unsubscribed_reason)
      .filter((r): r is string | number | boolean => !empty(r))
      .map(String);
    const own = empty(winner.columns.unsubscribed_reason)
      ? null
      : String(winner.columns.unsubscribed_reason);
    if (own !== null && this.isProtected(own)) return null;
    const guarded = reasons.find((r) => this.isProtected(r));
    if (guarded !== undefined) return guarded;
    return own === null ? (reasons[0] ?? null) : null;
  }
}
