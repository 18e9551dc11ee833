/**
 * What an address shows when someone looks at it (the console's pages, the `explain` and
 * `check` commands): its master status, its history and the people holding it, read and
 * paged; nothing here writes.
 */
import { masterStatus, masterStatuses, masterStatusRead } from './master-status.js';
import type {
  EmailStatusHistoryRecord,
  EmailStatusRecord,
  InvariantViolation,
  LeadRecord,
} from './records.js';
import type { Transactions } from './ports.js';
import { DEVIATION_LETTERS, emailKey } from './email-key.js';
import { AppError, ErrorCode } from '../errors.js';

/** One page of an address: its status, a page of its history and a page of its people. */
export interface AddressPage {
  emailKey: string;
  status: EmailStatusRecord | null;
  /** The status is a suppression only an operator may lift, with a confirmation. */
  statusProtected: boolean;
  /**
   * The joined key the status is kept under (an opt-out recorded before keys told this
   * spelling from it: masterStatus), whose history is shown; null: the address's own.
   */
  keptUnder: string | null;
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

export interface AddressReport {
  emailKey: string;
  status: EmailStatusRecord | null;
  /** As AddressPage's: the joined key whose opt-out and history are shown, or null. */
  keptUnder: string | null;
  history: EmailStatusHistoryRecord[];
  leads: LeadRecord[];
}

/**
 * The invariant: every person with an address agrees with its master status (masterStatus: an
 * opt-out kept under the address's joined key counts where it has no row of its own).
 */
export function findViolations(
  transactions: Transactions,
  limit: number,
): Promise<InvariantViolation[]> {
  return transactions.read(async (repos) => {
    const out: InvariantViolation[] = [];
    // The store compares with own rows alone, and gives the people of an address without one
    // that a kept opt-out may stand for whatever their flag: read here, a page at a time, so
    // the agreeing ones neither fill the limit nor hide a subscribed person they disagree with.
    for (let after = 0; out.length < limit;) {
      const found = await repos.leads.invariantViolations(limit, after, DEVIATION_LETTERS);
      const unresolved = found.filter((v) => v.masterUnsubscribed === null).map((v) => v.emailKey);
      const kept = await masterStatuses(repos.emailStatus, unresolved, new Map());
      for (const v of found) {
        if (v.masterUnsubscribed !== null) out.push(v);
        else {
          const master = kept.get(v.emailKey)?.unsubscribed ?? null;
          if (v.leadUnsubscribed !== (master ?? false))
            out.push({ ...v, masterUnsubscribed: master });
        }
      }
      if (found.length < limit) break;
      after = found[found.length - 1]!.leadId;
    }
    return out.slice(0, limit);
  });
}

/** A person and its address's master status, as they stood together (personWithStatus). */
export interface PersonWithStatus {
  lead: LeadRecord;
  /** The status of the person's address (null: none, or the person has no address). */
  status: EmailStatusRecord | null;
  /** false: the person kept changing while read; the two may disagree. */
  settled: boolean;
}

/** Reads of personWithStatus before it gives up on a person that keeps changing. */
const SETTLE_TRIES = 5;

/**
 * A person and its address's status as they stood together at one moment, for a decision made
 * before a write (the person page's "changes nothing"): the person, its address's status, then
 * the person again. Every change of a status's flag changes its holders in the same
 * transaction (a new change_seq), so a person read twice unchanged around the status read held
 * the flag that status gives it when it was read. Two plain reads alone may disagree (the
 * person unsubscribed, the address re-subscribed since): an opt-out decided on them was
 * answered "unchanged" and never written. LEAD_NOT_FOUND when there is no such person.
 */
export async function personWithStatus(
  transactions: Transactions,
  leadId: number,
): Promise<PersonWithStatus> {
  return transactions.read(async (repos) => {
    const find = async () => {
      const found = await repos.leads.findById(leadId);
      if (!found) throw new AppError(ErrorCode.LEAD_NOT_FOUND, 'Lead not found');
      return found;
    };
    let lead = await find();
    for (let tries = 1; ; tries++) {
      const status =
        lead.emailKey === null ? null : await masterStatus(repos.emailStatus, lead.emailKey);
      const again = await find();
      if (again.changeSeq === lead.changeSeq) return { lead, status, settled: true };
      if (tries === SETTLE_TRIES) return { lead: again, status, settled: false };
      lead = again;
    }
  });
}

/** An address's status, its whole history and everyone holding it. */
export function addressReport(transactions: Transactions, address: string): Promise<AddressReport> {
  const key = emailKey(address);
  return transactions.read(async (repos) => {
    const { status, keptUnder } = await masterStatusRead(repos.emailStatus, key);
    return {
      emailKey: key,
      status,
      keptUnder,
      history: await repos.emailStatus.history(keptUnder ?? key),
      leads: await repos.leads.findByEmailKey(key),
    };
  });
}

/** The people sharing a person's address (not the person), a first page and the counts. */
export function peopleSharing(
  transactions: Transactions,
  address: string,
  exceptLeadId: number,
  limit: number,
): Promise<{ people: LeadRecord[]; count: number; partitions: number }> {
  const key = emailKey(address);
  return transactions.read(async (repos) => {
    const people = await repos.selection.holders(key, 0, limit + 1);
    const counts = await repos.selection.holderCounts(key, exceptLeadId);
    return {
      people: people.filter((p) => p.id !== exceptLeadId).slice(0, limit),
      count: counts.people,
      partitions: counts.partitions,
    };
  });
}

/**
 * The address page: status, history newest first and people in id order, each paged.
 * `isProtected`: whether a suppression's reason is one only an operator may lift.
 */
export function addressPage(
  transactions: Transactions,
  address: string,
  options: { historyBefore: number | null; peopleAfter: number; limit: number },
  isProtected: (reason: string | null) => boolean,
): Promise<AddressPage> {
  const key = emailKey(address);
  const { limit } = options;
  return transactions.read(async (repos) => {
    const { status, keptUnder } = await masterStatusRead(repos.emailStatus, key);
    // A kept opt-out's history is its joined key's: the address has none of its own.
    const historyKey = keptUnder ?? key;
    const history = await repos.emailStatus.historyPage(
      historyKey,
      options.historyBefore,
      limit + 1,
    );
    const people = await repos.selection.holders(key, options.peopleAfter, limit + 1);
    const counts = await repos.selection.holderCounts(key);
    const shownHistory = history.slice(0, limit);
    const shownPeople = people.slice(0, limit);
    return {
      emailKey: key,
      status,
      statusProtected: status?.unsubscribed === true && isProtected(status.reason),
      keptUnder,
      history: shownHistory,
      historyCount: await repos.emailStatus.historyCount(historyKey),
      olderHistory: history.length > limit ? shownHistory[shownHistory.length - 1]!.id : null,
      people: shownPeople,
      peopleCount: counts.people,
      partitions: counts.partitions,
      morePeople: people.length > limit ? shownPeople[shownPeople.length - 1]!.id : null,
    };
  });
}
