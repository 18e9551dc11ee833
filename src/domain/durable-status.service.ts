import type {
  EmailStatusHistoryRecord,
  EmailStatusRecord,
} from '../data-access/email-status.repository.js';
import type { InvariantViolation, LeadRecord } from '../data-access/lead.repository.js';
import type { Repositories, UnitOfWork } from '../data-access/unit-of-work.js';
import { PROPAGATED_REASON, type ChangePath } from './change-paths.js';
import { emailKey } from './email-key.js';

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
}
