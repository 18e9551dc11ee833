/**
 * The rules every path shares, for the reference model of durable-model.ts: the master status of
 * each address key and its rules, and a person's create, change and merge.
 */
import {
  byPerson,
  isProtected,
  joinedOf,
  keyOf,
  PATHS,
  PROPAGATED,
  RECENT,
  Refused,
  RESET,
  type MChange,
  type MLogged,
  type MLead,
  type MPath,
  type MStatus,
  type PageRef,
} from './durable-model-terms.js';

/**
 * The state the rules keep and the rules every path shares: the master status of each address
 * key (rules 1 and 2, the protected reasons, the opt-outs kept under joined keys), a person's
 * create, change and merge (rules 3, 5, 6, 7), each flag and address change logged.
 */
export class RuleModel {
  leads = new Map<number, MLead>();
  master = new Map<string, MStatus>();
  /**
   * The opt-outs kept under joined keys (as migration 20261206004000 left them): each counts
   * for every spelling of its joined key that has no status of its own; nothing changes them.
   */
  kept = new Map<string, MStatus>();
  /** Salesforce: the fields last reported for each record. */
  reported = new Map<string, Record<string, string>>();
  /** Salesforce: the latest modstamp applied for each record. */
  appliedAt = new Map<string, number>();
  /** Salesforce: when each record's last report was applied (`clock`). */
  reportedAt = new Map<string, number>();
  /** When each address was last made subscribed (`clock`). */
  subscribedAt = new Map<string, number>();
  /** Orders the reports and the re-subscribes above. */
  clock = 0;
  /** Every person's flag and address changes, in the order made (their activities' order). */
  log: MLogged[] = [];
  /** The operation running (MLogged.step). */
  step = 0;

  /** A copy of the whole state, of the same class. */
  clone(): this {
    const m = new (this.constructor as new () => this)();
    for (const [id, l] of this.leads) m.leads.set(id, { ...l });
    for (const [k, s] of this.master) m.master.set(k, { ...s });
    for (const [k, s] of this.kept) m.kept.set(k, { ...s });
    for (const [r, f] of this.reported) m.reported.set(r, { ...f });
    for (const [r, a] of this.appliedAt) m.appliedAt.set(r, a);
    for (const [r, a] of this.reportedAt) m.reportedAt.set(r, a);
    for (const [k, a] of this.subscribedAt) m.subscribedAt.set(k, a);
    m.clock = this.clock;
    m.log = this.log.map((c) => ({ ...c }));
    m.step = this.step;
    return m;
  }

  /** `lead`'s flag set to `to` by `path`, logged with `why` when it changes (rule 7). */
  private flag(lead: MLead, to: boolean, why: string, path: MPath): void {
    if (lead.unsub !== to)
      this.log.push({
        lead: lead.id,
        step: this.step,
        attribute: 'Unsubscribed',
        from: String(lead.unsub),
        to: String(to),
        why,
        source: path.source,
      });
    lead.unsub = to;
  }

  /** The person `from` is `to` now (its id known only once created): its log too. */
  renumber(from: number, to: number): void {
    const lead = this.leads.get(from)!;
    this.leads.delete(from);
    this.leads.set(to, { ...lead, id: to });
    for (const c of this.log) if (c.lead === from) c.lead = to;
  }

  /**
   * The master status every rule reads: the address's own, or else the opt-out kept under its
   * joined key when that differs. A copy of a kept one: no rule changes it.
   */
  statusAt(key: string): MStatus | undefined {
    const own = this.master.get(key);
    if (own) return own;
    const joined = joinedOf(key);
    const kept = joined === key ? undefined : this.kept.get(joined);
    return kept ? { ...kept } : undefined;
  }

  statusOf(key: string): boolean {
    return this.statusAt(key)?.unsub ?? false;
  }

  holders(key: string): MLead[] {
    return [...this.leads.values()].filter((l) => l.key === key);
  }

  /** Rules 1 and 2: the master status, and every holder of the address follows. */
  setMaster(
    key: string,
    unsub: boolean,
    prot: boolean,
    page: PageRef | null,
    path: MPath,
    at = RECENT,
  ): void {
    const sf = path.salesforce === true;
    const sfSince = this.statusAt(key)?.sfSince ?? null;
    if (!unsub) this.subscribedAt.set(key, ++this.clock);
    this.master.set(key, {
      unsub,
      prot: unsub && prot,
      page: unsub ? page : null,
      at,
      sf,
      sfSince,
      person: byPerson(path),
    });
    for (const h of this.holders(key)) this.flag(h, unsub, PROPAGATED, path);
  }

  /**
   * The Salesforce record whose opt-out stands beneath `key`'s status, another path's
   * (salesforce-beneath.ts): last reported opted out with the address, since it was last
   * subscribed; null: none.
   */
  beneath(key: string): string | null {
    const cur = this.statusAt(key);
    if (!cur?.unsub || cur.sf) return null;
    const since = this.subscribedAt.get(key) ?? 0;
    for (const [record, fields] of this.reported)
      if (
        fields.Unsubscribed === 'true' &&
        fields.Email !== undefined &&
        keyOf(fields.Email) === key &&
        (this.reportedAt.get(record) ?? 0) > since
      )
        return record;
    return null;
  }

  /**
   * An operator's lift of `key` that finds beneath(key): the status becomes Salesforce's
   * opt-out instead (nobody follows: all are unsubscribed). A complaint the lift was not
   * confirmed for is not looked beneath (its refusal comes first).
   * Returns whether it did.
   */
  reveal(key: string, liftsProtected: boolean): boolean {
    if (this.statusAt(key)?.prot === true && !liftsProtected) return false;
    if (this.beneath(key) === null) return false;
    this.setMaster(key, true, false, null, PATHS.salesforce);
    return true;
  }

  /** Rule 2 by a path: a protected suppression is lifted only by an operator. */
  lift(key: string, path: MPath): void {
    const cur = this.statusAt(key);
    if (cur?.unsub && cur.prot && !path.operator) throw new Refused(`protected ${key}`);
    this.setMaster(key, false, false, null, path);
  }

  /**
   * An opt-out stated of an address unsubscribed already: kept when it adds a protected reason,
   * or takes a page's undoable unsubscribe over (security.md, "acknowledged twice"), or one a
   * late Salesforce untick could lift, or is a person's own over an operator's or an import's
   * suppression (which an operator's lift would otherwise undo). Returns whether it was recorded.
   */
  acknowledge(
    key: string,
    optOut: boolean,
    reason: string | null,
    path: MPath,
    at = RECENT,
  ): boolean {
    const cur = this.statusAt(key);
    if (!cur?.unsub) return false;
    const given = reason ?? path.reason;
    const recorded = {
      at: Math.max(at, cur.at),
      sf: path.salesforce === true,
      sfSince: cur.sfSince,
      person: byPerson(path),
    };
    if (!cur.prot && isProtected(given)) {
      this.master.set(key, { unsub: true, prot: true, page: null, ...recorded });
      return true;
    }
    // A page's undoable unsubscribe, or Salesforce's, or any of an address a Salesforce record
    // of which was reported opted out (which a late untick could lift): taken over by another
    // path's opt-out, unless protected already.
    if (
      optOut &&
      !cur.prot &&
      (cur.page ||
        ((cur.sf || cur.sfSince !== null) && !path.salesforce) ||
        // A person's own opt-out (not Salesforce's) over an operator's or an import's.
        (!cur.person && byPerson(path) && !path.salesforce))
    ) {
      this.master.set(key, { unsub: true, prot: isProtected(given), page: null, ...recorded });
      return true;
    }
    return false;
  }

  /** Rule 3 (and rule 1 for a create that opts out). */
  create(
    id: number,
    change: MChange,
    partition: string,
    path: MPath,
    foreignId: string | null,
  ): MLead {
    const email = change.email ? change.email.trim() : null;
    const key = email === null ? null : keyOf(email);
    const requested = change.unsub === true;
    const reason = change.reason ?? null;
    const lead: MLead = {
      id,
      email,
      key,
      partition,
      unsub: requested,
      reason,
      foreignId,
      people: 1,
    };
    this.leads.set(id, lead);
    if (key !== null) {
      if (requested && !this.statusOf(key))
        this.setMaster(key, true, isProtected(reason ?? path.reason), null, path);
      else if (this.statusOf(key)) {
        this.flag(lead, true, RESET, path);
        if (requested || reason !== null) this.acknowledge(key, requested, reason, path);
      }
    }
    return lead;
  }

  /** Rules 5, 6, 7 and 1/2 for a change of an existing person. */
  update(lead: MLead, change: MChange, path: MPath): void {
    // Without an address once the change's address step is made (rule 6): none given, or the
    // one it had taken away.
    const without = change.email === undefined ? lead.key === null : !change.email?.trim();
    // A person's own protected opt-out without an address: an operator's alone to lift.
    if ((lead.key === null || without) && lead.unsub && change.unsub === false && !path.operator)
      if (isProtected(lead.reason)) throw new Refused(`protected person ${lead.id}`);
    // Nor replaced by a reason that is not protected while it stays without an address.
    if (without && lead.unsub && !path.operator)
      if (change.reason !== undefined && isProtected(lead.reason) && !isProtected(change.reason))
        throw new Refused(`protected reason of person ${lead.id}`);
    let carried: string | null = null;
    const moved: string[] = [];
    if (change.email !== undefined) {
      const email = change.email === null ? null : change.email.trim();
      if (email !== lead.email) {
        this.log.push({
          lead: lead.id,
          step: this.step,
          attribute: 'Email Address',
          from: lead.email,
          to: email,
          why: path.reason,
          source: path.source,
        });
        const key = email === null ? null : keyOf(email);
        if (key !== null && key !== lead.key) {
          const carries = lead.key === null && lead.unsub;
          if (carries && !this.statusOf(key)) {
            this.setMaster(key, true, isProtected(lead.reason ?? path.reason), null, path);
            moved.push(key);
          } else if (carries) carried = lead.reason ?? '';
          else this.flag(lead, this.statusOf(key), RESET, path);
        }
        lead.email = email;
        lead.key = key;
      }
    }
    const reason = change.reason ?? null;
    const key = lead.key;
    if (change.unsub !== undefined && change.unsub !== lead.unsub) {
      this.flag(lead, change.unsub, path.reason, path);
      if (key !== null) {
        // A complaint given to the person before its own unsubscribe, in another call, is
        // that opt-out's reason when the unsubscribe gives none.
        const kept = change.reason === undefined && isProtected(lead.reason);
        if (change.unsub)
          this.setMaster(key, true, kept || isProtected(reason ?? path.reason), null, path);
        else this.lift(key, path);
      }
    } else if (
      lead.unsub &&
      key !== null &&
      (change.unsub === true || reason !== null || carried !== null)
    ) {
      // Every reason stated is stated at the address: the one the change gives, and the
      // person's own that its opt-out carries there.
      if (moved.includes(key)) {
        if (reason !== null) this.acknowledge(key, false, reason, path);
      } else if (carried && reason !== null && reason !== carried) {
        this.acknowledge(key, true, carried, path);
        this.acknowledge(key, false, reason, path);
      } else {
        const optOut = change.unsub === true || carried !== null;
        // The person's own complaint, given before, is stated with an opt-out that gives none.
        const kept = optOut && change.reason === undefined && carried === null;
        const own = kept && isProtected(lead.reason) ? lead.reason : null;
        this.acknowledge(key, optOut, reason ?? own ?? (carried || null), path);
      }
    }
    if (reason !== null) lead.reason = reason;
  }

  /** mergeLeads: losers deleted, the winner's empty address and flag filled from them. */
  merge(winner: MLead, losers: readonly MLead[], path: MPath): void {
    for (const l of losers) {
      this.leads.delete(l.id);
      winner.people += l.people;
    }
    // Their history moves to the winner.
    const ids = new Set(losers.map((l) => l.id));
    for (const c of this.log) if (ids.has(c.lead)) c.lead = winner.id;
    const change: MChange = {};
    const donor = losers.find((l) => l.email !== null);
    if (winner.key === null && donor) change.email = donor.email;
    // A loser's opt-out without an address has no master status to keep it: the winner does,
    // stated also to a winner unsubscribed already (acknowledged at its address).
    const carried = losers.filter((l) => l.email === null && l.unsub);
    if (carried.length > 0) change.unsub = true;
    // With its reason: a protected one first, unless the winner's own is protected.
    const reasons = carried.map((l) => l.reason).filter((r): r is string => !!r);
    const guarded = reasons.find(isProtected);
    if (!isProtected(winner.reason) && guarded !== undefined) change.reason = guarded;
    else if (!winner.reason && reasons[0] !== undefined) change.reason = reasons[0];
    const fid = losers.find((l) => l.foreignId !== null);
    if (winner.foreignId === null && fid) winner.foreignId = fid.foreignId;
    this.update(winner, change, path);
  }
}
