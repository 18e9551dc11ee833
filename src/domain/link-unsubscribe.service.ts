import { FINAL_STEP, type TransactionScope, type Transactions } from './ports.js';
import { ChangePaths, type ChangePath } from './change-paths.js';
import { masterStatusSource, type DurableStatusService } from './durable-status.service.js';
import { emailKey, validateEmail } from './email-key.js';

/** What a verified unsubscribe link names: the entry point has checked its signature. */
export interface LinkSubject {
  email: string;
  /** A digest naming the link: the history records which link made a change. */
  linkId: string;
  list: string | null;
}

export interface LinkUnsubscribeResult {
  /** false: the address was unsubscribed already (a replay, or another path first). */
  changed: boolean;
  /** People holding the address, in every partition, whose flag followed. */
  people: number;
  /** When the master status changed (the undo proof is bound to it). */
  changedAt: number;
}

export type LinkResubscribeOutcome =
  | 'resubscribed'
  | 'already_subscribed'
  /** The address's unsubscribe was not made by this link, or something changed it since. */
  | 'not_this_link'
  | 'window_closed'
  | 'bad_proof'
  /** A person of the address was given a protected reason since (a complaint): operators only. */
  | 'protected';

export interface LinkAddressState {
  unsubscribed: boolean;
}

/**
 * Unsubscribes through signed links, by the same rules as every path: the master status of the
 * address, then every person holding it in every partition, with activities. The address
 * needs no person: a later create takes the status (rule 3).
 *
 * The link can undo only what it did itself: its own unsubscribe, still the latest change of
 * the address, within the window, and only with the proof shown to whoever made it. An
 * unsubscribe made by any other path (or by a mailbox provider's one-click POST, which never
 * sees the proof) cannot be lifted from a link.
 */
export class LinkUnsubscribeService {
  constructor(
    private readonly transactions: Transactions,
    private readonly durable: DurableStatusService,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws LEAD_ATTRIBUTE_BAD for an address no person could hold. */
  async state(subject: LinkSubject): Promise<LinkAddressState> {
    const key = emailKey(validateEmail(subject.email));
    return {
      unsubscribed: await this.transactions.read((repos) =>
        this.durable.isUnsubscribed(repos, key),
      ),
    };
  }

  async unsubscribe(subject: LinkSubject): Promise<LinkUnsubscribeResult> {
    const key = emailKey(validateEmail(subject.email));
    // Replays (mailbox providers retry, people click twice) change nothing: the check is made
    // under the address's lock, in the same step as the write: one step of the store.
    // Final: what follows its answer only reads it (and counts the people for the metrics).
    return this.transactions.writeStep(
      (repos) =>
        this.durable.unsubscribeOnce(repos, {
          key,
          path: linkPath(ChangePaths.unsubscribeLink, subject),
          reason: subject.list ? `Unsubscribe link, list ${subject.list}` : null,
          now: this.now(),
        }),
      FINAL_STEP,
    );
  }

  /**
   * The person's own re-subscribe, right after their unsubscribe on the page. `proof` checks
   * the code the page was given for the change made at `changedAt`.
   */
  async resubscribe(
    subject: LinkSubject,
    windowMs: number,
    proof: (changedAt: number) => boolean,
  ): Promise<{ outcome: LinkResubscribeOutcome; people: number }> {
    const key = emailKey(validateEmail(subject.email));
    return this.transactions.write(async (repos: TransactionScope) => {
      await repos.lockEmailKeys([key]);
      const status = await repos.emailStatus.get(key);
      if (!status?.unsubscribed) return { outcome: 'already_subscribed', people: 0 };
      if (status.source !== masterStatusSource(linkPath(ChangePaths.unsubscribeLink, subject)))
        return { outcome: 'not_this_link', people: 0 };
      const now = this.now();
      if (now - status.changedAt > windowMs) return { outcome: 'window_closed', people: 0 };
      if (!proof(status.changedAt)) return { outcome: 'bad_proof', people: 0 };
      // A complaint given since on a person of the address, by a path that left the status as
      // it was (unsubscribed already, so unchanged): lifting the link's own unsubscribe would
      // lift it too, and only an operator may lift a protected reason.
      const holders = await repos.leads.findByEmailKey(key);
      if (holders.some((l) => this.durable.isProtected(reasonOf(l.columns.unsubscribed_reason))))
        return { outcome: 'protected', people: 0 };
      const people = await this.durable.setMasterStatus(repos, {
        key,
        unsubscribed: false,
        causedBy: null,
        path: linkPath(ChangePaths.unsubscribeLinkUndo, subject),
        reason: null,
        now,
      });
      return { outcome: 'resubscribed', people };
    });
  }
}

function reasonOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function linkPath(make: (actor?: string) => ChangePath, subject: LinkSubject): ChangePath {
  return make(`link ${subject.linkId}`);
}
