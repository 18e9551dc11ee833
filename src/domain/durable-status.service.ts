import { masterStatus, masterStatuses, statusVersion } from './master-status.js';
import type {
  EmailStatusRecord,
  InvariantViolation,
  LeadRecord,
  PropagationActivity,
} from './records.js';
import type { CallDeadline, TransactionScope, Transactions, WriteScope } from './ports.js';
import { AppError, ErrorCode } from '../errors.js';
import { PROPAGATED_REASON, type ChangePath } from './change-paths.js';
import { masterChange, masterStatusSource, type MasterStatusChange } from './master-change.js';
import { emailKey, validateEmail } from './email-key.js';
import {
  DEFAULT_PROTECTED_REASONS,
  liftedText,
  protectedReasonMatcher,
  protectedWordFinder,
  refusedLift,
} from './status-reasons.js';
import { mustRecordOptOut, type OptOutStatement } from './acknowledged-opt-outs.js';
import { revealBeneath, type SalesforceOptOutBeneath } from './salesforce-beneath.js';
import {
  addressPage,
  addressReport,
  findViolations,
  peopleSharing,
  personWithStatus,
  type AddressPage,
  type AddressReport,
  type PersonWithStatus,
} from './address-views.js';

export type AddressChangeOutcome = { emailKey: string } & (
  | { outcome: 'unsubscribed' | 'resubscribed'; people: number; lifted: string | null }
  | { outcome: 'unchanged' }
  /** Lifting a protected reason needs `confirmProtected`; nothing was changed. */
  | { outcome: 'confirm'; reason: string }
  /** A lift of a suppression other than the one `seenVersion` names; nothing was changed. */
  | { outcome: 'changed_since' }
  /** Not lifted: the status now shows this Salesforce opt-out beneath it (salesforce-beneath.ts). */
  | { outcome: 'salesforce_beneath'; beneath: SalesforceOptOutBeneath }
);

const MAX_REASON = 1000;

/**
 * Master statuses the caller read already, and vouches for until its writes (a guarded write,
 * WriteScope.expect): what a re-subscribe reads of its address is taken from here.
 */
export type KnownStatuses = ReadonlyMap<string, EmailStatusRecord | null>;

export interface DurableStatusOptions {
  /** Told how many other people followed each master status change (for metrics). */
  onPropagation?: (people: number) => void;
  /** PROTECTED_REASONS: suppressions only an operator path may lift. */
  protectedReasons?: readonly string[];
  now?: () => number;
}

/**
 * The master email status: one answer per address to "may we email it?", kept apart from
 * the people so that deletes, re-creations and address changes cannot lose an unsubscribe.
 */
export class DurableStatusService {
  private readonly onPropagation: (people: number) => void;
  private readonly protectedMatch: (reason: string | null) => boolean;
  private readonly protectedFind: (reason: string | null) => string | null;
  /** PROTECTED_REASONS, lower case. */
  readonly protectedWords: readonly string[];
  private readonly now: () => number;

  constructor(
    private readonly transactions: Transactions,
    options: DurableStatusOptions = {},
  ) {
    this.onPropagation = options.onPropagation ?? (() => undefined);
    this.protectedWords = options.protectedReasons ?? DEFAULT_PROTECTED_REASONS;
    this.protectedMatch = protectedReasonMatcher(this.protectedWords);
    this.protectedFind = protectedWordFinder(this.protectedWords);
    this.now = options.now ?? Date.now;
  }

  /** Whether a suppression with this reason is one only an operator may lift. */
  isProtected(reason: string | null | undefined): boolean {
    return this.protectedMatch(reason ?? null);
  }

  /** The protected word a reason names (lower case), or null (protectedWordFinder). */
  protectedWord(reason: string | null): string | null {
    return this.protectedFind(reason);
  }

  /**
   * Whether an opt-out stated of a person unsubscribed already must be recorded although its
   * flag stays: at its address's status (mustRecord), or, for a person without an address (no
   * status keeps its opt-out: its own reason does), in its own reason when the one stated is
   * protected and its own is not (docs/security.md).
   */
  mustRecordForPerson(
    person: { email: string | null; reason: string | null },
    current: EmailStatusRecord | null | undefined,
    statement: Pick<OptOutStatement, 'optOut' | 'reason' | 'path'>,
  ): boolean {
    if (person.email !== null) return this.mustRecord(current, statement);
    return this.isProtected(statement.reason) && !this.isProtected(person.reason);
  }

  /**
   * Whether `statement`, an opt-out of an address whose status is `current`, must be recorded
   * although the address is unsubscribed already (acknowledged-opt-outs.ts).
   */
  mustRecord(
    current: EmailStatusRecord | null | undefined,
    statement: Pick<OptOutStatement, 'optOut' | 'reason' | 'path'>,
  ): boolean {
    return mustRecordOptOut(current, statement, masterStatusSource(statement.path), (r) =>
      this.isProtected(r),
    );
  }

  /**
   * An opt-out stated of an address that may be unsubscribed already (rule 7 leaves its people
   * as they are): recorded in the master status and its history when mustRecord says so;
   * nobody follows (everyone holding the address is unsubscribed). The caller holds the key's
   * lock. `known`: the status the caller read already, and vouches for. Returns whether it
   * was recorded.
   */
  async acknowledgeOptOut(
    repos: WriteScope,
    statement: OptOutStatement,
    known?: KnownStatuses,
  ): Promise<boolean> {
    const current = known?.has(statement.key)
      ? known.get(statement.key)
      : await masterStatus(repos.emailStatus, statement.key);
    if (!this.mustRecord(current, statement)) return false;
    const { status } = masterChange({ ...statement, unsubscribed: true });
    await repos.emailStatus.set({ ...status, recordedAt: statement.now });
    return true;
  }

  /** Throws refusedLift's error if `reason` is protected (status-reasons.ts). */
  refuseProtectedLift(reason: string | null, at: number | null, what?: string): void {
    if (this.isProtected(reason)) throw refusedLift(reason, at, what);
  }

  /** What the master status says of an address: unknown addresses are subscribed. */
  async isUnsubscribed(repos: WriteScope, key: string): Promise<boolean> {
    return (await masterStatus(repos.emailStatus, key))?.unsubscribed ?? false;
  }

  /**
   * Rules 1 and 2: the master status of `key` takes `unsubscribed`, and every other person
   * holding the address follows, whatever its partition. The caller holds the key's lock.
   * Returns how many other people changed.
   *
   * A re-subscribe records the suppression it lifts; one whose reason PROTECTED_REASONS names
   * is refused (LEAD_SYNC_FAILED, the caller's transaction undone) unless an operator asks.
   */
  async setMasterStatus(repos: WriteScope, change: MasterStatusChange): Promise<number> {
    const { status, activity } = await this.checkedChange(repos, change);
    const people = await repos.setStatusAndPropagate(status, change.causedBy, activity);
    this.onPropagation(people);
    return people;
  }

  /**
   * setMasterStatus for a caller that does not need the count: the writes go with the scope's
   * next statement where the store allows it (one message fewer on a SQLite file), in the same
   * order and with the same effect; the count reaches the metrics when they have run.
   */
  async queueMasterStatus(
    repos: WriteScope,
    change: MasterStatusChange,
    known?: KnownStatuses,
  ): Promise<void> {
    if (!repos.queueStatusAndPropagate) {
      await this.setMasterStatus(repos, change);
      return;
    }
    const { status, activity } = await this.checkedChange(repos, change, known);
    const { people } = await repos.queueStatusAndPropagate(status, change.causedBy, activity);
    void people.then(this.onPropagation);
  }

  /** The status and activity of `change`, or the refusal of a protected re-subscribe. */
  private async checkedChange(
    repos: WriteScope,
    change: MasterStatusChange,
    known?: KnownStatuses,
  ): Promise<{ status: EmailStatusRecord; activity: PropagationActivity }> {
    let lifted: { liftedReason: string | null; liftedAt: number } | null = null;
    if (!change.unsubscribed) {
      const current = known?.has(change.key)
        ? known.get(change.key)
        : await masterStatus(repos.emailStatus, change.key);
      if (current?.unsubscribed) {
        if (!change.path.operator)
          this.refuseProtectedLift(current.reason, current.changedAt, 'the address');
        lifted = { liftedReason: current.reason, liftedAt: current.changedAt };
      }
    }
    return masterChange(change, lifted);
  }

  /**
   * Rules 1 and 2 for an unsubscribe that no person caused (an unsubscribe link): setMasterStatus,
   * unless the address is unsubscribed already (a replay changes nothing). The address's lock,
   * that check and the writes are one step of the store: one round trip on PostgreSQL.
   */
  async unsubscribeOnce(
    repos: TransactionScope,
    change: { key: string; path: ChangePath; reason: string | null; now: number },
  ): Promise<{ changed: boolean; people: number; changedAt: number }> {
    const { status, activity } = masterChange({ ...change, unsubscribed: true, causedBy: null });
    const result = await repos.leads.unsubscribeAddressOnce(status, activity);
    if (result.changed) this.onPropagation(result.people);
    return result;
  }

  /**
   * Rules 1 and 2 for many addresses at once (suppression lists): each address not already
   * unsubscribed takes an unsubscribed master status, with the reason and source its entry
   * gives, and every person holding it follows. Addresses already unsubscribed are left as
   * they are, with no new history. A dry run writes nothing and counts who would follow.
   * The caller holds the keys' locks.
   */
  async suppressAddresses(
    repos: TransactionScope,
    entries: ReadonlyArray<{ key: string; reason: string | null; source: string; at: number }>,
    path: ChangePath,
    options: { recordedAt: number; now: number; dryRun: boolean },
  ): Promise<{ suppressed: number; already: number; people: number }> {
    // An address whose opt-out stands under its joined key (master-status.ts) is unsubscribed
    // already, as every rule reads it: its own row written as a fresh suppression would put
    // the list's reason in place of the kept one, a complaint's protection lost with it.
    const listed = entries.map((e) => e.key);
    const own = await repos.emailStatus.getMany(listed);
    const current = await masterStatuses(repos.emailStatus, listed, own);
    const record = (e: (typeof entries)[number]): EmailStatusRecord => ({
      emailKey: e.key,
      unsubscribed: true,
      reason: e.reason ?? path.reason,
      // Who ran the import, as setMasterStatus records the actor of every other path.
      source: masterStatusSource({ ...path, source: e.source }),
      leadId: null,
      changedAt: e.at,
      recordedAt: options.recordedAt,
    });
    const fresh = entries.filter((e) => current.get(e.key)?.unsubscribed !== true).map(record);
    // Already unsubscribed, but the list gives a protected reason the status lacks, or the
    // status is a link's own unsubscribe: it is recorded (acknowledged-opt-outs.ts), or the
    // list's opt-out would stay liftable. Nobody follows: everyone holding it is unsubscribed.
    const hardened = entries
      .filter((e) =>
        this.mustRecord(current.get(e.key), {
          optOut: true,
          reason: e.reason,
          path: { ...path, source: e.source },
        }),
      )
      .map((e) => ({ ...record(e), changedAt: Math.max(e.at, current.get(e.key)!.changedAt) }));
    const result = { suppressed: fresh.length, already: entries.length - fresh.length, people: 0 };
    const keys = fresh.map((f) => f.emailKey);
    if (options.dryRun) {
      const holders = await repos.leads.findByEmailKeys(keys);
      result.people = holders.filter((l) => !l.unsubscribed).length;
      return result;
    }
    // Set-based: one status write and one propagation for the whole list, not one per address.
    await repos.emailStatus.setMany([...fresh, ...hardened]);
    result.people = await repos.leads.propagateUnsubscribedMany(keys, true, options.now, {
      attributeName: 'Unsubscribed',
      reason: PROPAGATED_REASON,
      source: path.source,
      actor: path.actor ?? null,
    });
    this.onPropagation(result.people);
    return result;
  }

  /** The invariant: every person with an address agrees with its master status. */
  async findViolations(limit = 1000): Promise<InvariantViolation[]> {
    return findViolations(this.transactions, limit);
  }

  /** A person and its address's status as they stood together (address-views.ts). */
  async personWithStatus(leadId: number): Promise<PersonWithStatus> {
    return personWithStatus(this.transactions, leadId);
  }

  async explain(address: string): Promise<AddressReport> {
    return addressReport(this.transactions, address);
  }

  /**
   * Suppresses or lifts an address by an operator's hand (console, command line), even if
   * nobody holds it: the master status changes and every person holding the address follows,
   * in every partition. A reason is required; lifting a protected reason (PROTECTED_REASONS)
   * needs `confirmProtected`. A lift says what it lifted ("lifted a complaint suppression of
   * 2026-03-01").
   */
  async setAddressStatus(change: {
    address: string;
    unsubscribed: boolean;
    path: ChangePath;
    reason: string;
    confirmProtected: boolean;
    /**
     * A lift only: the statusVersion of the suppression the operator was shown. Another one
     * there now (an opt-out recorded since) is not lifted: outcome changed_since.
     */
    seenVersion?: string;
    now?: number;
    /** The request's (CallDeadline): past it, not written unless already committing. */
    deadline?: CallDeadline;
  }): Promise<AddressChangeOutcome> {
    const key = emailKey(validateEmail(change.address));
    const reason = change.reason.trim();
    if (reason === '' || reason.length > MAX_REASON)
      throw new AppError(
        ErrorCode.BAD_PARAMETER,
        `A reason of 1 to ${MAX_REASON} characters is required`,
      );
    // eslint-disable-next-line no-control-regex -- PostgreSQL cannot store NUL; SQLite would.
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(reason))
      throw new AppError(ErrorCode.BAD_PARAMETER, 'The reason holds a control character');
    return this.transactions.write(
      async (repos) => {
        await repos.lockEmailKeys([key]);
        const current = await masterStatus(repos.emailStatus, key);
        const now = change.now ?? this.now();
        if (
          change.unsubscribed &&
          this.mustRecord(current, { optOut: true, reason, path: change.path })
        ) {
          // As an import does: recorded on an address already unsubscribed (acknowledged-opt-outs.ts).
          await repos.emailStatus.setMany([
            {
              ...masterChange({ ...change, key, causedBy: null, reason, now }).status,
              recordedAt: now,
            },
          ]);
          return { outcome: 'unsubscribed', emailKey: key, people: 0, lifted: null };
        }
        if ((current?.unsubscribed ?? false) === change.unsubscribed)
          return { outcome: 'unchanged', emailKey: key };
        if (!change.unsubscribed && this.isProtected(current?.reason) && !change.confirmProtected)
          return { outcome: 'confirm', emailKey: key, reason: current!.reason! };
        // Another suppression than the one the operator's page showed, recorded since: not lifted
        // (a protected one asks for the tick first, above: the page shown again shows it).
        if (
          !change.unsubscribed &&
          change.seenVersion !== undefined &&
          change.seenVersion !== statusVersion(current)
        )
          return { outcome: 'changed_since', emailKey: key };
        const p = { isProtected: this.protectedMatch, liftsProtected: change.confirmProtected };
        const beneath = !change.unsubscribed && (await revealBeneath(repos, key, current, now, p));
        if (beneath) return { outcome: 'salesforce_beneath', emailKey: key, beneath };
        const people = await this.setMasterStatus(repos, {
          key,
          unsubscribed: change.unsubscribed,
          causedBy: null,
          path: change.path,
          reason,
          now,
        });
        const lifted =
          !change.unsubscribed && current
            ? liftedText({ liftedReason: current.reason, liftedAt: current.changedAt })
            : null;
        return {
          outcome: change.unsubscribed ? 'unsubscribed' : 'resubscribed',
          emailKey: key,
          people,
          lifted,
        };
      },
      change.deadline && { deadline: change.deadline },
    );
  }

  /** The people sharing a person's address (not the person), a first page and the counts. */
  async sharing(
    address: string,
    exceptLeadId: number,
    limit: number,
  ): Promise<{ people: LeadRecord[]; count: number; partitions: number }> {
    return peopleSharing(this.transactions, address, exceptLeadId, limit);
  }

  /** The address page: status, history newest first and people in id order, each paged. */
  async addressPage(
    address: string,
    options: { historyBefore: number | null; peopleAfter: number; limit: number },
  ): Promise<AddressPage> {
    return addressPage(this.transactions, address, options, (reason) => this.isProtected(reason));
  }
}
