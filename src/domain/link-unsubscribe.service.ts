import { masterStatus } from './master-status.js';
import {
  FINAL_STEP,
  type CallDeadline,
  type TransactionScope,
  type Transactions,
} from './ports.js';
import { ChangePaths, type ChangePath } from './change-paths.js';
import type { DurableStatusService } from './durable-status.service.js';
import { masterStatusSource } from './master-change.js';
import { emailKey, otherJoinedKey, validateEmail } from './email-key.js';
import { liftedByLink, linkActor } from './acknowledged-opt-outs.js';

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
  /**
   * A page's unsubscribe only: false when it follows a link's undo, so the page offers none
   * (a link undoes once until another path changes the address).
   */
  undoable?: boolean;
}

export type LinkResubscribeOutcome =
  | 'resubscribed'
  | 'already_subscribed'
  /** The address's unsubscribe was not made by this link, or something changed it since. */
  | 'not_this_link'
  | 'window_closed'
  | 'bad_proof'
  /** A person of the address was given a protected reason since (a complaint): operators only. */
  | 'protected'
  /**
   * The change before this unsubscribe was a link's own undo: a link undoes once, then only
   * another path's change (the sender's) lets the next page unsubscribe be undone.
   */
  | 'undone_before';

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

  /**
   * `via`: the page's button (whose unsubscribe its maker may undo, with the proof shown to
   * them) or a one-click POST (a mailbox provider's: never undone from a link). `deadline`:
   * the request's (CallDeadline); past it a write not yet committing is not made.
   */
  async unsubscribe(
    subject: LinkSubject,
    via: 'page' | 'one-click' = 'one-click',
    deadline?: CallDeadline,
  ): Promise<LinkUnsubscribeResult> {
    const key = emailKey(validateEmail(subject.email));
    const path = linkPath(ChangePaths.unsubscribeLink, subject, via === 'page');
    const reason = subject.list ? `Unsubscribe link, list ${subject.list}` : null;
    // Replays (mailbox providers retry, people click twice) change nothing: the check is made
    // under the address's lock, in the same step as the write: one step of the store.
    // Final: what follows its answer only reads it (and counts the people for the metrics).
    // That step reads the address's own status only: an address whose opt-out may stand under
    // its joined key (master-status.ts) goes the locked way below, which reads it there too,
    // or the page would offer to undo an unsubscribe it did not make.
    const once =
      otherJoinedKey(key) === null
        ? await this.transactions.writeStep(
            (repos) => this.durable.unsubscribeOnce(repos, { key, path, reason, now: this.now() }),
            deadline ? { ...FINAL_STEP, deadline } : FINAL_STEP,
          )
        : null;
    if (once?.changed) return this.offered(once, key, via);
    // Unsubscribed already: if by a page whose undo is still possible, this acknowledged
    // opt-out (a provider's one-click, another link, this page posted again: whoever sent it
    // was told the address is unsubscribed, and may not be who made that page's unsubscribe)
    // takes the status over, so that undo cannot lift it (acknowledged-opt-outs.ts). Recorded
    // as a one-click's, which no page can undo: at most one such row per page unsubscribe.
    const result = await this.transactions.write(async (repos) => {
      await repos.lockEmailKeys([key]);
      const now = this.now();
      const current = await masterStatus(repos.emailStatus, key);
      if (current?.unsubscribed !== true) {
        // Lifted since the check (the page's undo committed in between), or never unsubscribed
        // (not checked by the step above): this opt-out is applied (rule 1).
        const change = { key, unsubscribed: true, causedBy: null, path, reason, now };
        const people = await this.durable.setMasterStatus(repos, change);
        return { changed: true, people, changedAt: now };
      }
      const plain = linkPath(ChangePaths.unsubscribeLink, subject);
      const statement = { key, optOut: true, reason, path: plain, causedBy: null, now };
      await this.durable.acknowledgeOptOut(repos, statement, new Map([[key, current]]));
      return { changed: false, people: 0, changedAt: current.changedAt };
    }, deadline && { deadline });
    return result.changed ? this.offered(result, key, via) : result;
  }

  /**
   * An unsubscribe this link made: a page's offers its undo unless it follows a link's undo
   * (a link undoes once until another path changes the address).
   */
  private async offered(
    result: LinkUnsubscribeResult,
    key: string,
    via: 'page' | 'one-click',
  ): Promise<LinkUnsubscribeResult> {
    if (via !== 'page') return result;
    const undoable = !(await this.transactions.read((repos) => followsLinkUndo(repos, key)));
    return { ...result, undoable };
  }

  /**
   * The person's own re-subscribe, right after their unsubscribe on the page. `proof` checks
   * the code the page was given for the change made at `changedAt`.
   *
   * Checked first on a plain read: a forged or stale proof (anyone holding the link can post
   * one) is refused without a write transaction or an address lock. Only a request that passes
   * writes, and every check is made again in the write, under the address's lock: the status
   * may have changed between the read and the lock (another path, a complaint, this page
   * again), and only what the lock guards decides.
   */
  async resubscribe(
    subject: LinkSubject,
    windowMs: number,
    proof: (changedAt: number) => boolean,
    deadline?: CallDeadline,
  ): Promise<{ outcome: LinkResubscribeOutcome; people: number }> {
    const key = emailKey(validateEmail(subject.email));
    // Each change time's proof is checked once: the write's check of the change the read saw
    // needs no second HMAC.
    const proven = new Map<number, boolean>();
    const check: ResubscribeCheck = {
      key,
      source: masterStatusSource(linkPath(ChangePaths.unsubscribeLink, subject, true)),
      windowMs,
      proof: (changedAt) => {
        let valid = proven.get(changedAt);
        if (valid === undefined) proven.set(changedAt, (valid = proof(changedAt)));
        return valid;
      },
    };
    const refused = await this.transactions.read((repos) => this.refusal(repos, check));
    if (refused) return { outcome: refused, people: 0 };
    return this.transactions.write(async (repos: TransactionScope) => {
      await repos.lockEmailKeys([key]);
      const again = await this.refusal(repos, check);
      if (again) return { outcome: again, people: 0 };
      const people = await this.durable.setMasterStatus(repos, {
        key,
        unsubscribed: false,
        causedBy: null,
        path: linkPath(ChangePaths.unsubscribeLinkUndo, subject, true),
        reason: null,
        now: this.now(),
      });
      return { outcome: 'resubscribed', people };
    }, deadline && { deadline });
  }

  /** Why the link may not lift the address's status as `repos` shows it; null: it may. */
  private async refusal(
    repos: TransactionScope,
    check: ResubscribeCheck,
  ): Promise<Exclude<LinkResubscribeOutcome, 'resubscribed'> | null> {
    const status = await masterStatus(repos.emailStatus, check.key);
    if (!status?.unsubscribed) return 'already_subscribed';
    // A protected reason recorded since (acknowledged-opt-outs.ts): operators only.
    if (this.durable.isProtected(status.reason)) return 'protected';
    if (status.source !== check.source) return 'not_this_link';
    if (this.now() - status.changedAt > check.windowMs) return 'window_closed';
    if (!check.proof(status.changedAt)) return 'bad_proof';
    // Unsubscribe, undo, unsubscribe, undo…: unbounded, whoever holds a link (or two links of
    // the address) could flip it, and every person holding it, as fast as the rate limit
    // allows, each flip written to the status, its history and every holder's activity log.
    if (await followsLinkUndo(repos, check.key)) return 'undone_before';
    // A complaint given since on a person of the address, by a path that left the status as
    // it was (unsubscribed already, so unchanged): lifting the link's own unsubscribe would
    // lift it too, and only an operator may lift a protected reason.
    const holders = await repos.leads.findByEmailKey(check.key);
    if (holders.some((l) => this.durable.isProtected(reasonOf(l.columns.unsubscribed_reason))))
      return 'protected';
    return null;
  }
}

interface ResubscribeCheck {
  key: string;
  /** The master status source of this link's own page unsubscribe. */
  source: string;
  windowMs: number;
  proof: (changedAt: number) => boolean;
}

/** Whether the change before the address's latest one was a link's undo (any link's). */
async function followsLinkUndo(repos: TransactionScope, key: string): Promise<boolean> {
  const [, previous] = await repos.emailStatus.historyPage(key, null, 2);
  return previous !== undefined && liftedByLink(previous);
}

function reasonOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function linkPath(
  make: (actor?: string) => ChangePath,
  subject: LinkSubject,
  page = false,
): ChangePath {
  return make(linkActor(subject.linkId, page));
}
