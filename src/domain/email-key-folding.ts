/**
 * Re-keying stored addresses when the email key began to fold non-ASCII text in full
 * (email-key.ts): the rules of the migration 20261203001100_folded_email_keys, apart from its
 * SQL. Spellings that now share a key become one address: their master statuses merge (the most
 * restrictive wins: an opt-out is never lost), and the people of a subscribed spelling follow
 * the merged opt-out, each with an activity saying why.
 */
import { emailKey } from './email-key.js';
import { optOutsRecordedFrom, undoableByLink } from './acknowledged-opt-outs.js';
import { DEFAULT_PROTECTED_REASONS, protectedReasonMatcher } from './status-reasons.js';

/** Reason and source of what the re-keying changes (activities, the merge's history row). */
export const FOLD_REASON = 'Email key migration';

/** A stored master status: its key and whatever else the row holds (copied as it is). */
export interface StoredStatus {
  email_key: string;
  unsubscribed: boolean | number;
  reason: string | null;
  lead_id: number | null;
  changed_at: number | string;
  [column: string]: unknown;
}

/** A stored person holding an address. */
export interface StoredHolder {
  id: number;
  email: string;
  email_key: string;
  unsubscribed: boolean | number;
}

/** What one folded key needs. */
export interface FoldedAddress {
  key: string;
  /** The status to keep under `key` when it changes (merged or moved), else null. */
  status: StoredStatus | null;
  /** True when more than one stored spelling merged into `status`. */
  merged: boolean;
  /** Keys of statuses (and their history) that now read `key`. */
  renamedKeys: string[];
  /** People whose key becomes `key`. */
  rekeyed: number[];
  /** People who follow the merged opt-out (subscribed until now). */
  unsubscribed: number[];
  /**
   * The opt_outs_recorded_since `status` keeps when spellings merged (mergedRecordedSince);
   * undefined: the rows have no such column (before 20261204000200), or nothing merged.
   */
  recordedSince?: number | null;
}

/** Whether a reason is one only an operator may lift (PROTECTED_REASONS). */
export type ReasonProtection = (reason: string | null) => boolean;

const defaultProtection: ReasonProtection = protectedReasonMatcher(DEFAULT_PROTECTED_REASONS);

/**
 * How restrictive a status is, by who may lift it: a protected suppression (PROTECTED_REASONS:
 * an operator alone), then any other opt-out but a link page's own (an authenticated path),
 * then a link page's own unsubscribe (its undo, unauthenticated, may lift it), then a
 * subscription. Kept for spellings that merge, a page's unsubscribe would let its undo lift
 * the other spelling's opt-out made by another path.
 */
function rank(s: StoredStatus, isProtected: ReasonProtection): number {
  if (!s.unsubscribed) return 0;
  if (isProtected(s.reason)) return 3;
  const source = typeof s.source === 'string' ? s.source : '';
  return undoableByLink({ unsubscribed: true, source }) ? 1 : 2;
}

/** The status a set of spellings keeps: the most restrictive, then the latest, then the key's own. */
function mergedStatus(
  statuses: readonly StoredStatus[],
  key: string,
  isProtected: ReasonProtection = defaultProtection,
): StoredStatus {
  let best = statuses[0]!;
  for (const s of statuses.slice(1)) {
    const byRank = rank(s, isProtected) - rank(best, isProtected);
    const byTime = Number(s.changed_at) - Number(best.changed_at);
    if (
      byRank > 0 ||
      (byRank === 0 && byTime > 0) ||
      (byRank === 0 && byTime === 0 && s.email_key === key)
    )
      best = s;
  }
  return best;
}

/**
 * The opt_outs_recorded_since of merged statuses (`winner` the one kept): none when none has
 * one; else the latest, and when a spelling recorded no opt-outs (null) though another did,
 * at least what a first Salesforce opt-out sets now (optOutsRecordedFrom): the opt-outs other
 * paths acknowledged of that spelling left no trace, and an older Salesforce untick must not
 * lift them. Never earlier than any merged one: no untick one of them refused is let through.
 */
function mergedRecordedSince(
  statuses: readonly StoredStatus[],
  winner: StoredStatus,
  now: number,
): number | null {
  const since = statuses
    .map((s) => s.opt_outs_recorded_since)
    .filter((v): v is number | string => v !== null && v !== undefined)
    .map(Number);
  if (since.length === 0) return null;
  let latest = Math.max(...since);
  if (since.length < statuses.length) {
    const source = typeof winner.source === 'string' ? winner.source : '';
    latest = Math.max(
      latest,
      optOutsRecordedFrom({ unsubscribed: Boolean(winner.unsubscribed), source }, now),
    );
  }
  return latest;
}

/**
 * The plan for stored rows whose keys were made by the previous key function: `statuses` are
 * those with a non-ASCII key and those already under a key one of them folds to; `holders` the
 * people of those keys (any order, no repeats).
 */
export function planFoldedKeys(
  statuses: readonly StoredStatus[],
  holders: readonly StoredHolder[],
  isProtected: ReasonProtection = defaultProtection,
  now = Date.now(),
  keyOf: (raw: string) => string = emailKey,
): FoldedAddress[] {
  const groups = new Map<string, { statuses: StoredStatus[]; holders: StoredHolder[] }>();
  const group = (key: string) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { statuses: [], holders: [] }));
    return g;
  };
  for (const s of statuses) group(keyOf(s.email_key)).statuses.push(s);
  for (const h of holders) group(keyOf(h.email)).holders.push(h);

  const plans: FoldedAddress[] = [];
  for (const [key, g] of groups) {
    const renamedKeys = g.statuses.map((s) => s.email_key).filter((k) => k !== key);
    const merged = g.statuses.length > 1;
    const status = g.statuses.length > 0 ? mergedStatus(g.statuses, key, isProtected) : null;
    const optedOut = status !== null && Boolean(status.unsubscribed);
    const plan: FoldedAddress = {
      key,
      status: renamedKeys.length > 0 ? status : null,
      merged,
      renamedKeys,
      rekeyed: g.holders.filter((h) => h.email_key !== key).map((h) => h.id),
      // Never the other way: a person the previous keys held unsubscribed stays so.
      unsubscribed: optedOut ? g.holders.filter((h) => !h.unsubscribed).map((h) => h.id) : [],
    };
    if (merged && status && g.statuses.some((s) => 'opt_outs_recorded_since' in s))
      plan.recordedSince = mergedRecordedSince(g.statuses, status, now);
    if (plan.status || plan.rekeyed.length > 0 || plan.unsubscribed.length > 0) plans.push(plan);
  }
  return plans;
}

/** The key of the previous version (NFC, then lower case): what `down` restores. */
export function previousEmailKey(raw: string): string {
  return raw.trim().normalize('NFC').toLowerCase();
}
