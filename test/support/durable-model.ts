/**
 * A reference model of the durable unsubscribe rules (rules 1 to 8 of docs/how-it-works.md, the
 * protected reasons of docs/security.md), written from the rules, not from src/: the master
 * status of each address key, each person's flag, the protected reasons and the link page's
 * undo. The property test (test/integration/durable-model.test.ts) drives the real entry points
 * and compares the store with this model after every step. Plain data, cloned whole before each
 * change so that a refused request (or a refused record of a batch) leaves it as it was.
 * The rules every path shares are in durable-model-rules.ts; here, what the other paths add:
 * suppression lists, the console's address form, the link and its page, Salesforce's
 * notifications.
 */
import { RuleModel } from './durable-model-rules.js';
import {
  isProtected,
  keyOf,
  PATHS,
  RECENT,
  type MChange,
  type MLead,
  type PageRef,
} from './durable-model-terms.js';

/**
 * SFDC_CLOCK_MARGIN_SECONDS's default (README): an opt-out here stamped up to this long before
 * an untick's modstamp counts as newer than it.
 */
const CLOCK_MARGIN_MS = 60000;

export * from './durable-model-terms.js';

export class Model extends RuleModel {
  /** A suppression list: each address unsubscribed, or its opt-out acknowledged. */
  suppress(rows: ReadonlyArray<{ email: string; reason?: string; at?: number }>): void {
    const seen = new Set<string>();
    for (const r of rows) {
      const key = keyOf(r.email);
      const reason = r.reason ?? null;
      // "duplicate of an earlier line", unless its reason is protected: then it is imported.
      if (seen.has(key) && !isProtected(reason)) continue;
      seen.add(key);
      if (!this.statusOf(key))
        this.setMaster(
          key,
          true,
          isProtected(reason ?? PATHS.import.reason),
          null,
          PATHS.import,
          r.at,
        );
      else this.acknowledge(key, true, reason, PATHS.import, r.at ?? RECENT);
    }
  }

  /** The console's address form (setAddressStatus); returns its outcome. */
  addressStatus(
    email: string,
    unsub: boolean,
    reason: string,
    confirm: boolean,
    source = 'Address status',
  ): string {
    const key = keyOf(email);
    const cur = this.statusAt(key);
    const path = { reason, source, operator: true };
    if (unsub && cur?.unsub) {
      return this.acknowledge(key, true, reason, path) ? 'unsubscribed' : 'unchanged';
    }
    if ((cur?.unsub ?? false) === unsub) return 'unchanged';
    if (!unsub && cur?.prot && !confirm) return 'confirm';
    if (!unsub && this.reveal(key, true)) return 'salesforce_beneath';
    this.setMaster(key, unsub, unsub && isProtected(reason), null, path);
    return unsub ? 'unsubscribed' : 'resubscribed';
  }

  /**
   * A link's POST (one-click, or the page's button `onPage`): whether it changed the status and,
   * on the page, offered its undo (none right after a link's undo: its proof then matches none).
   */
  linkUnsubscribe(email: string, page: PageRef | null, onPage = false): boolean {
    const key = keyOf(email);
    if (!this.statusOf(key)) {
      const offered = !onPage || this.statusAt(key)?.undone !== true;
      this.setMaster(key, true, false, onPage ? (page ?? { url: '', code: '' }) : null, PATHS.link);
      return offered;
    }
    this.acknowledge(key, true, null, PATHS.link);
    return false;
  }

  /** The page's undo: only its own unsubscribe, still the address's status, unprotected. */
  undo(email: string, page: PageRef): 'resubscribed' | 'already' | 'refused' {
    const key = keyOf(email);
    const cur = this.statusAt(key);
    if (!cur?.unsub) return 'already';
    if (cur.prot || cur.page !== page) return 'refused';
    if (this.holders(key).some((h) => isProtected(h.reason))) return 'refused';
    this.setMaster(key, false, false, null, PATHS.linkUndo);
    this.master.get(key)!.undone = true;
    return 'resubscribed';
  }

  /**
   * After a notification of `recordId` applied: if it is reported opted out, its address's
   * opt-outs are recorded from now on (from always when none can have been left out: the
   * status is subscribed, Salesforce's or a page's).
   */
  markSalesforceOptOut(recordId: string): void {
    if (this.reported.get(recordId)?.Unsubscribed !== 'true') return;
    const lead = [...this.leads.values()].find((l) => l.foreignId === recordId);
    if (lead?.key == null) return;
    const status = this.statusAt(lead.key);
    if (!status || status.sfSince !== null) return;
    // A kept opt-out becomes the address's own, as it stands, to bear the mark.
    status.sfSince = status.unsub && !status.sf && !status.page ? RECENT : 0;
    this.master.set(lead.key, status);
  }

  /**
   * A Salesforce notification: STALE (nothing applied) when its modstamp is older than one
   * applied to the record; else the fields that changed since the record's last report; an
   * untick only once Salesforce was seen to tick, and never over a newer opt-out made here by
   * another path (newer by SFDC_CLOCK_MARGIN_SECONDS's default: stamped up to it before); a move keeps the record's opt-out (the box sent, or else last reported).
   * Returns the person it applies to, or null when it creates one (`create` then).
   */
  salesforceChange(
    recordId: string,
    fields: Record<string, string>,
    modstamp: number | null,
  ): { stale: true } | { lead: MLead | null; change: MChange } {
    const appliedAt = this.appliedAt.get(recordId);
    if (modstamp !== null && appliedAt !== undefined && modstamp < appliedAt)
      return { stale: true };
    if (modstamp !== null) this.appliedAt.set(recordId, Math.max(modstamp, appliedAt ?? modstamp));
    this.reportedAt.set(recordId, ++this.clock);
    const reported = this.reported.get(recordId) ?? {};
    const lead = [...this.leads.values()].find((l) => l.foreignId === recordId) ?? null;
    let applied: Record<string, string>;
    let tied = false;
    if (!lead) applied = { ...reported, ...fields };
    else {
      applied = {};
      for (const [n, v] of Object.entries(fields)) if (reported[n] !== v) applied[n] = v;
      if (applied.Unsubscribed === 'false' && reported.Unsubscribed !== 'true')
        delete applied.Unsubscribed;
      // The record's opt-out: the box when sent, else the record's last report.
      if (applied.Email !== undefined && (fields.Unsubscribed ?? reported.Unsubscribed) === 'true')
        applied.Unsubscribed = 'true';
      // An untick of the modstamp the record was last applied at cannot be told from one
      // made before its opt-out: the opt-out stands, moving with the record's address.
      tied = modstamp !== null && modstamp === appliedAt && applied.Unsubscribed === 'false';
      if (tied && applied.Email !== undefined) applied.Unsubscribed = 'true';
      else if (tied) delete applied.Unsubscribed;
      const email = applied.Email ?? lead.email;
      const status = email === null ? undefined : this.statusAt(keyOf(email));
      if (
        applied.Unsubscribed === 'false' &&
        modstamp !== null &&
        status?.unsub &&
        ((status.at > modstamp - CLOCK_MARGIN_MS && !status.sf) ||
          (status.sfSince !== null &&
            status.sfSince > 0 &&
            modstamp < status.sfSince + CLOCK_MARGIN_MS))
      )
        delete applied.Unsubscribed;
    }
    const change: MChange = {};
    if (applied.Email !== undefined) change.email = applied.Email;
    if (applied.Unsubscribed !== undefined) change.unsub = applied.Unsubscribed === 'true';
    this.reported.set(recordId, {
      ...reported,
      ...fields,
      ...(tied ? { Unsubscribed: 'true' } : {}),
    });
    return { lead, change };
  }
}
