import { masterStatus } from './master-status.js';
import type {
  BatchWrites,
  LeadStore,
  StatusQueries,
  StatusStore,
  TransactionScope,
  Transactions,
} from './ports.js';
import {
  notLiftedText,
  revealBeneath,
  salesforceOptOutBeneath,
  type LiftProtection,
} from './salesforce-beneath.js';
import type { LeadRecord } from './records.js';

/**
 * When a lift job started: its clock's time, and the newest status history row then (null:
 * queued before it was kept). A wall clock alone cannot order an opt-out against the start:
 * another instance's clock may be behind, this one's may have stepped back, and an import
 * dates a status when the list says the address opted out, not when it was loaded.
 */
export interface LiftStart {
  at: number;
  historyId: number | null;
}

/**
 * Whether a lift decided at `since` (a Change Data Value's start) would lift an opt-out
 * recorded after it at the person's address: one its operator never selected, whoever made it
 * (the recipient unsubscribing again while the job ran). Read under the address's lock, in the
 * write that would lift it. A person without an address holds its own opt-out: not asked here.
 * After the start means a status written after the start's history row (the order statuses
 * were committed in, whatever their clocks said), or dated after it.
 */
export async function optedOutSince(
  store: StatusStore,
  history: HistoryOrder,
  person: LeadRecord,
  since: LiftStart,
): Promise<boolean> {
  const key = person.emailKey;
  if (!person.unsubscribed || key === null) return false;
  const status = await masterStatus(store, key);
  if (status?.unsubscribed !== true) return false;
  if (status.changedAt > since.at) return true;
  return since.historyId !== null && (await history.writtenAfter([key], since.historyId)).has(key);
}

/** What optedOutSince reads of the status history. */
export type HistoryOrder = Pick<StatusQueries, 'writtenAfter'>;

/**
 * `history` as a batch written in memory asks it: at the first question, for every address of
 * the batch's people (`ids`, read from the batch's memory) at once, in the statement that
 * answers one; later questions are answered from that. The batch holds its addresses locked
 * and writes nothing to the database before it completes, so each would have read the same
 * answer alone. An address outside the batch, or another start, is asked alone.
 */
export function batchHistory(
  history: HistoryOrder,
  leads: Pick<LeadStore, 'findById'>,
  ids: readonly number[],
): HistoryOrder {
  let read: { afterId: number; keys: Set<string>; found: Set<string> } | null = null;
  return {
    async writtenAfter(keys, afterId) {
      if (read === null) {
        const people = await Promise.all(ids.map((id) => leads.findById(id)));
        const all = new Set(people.flatMap((p) => (p?.emailKey ? [p.emailKey] : [])));
        read = { afterId, keys: all, found: await history.writtenAfter([...all], afterId) };
      }
      const { keys: known, found } = read;
      if (read.afterId !== afterId || !keys.every((k) => known.has(k)))
        return history.writtenAfter(keys, afterId);
      return new Set(keys.filter((k) => found.has(k)));
    },
  };
}

/** What a person not lifted so is failed with. */
export const OPTED_OUT_SINCE =
  'Unsubscribed again after the job started: not lifted (lift it from the address page if meant)';

/** Redone person by person: only there is a Salesforce opt-out beneath a lift shown. */
export class RevealOneByOne extends Error {
  override name = 'RevealOneByOne';
}

/**
 * Why a lift job started at `since` does not lift `person`, or null: an opt-out recorded since
 * (optedOutSince), or a Salesforce opt-out beneath its address's suppression, shown in its
 * place (salesforce-beneath.ts) in `scope`, the job's transaction. A batch written in memory
 * (`batch`) cannot show it: RevealOneByOne is thrown, and the batch is redone person by person.
 * `history`: the job's transaction's, or a batch's (batchHistory).
 */
export async function notLiftedWhy(
  scope: TransactionScope,
  batch: BatchWrites | null,
  person: LeadRecord,
  since: LiftStart,
  now: number,
  protection: LiftProtection,
  history: HistoryOrder = scope.emailStatus,
): Promise<string | null> {
  const repos = batch?.repos ?? scope;
  if (await optedOutSince(repos.emailStatus, history, person, since)) return OPTED_OUT_SINCE;
  if (!person.unsubscribed || person.emailKey === null) return null;
  const status = await masterStatus(repos.emailStatus, person.emailKey);
  if (batch) {
    if (await salesforceOptOutBeneath(scope, person.emailKey, status, protection))
      throw new RevealOneByOne();
    return null;
  }
  const beneath = await revealBeneath(scope, person.emailKey, status, now, protection);
  return beneath && notLiftedText(beneath);
}

/** A point in the order statuses were committed in (a history row's id), and a clock's time. */
export interface LiftPoint {
  at: number;
  historyId: number;
}

/**
 * Where a lift starts: the status history's newest id and this clock's time, now. Read in a
 * transaction of its own before what it precedes (a preview's reads, a job's write): it holds
 * status writes back while it lasts (lastHistoryId), and a point taken early only counts more
 * opt-outs as made after the start. A lift confirmed from a preview starts at the preview's
 * point, `previewed` as the confirmation form carried it back. That is operator-supplied data:
 * each part is taken no later than now, so a forged or mistaken one can only narrow what is
 * lifted; a part missing (a page of an earlier version) is now's.
 */
export async function liftStartNow(
  transactions: Transactions,
  now: () => number,
  previewed: Partial<LiftPoint> = {},
): Promise<LiftPoint> {
  const historyId = await transactions.write((repos) => repos.emailStatus.lastHistoryId());
  const at = now();
  return {
    at: Math.min(at, previewed.at ?? at),
    historyId: Math.min(historyId, previewed.historyId ?? historyId),
  };
}

/**
 * A Change Data Value job's spec, kept with the job: it runs later. Its confirmation goes with
 * it (only a confirmed job may lift a protected suppression, one recorded after the start
 * included), and its start: a lift lifts no opt-out recorded after it (optedOutSince).
 */
export function writeJobSpec(spec: {
  criteria: unknown;
  change: unknown;
  confirmProtected: boolean;
  since: LiftPoint;
}): string {
  const { criteria, change, confirmProtected, since } = spec;
  return JSON.stringify({
    criteria,
    change,
    confirmProtected,
    startedAt: since.at,
    historyId: since.historyId,
  });
}

/**
 * writeJobSpec's spec read back. A job queued before the confirmation was kept with it counts
 * as unconfirmed: a protected suppression it reaches fails that person rather than being
 * lifted. One queued before its start was kept (startedAt null) lifts as it always did; one
 * queued before its history row was kept orders opt-outs by their dates alone.
 */
export function readJobSpec<Change>(text: string): {
  change: Change;
  confirmProtected: boolean;
  startedAt: LiftStart | null;
} {
  const spec = JSON.parse(text) as {
    change: Change;
    confirmProtected?: boolean;
    startedAt?: unknown;
    historyId?: unknown;
  };
  const historyId = typeof spec.historyId === 'number' ? spec.historyId : null;
  return {
    change: spec.change,
    confirmProtected: spec.confirmProtected === true,
    startedAt: typeof spec.startedAt === 'number' ? { at: spec.startedAt, historyId } : null,
  };
}
