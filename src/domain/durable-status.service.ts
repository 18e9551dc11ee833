import type {
  EmailStatusHistoryRecord,
  EmailStatusRecord,
} from '../data-access/email-status.repository.js';
import type { InvariantViolation, LeadRecord } from '../data-access/lead.repository.js';
import type { Repositories, UnitOfWork } from '../data-access/unit-of-work.js';
import { PROPAGATED_REASON, type ChangePath } from './change-paths.js';
import { AppError, ErrorCode } from '../errors.js';
import { emailKey, validateEmail } from './email-key.js';
import { isProtectedReason } from './protected-reasons.js';

/** One page of an address: its status, a page of its history and a page of its people. */
export interface AddressPage {
  emailKey: string;
  status: EmailStatusRecord | null;
  history: EmailStatusHistoryRecord[];
  historyCount: number;
  /** Id of the oldest history row shown when older ones remain. */
  olderHistory: number | null;
  people: LeadRecord[];
  peopleCount: number;
  partitions: number;
  /** Id of the last person shown when more remain. */
  morePeople: number | null;
}

export type AddressChangeOutcome =
  | { outcome: 'unsubscribed' | 'resubscribed'; people: number }
  | { outcome: 'unchanged' }
  /** Lifting a protected reason needs `confirmProtected`; nothing was changed. */
  | { outcome: 'confirm'; reason: string };

const MAX_REASON = 1000;

export interface AddressReport {
  emailKey: string;
  status: EmailStatusRecord | null;
  history: EmailStatusHistoryRecord[];
  leads: LeadRecord[];
}

/**
 * The master email status: one answer per address to "may we email it?", kept apart from
 * the people so that deletes, re-creations and address changes cannot lose an unsubscribe.
 */
export class DurableStatusService {
  constructor(
    private readonly uow: UnitOfWork,
    /** Told how many other people followed each master status change (for metrics). */
    private readonly onPropagation: (people: number) => void = () => undefined,
  ) {}

  /** What the master status says of an address: unknown addresses are subscribed. */
  async isUnsubscribed(repos: Repositories, key: string): Promise<boolean> {
    return (await repos.emailStatus.get(key))?.unsubscribed ?? false;
  }

  /**
   * Rules 1 and 2: the master status of `key` takes `unsubscribed`, and every other person
   * holding the address follows, whatever its partition. The caller holds the key's lock.
   * Returns how many other people changed.
   */
  async setMasterStatus(
    repos: Repositories,
    change: {
      key: string;
      unsubscribed: boolean;
      causedBy: number | null;
      path: ChangePath;
      reason: string | null;
      now: number;
    },
  ): Promise<number> {
    const status = {
      emailKey: change.key,
      unsubscribed: change.unsubscribed,
      reason: change.reason ?? change.path.reason,
      // The column holds 128 characters; a long actor name is cut, never a failed write.
      source: (change.path.actor
        ? `${change.path.source} (${change.path.actor})`
        : change.path.source
      ).slice(0, 128),
      leadId: change.causedBy,
      changedAt: change.now,
    };
    const activity = {
      attributeName: 'Unsubscribed',
      reason: PROPAGATED_REASON,
      source: change.path.source,
      actor: change.path.actor ?? null,
      causeLeadId: change.causedBy,
    };
    let people: number;
    if (repos.combined) {
      people = await repos.combined.setStatusAndPropagate(status, change.causedBy, activity);
    } else {
      await repos.emailStatus.set(status);
      people = await repos.leads.propagateUnsubscribed(
        change.key,
        change.unsubscribed,
        change.causedBy,
        change.now,
        activity,
      );
    }
    this.onPropagation(people);
    return people;
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

  /**
   * Suppresses or lifts an address by hand (the console), even if nobody holds it: the master
   * status changes and every person holding the address follows, in every partition. A reason
   * is required; lifting a protected reason (a complaint) needs `confirmProtected`.
   */
  async setAddressStatus(change: {
    address: string;
    unsubscribed: boolean;
    path: ChangePath;
    reason: string;
    confirmProtected: boolean;
    now: number;
  }): Promise<AddressChangeOutcome> {
    const key = emailKey(validateEmail(change.address));
    const reason = change.reason.trim();
    if (reason === '' || reason.length > MAX_REASON)
      throw new AppError(
        ErrorCode.BAD_PARAMETER,
        `A reason of 1 to ${MAX_REASON} characters is required`,
      );
    return this.uow.write(async (repos) => {
      await repos.lockEmailKeys([key]);
      const current = await repos.emailStatus.get(key);
      if ((current?.unsubscribed ?? false) === change.unsubscribed) return { outcome: 'unchanged' };
      if (!change.unsubscribed && isProtectedReason(current?.reason) && !change.confirmProtected)
        return { outcome: 'confirm', reason: current!.reason! };
      const people = await this.setMasterStatus(repos, {
        key,
        unsubscribed: change.unsubscribed,
        causedBy: null,
        path: change.path,
        reason,
        now: change.now,
      });
      return { outcome: change.unsubscribed ? 'unsubscribed' : 'resubscribed', people };
    });
  }

  /** The people sharing a person's address (not the person), a first page and the counts. */
  async sharing(
    address: string,
    exceptLeadId: number,
    limit: number,
  ): Promise<{ people: LeadRecord[]; count: number; partitions: number }> {
    const key = emailKey(address);
    return this.uow.read(async (repos) => {
      const people = await repos.selection.holders(key, 0, limit + 1);
      const counts = await repos.selection.holderCounts(key, exceptLeadId);
      return {
        people: people.filter((p) => p.id !== exceptLeadId).slice(0, limit),
        count: counts.people,
        partitions: counts.partitions,
      };
    });
  }

  /** The address page: status, history newest first and people in id order, each paged. */
  async addressPage(
    address: string,
    options: { historyBefore: number | null; peopleAfter: number; limit: number },
  ): Promise<AddressPage> {
    const key = emailKey(address);
    const { limit } = options;
    return this.uow.read(async (repos) => {
      const history = await repos.emailStatus.historyPage(key, options.historyBefore, limit + 1);
      const people = await repos.selection.holders(key, options.peopleAfter, limit + 1);
      const counts = await repos.selection.holderCounts(key);
      const shownHistory = history.slice(0, limit);
      const shownPeople = people.slice(0, limit);
      return {
        emailKey: key,
        status: await repos.emailStatus.get(key),
        history: shownHistory,
        historyCount: await repos.emailStatus.historyCount(key),
        olderHistory: history.length > limit ? shownHistory[shownHistory.length - 1]!.id : null,
        people: shownPeople,
        peopleCount: counts.people,
        partitions: counts.partitions,
        morePeople: people.length > limit ? shownPeople[shownPeople.length - 1]!.id : null,
      };
    });
  }
}
