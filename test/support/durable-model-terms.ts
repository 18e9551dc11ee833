import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * The terms of the reference model (durable-model.ts): the email key, the protected reasons,
 * the paths, people and master statuses as the model holds them, and the log of each person's
 * Unsubscribed changes it expects.
 */

/**
 * The spec's email key: trimmed, NFC, lower-cased; and of the spellings of one mailbox beyond
 * case, those the runs send (durable-model-run.ts, spellings): a quoted local part that needs
 * no quotes, a domain's trailing dot, its labels separated by ideographic full stops or written
 * in Punycode, and a non-ASCII domain as IDNA maps it (node:url, UTS #46: its compatibility
 * forms are its plain letters).
 */
export const keyOf = (email: string): string => {
  const folded = email
    .trim()
    .normalize('NFC')
    .toLowerCase()
    .replace(/^"([^"\\\s@]+)"@/, '$1@');
  const at = folded.lastIndexOf('@');
  const domain = folded
    .slice(at + 1)
    .replace(/[\u3002\uff61]/g, '.')
    .replace(/\.+$/, '');
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(domain);
  const mapped = ascii ? domain : domainToASCII(domain);
  const readable = domain.includes('xn--') || (!ascii && mapped !== '');
  return `${folded.slice(0, at)}@${readable ? domainToUnicode(mapped) : domain}`;
};

/**
 * The key as it was before the key kept IDNA's deviation letters apart (the joined key): the
 * domain's 'ß', 'ς', 'ı' and 'i̇' read as 'ss', 'σ', 'i' and 'i'.
 */
export const joinedOf = (key: string): string => {
  const at = key.lastIndexOf('@');
  const domain = key
    .slice(at + 1)
    .replace(/\u00df/g, 'ss')
    .replace(/\u03c2/g, '\u03c3')
    .replace(/\u0131|i\u0307/g, 'i');
  return `${key.slice(0, at)}@${domain}`;
};

/** PROTECTED_REASONS=complaint: whole word, any case, plural too. */
export const isProtected = (reason: string | null): boolean =>
  reason !== null && /(?<![\p{L}\p{N}])complaints?(?![\p{L}\p{N}])/u.test(reason.toLowerCase());

/** A page unsubscribe the person may undo: the link's URL and the code the page showed. */
export interface PageRef {
  url: string;
  code: string;
}

export interface MLead {
  id: number;
  /** As stored: what was sent, trimmed. */
  email: string | null;
  key: string | null;
  partition: string;
  unsub: boolean;
  /** The UnsubscribedReason column. */
  reason: string | null;
  foreignId: string | null;
  /** The people it is: 1, and those merged into it (each logged its New Lead). */
  people: number;
}

export interface MStatus {
  unsub: boolean;
  /** The status's reason is protected (only an operator lifts it). */
  prot: boolean;
  /** The status is this page's own unsubscribe (its undo may lift it). */
  page: PageRef | null;
  /** A link's undo: the next page unsubscribe offers none (a link undoes once). */
  undone?: boolean;
  /** When it changed: RECENT, or the date an import gave. */
  at: number;
  /** Made by the Salesforce org (its own changes are ordered by their modstamps). */
  sf: boolean;
  /**
   * From when every opt-out by another path is recorded (set when a Salesforce record of the
   * address is first reported opted out; null: not); a Salesforce untick made before it is
   * not applied. Kept by every change of the status.
   */
  sfSince: number | null;
  /**
   * Made by a person's own path (the web service, Salesforce, a link), not by an operator or an
   * import: another path's opt-out over an operator's or an import's is recorded.
   */
  person: boolean;
}

/** Every change made while the test runs: later than any date or modstamp the test sends. */
export const RECENT = Number.MAX_SAFE_INTEGER;

export interface MPath {
  reason: string;
  /** The Source of the activities its changes log (the person's own and those that follow). */
  source: string;
  operator: boolean;
  salesforce?: boolean;
}

/** The sources of the paths a person states their own opt-out by (acknowledged-opt-outs.ts). */
const PERSON_SOURCES = ['Web service API', 'Salesforce', 'Unsubscribe link'];

/** Whether `path` is one a person states their own opt-out by (statedByPerson). */
export function byPerson(path: MPath): boolean {
  return PERSON_SOURCES.includes(path.source);
}

export const PATHS = {
  web: { reason: 'Web service API', source: 'Web service API', operator: false },
  salesforce: {
    reason: 'Salesforce sync',
    source: 'Salesforce',
    operator: false,
    salesforce: true,
  },
  personPage: { reason: 'Person detail', source: 'Person detail', operator: true },
  link: { reason: 'Unsubscribe link', source: 'Unsubscribe link', operator: false },
  linkUndo: {
    reason: 'Resubscribed by the person on the unsubscribe page',
    source: 'Unsubscribe link',
    operator: false,
  },
  import: { reason: 'Suppression list import', source: 'Suppression import', operator: false },
} satisfies Record<string, MPath>;

/** A change the model refuses as the service must: fault 20106 (LEAD_SYNC_FAILED). */
export class Refused extends Error {}

/** One person's change: the address (undefined: not sent; null: cleared), the flag, a reason. */
export interface MChange {
  email?: string | null;
  unsub?: boolean;
  reason?: string;
}

/** Why a person's flag changed, as its Change Data Value activity's Reason says. */
export const PROPAGATED = 'System flow action sysActionChangeDataValue updateLeadEmailStatus';
export const RESET = 'System flow action sysActionChangeDataValue resetLeadEmailStatus';

/**
 * One change of a person's flag or address the log must show (in order: the model's log), as
 * its Change Data Value activity tells it: the attribute's display name, the values as
 * written (`true`/`false` for the flag), and the Reason.
 */
export interface MLogged {
  lead: number;
  /** The operation that made it: one request's changes of several people may come in any order. */
  step: number;
  attribute: 'Unsubscribed' | 'Email Address';
  from: string | null;
  to: string | null;
  /** The path's reason (the person's own change), PROPAGATED or RESET. */
  why: string;
  /** The path that made the change, whoever's flag it is (MPath.source). */
  source: string;
}
