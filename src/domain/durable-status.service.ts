import type {
  EmailStatusHistoryRecord,
  EmailStatusRecord,
  InvariantViolation,
  LeadRecord,
} from './records.js';
import type { Repositories, UnitOfWork } from '../data-access/unit-of-work.js';
import type { WriteScope } from './ports.js';
import { AppError, ErrorCode } from '../errors.js';
import { PROPAGATED_REASON, type ChangePath } from './change-paths.js';
import { emailKey, validateEmail } from './email-key.js';

/** The source column of a master status change made by `path`. */
export function masterStatusSource(path: ChangePath): string {
  // The column holds 128 characters; a long actor name is cut, never a failed write.
  return (path.actor ? `${path.source} (${path.actor})` : path.source).slice(0, 128);
}

export interface AddressReport {
  emailKey: string;
  status: EmailStatusRecord | null;
  history: EmailStatusHistoryRecord[];
  leads: LeadRecord[];
}

export const DEFAULT_PROTECTED_REASONS: readonly string[] = ['complaint'];

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether a suppression's reason names one of `words` (PROTECTED_REASONS): as whole words, in
 * any case, a plural s included ("Spam complaints" names "complaint").
 */
export function protectedReasonMatcher(
  words: readonly string[],
): (reason: string | null) => boolean {
  if (words.length === 0) return () => false;
  const pattern = new RegExp(
    `(?<![\\p{L}\\p{N}])(?:${words.map((w) => escapeRegExp(w.toLowerCase())).join('|')})s?(?![\\p{L}\\p{N}])`,
    'u',
  );
  return (reason) => reason !== null && pattern.test(reason.toLowerCase());
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** "a complaint suppression of 2026-03-01": what a re-subscribe lifted, for people to read. */
export function liftedText(status: { liftedReason?: string | null; liftedAt?: number | null }) {
  if (status.liftedAt === null || status.liftedAt === undefined) return null;
  const reason = status.liftedReason?.trim();
  const article = reason && /^[aeiou]/i.test(reason) ? 'an' : 'a';
  return `lifted ${reason ? `${article} ${reason} suppression` : 'a suppression'} of ${day(status.liftedAt)}`;
}

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
  private readonly isProtected: (reason: string | null) => boolean;
  private readonly now: () => number;

  constructor(
    private readonly uow: UnitOfWork,
    options: DurableStatusOptions = {},
  ) {
    this.onPropagation = options.onPropagation ?? (() => undefined);
    this.isProtected = protectedReasonMatcher(
      options.protectedReasons ?? DEFAULT_PROTECTED_REASONS,
    );
    this.now = options.now ?? Date.now;
  }

  /** What the master status says of an address: unknown addresses are subscribed. */
  async isUnsubscribed(repos: WriteScope, key: string): Promise<boolean> {
    return (await repos.emailStatus.get(key))?.unsubscribed ?? false;
  }

  /**
   * Rules 1 and 2: the master status of `key` takes `unsubscribed`, and every other person
   * holding the address follows, whatever its partition. The caller holds the key's lock.
   * Returns how many other people changed.
   *
   * A re-subscribe records the suppression it lifts; one whose reason PROTECTED_REASONS names
   * is refused (LEAD_SYNC_FAILED, the caller's transaction undone) unless an operator asks.
   */
  async setMasterStatus(
    repos: WriteScope,
    change: {
      key: string;
      unsubscribed: boolean;
      causedBy: number | null;
      path: ChangePath;
      reason: string | null;
      now: number;
    },
  ): Promise<number> {
    let lifted: { liftedReason: string | null; liftedAt: number } | null = null;
    if (!change.unsubscribed) {
      const current = await repos.emailStatus.get(change.key);
      if (current?.unsubscribed) {
        if (!change.path.operator && this.isProtected(current.reason)) {
          throw new AppError(
            ErrorCode.LEAD_SYNC_FAILED,
            `Not re-subscribed: the address was unsubscribed on ${day(current.changedAt)} for "${(current.reason ?? '').slice(0, 100)}", a reason in PROTECTED_REASONS; only an operator (person page or command line) may lift it`,
          );
        }
        lifted = { liftedReason: current.reason, liftedAt: current.changedAt };
      }
    }
    const status = {
      emailKey: change.key,
      unsubscribed: change.unsubscribed,
      reason: change.reason ?? change.path.reason,
      source: masterStatusSource(change.path),
      leadId: change.causedBy,
      changedAt: change.now,
      ...lifted,
    };
    const activity = {
      attributeName: 'Unsubscribed',
      reason: PROPAGATED_REASON,
      source: change.path.source,
    };
    const people = await repos.setStatusAndPropagate(status, change.causedBy, activity);
    this.onPropagation(people);
    return people;
  }

  /**
   * Suppresses or lifts one address, whether or not anyone holds it yet (an operator's
   * decision): the master status changes and everyone holding the address follows, as on
   * every other path. Nothing is written when the address is already in that state. A lift
   * says what it lifted ("lifted a complaint suppression of 2026-03-01").
   */
  async setAddressStatus(
    address: string,
    unsubscribed: boolean,
    path: ChangePath,
    reason: string | null,
    now: number = this.now(),
  ): Promise<{ emailKey: string; changed: boolean; people: number; lifted: string | null }> {
    const key = emailKey(validateEmail(address));
    return this.uow.write(async (repos) => {
      await repos.lockEmailKeys([key]);
      const current = await repos.emailStatus.get(key);
      if ((current?.unsubscribed ?? false) === unsubscribed)
        return { emailKey: key, changed: false, people: 0, lifted: null };
      const people = await this.setMasterStatus(repos, {
        key,
        unsubscribed,
        causedBy: null,
        path,
        reason,
        now,
      });
      const lifted =
        !unsubscribed && current
          ? liftedText({ liftedReason: current.reason, liftedAt: current.changedAt })
          : null;
      return { emailKey: key, changed: true, people, lifted };
    });
  }

  /**
   * Rules 1 and 2 for many addresses at once (suppression lists): each address not already
   * unsubscribed takes an unsubscribed master status, with the reason and source its entry
   * gives, and every person holding it follows. Addresses already unsubscribed are left as
   * they are, with no new history. A dry run writes nothing and counts who would follow.
   * The caller holds the keys' locks.
   */
  async suppressAddresses(
    repos: Repositories,
    entries: ReadonlyArray<{ key: string; reason: string | null; source: string; at: number }>,
    path: ChangePath,
    options: { recordedAt: number; now: number; dryRun: boolean },
  ): Promise<{ suppressed: number; already: number; people: number }> {
    const current = await repos.emailStatus.getMany(entries.map((e) => e.key));
    const fresh: EmailStatusRecord[] = entries
      .filter((e) => current.get(e.key)?.unsubscribed !== true)
      .map((e) => ({
        emailKey: e.key,
        unsubscribed: true,
        reason: e.reason ?? path.reason,
        // Who ran the import, as setMasterStatus records the actor of every other path.
        source: masterStatusSource({ ...path, source: e.source }),
        leadId: null,
        changedAt: e.at,
        recordedAt: options.recordedAt,
      }));
    const result = { suppressed: fresh.length, already: entries.length - fresh.length, people: 0 };
    const keys = fresh.map((f) => f.emailKey);
    if (options.dryRun) {
      const holders = await repos.leads.findByEmailKeys(keys);
      result.people = holders.filter((l) => !l.unsubscribed).length;
      return result;
    }
    // Set-based: one status write and one propagation for the whole list, not one per address.
    await repos.emailStatus.setMany(fresh);
    result.people = await repos.leads.propagateUnsubscribedMany(keys, true, options.now, {
      attributeName: 'Unsubscribed',
      reason: PROPAGATED_REASON,
      source: path.source,
    });
    this.onPropagation(result.people);
    return result;
  }

  /** The invariant: every person with an address agrees with its master status. */
  async findViolations(limit = 1000): Promise<InvariantViolation[]> {
    return this.uow.read((repos) => repos.leads.invariantViolations(limit));
  }

  async explain(address: string): Promise<AddressReport> {
    const key = emailKey(address);
    return this.uow.read(async (repos) => ({
      emailKey: key,
      status: await repos.emailStatus.get(key),
      history: await repos.emailStatus.history(key),
      leads: await repos.leads.findByEmailKey(key),
    }));
  }
}
