import {
  DEVIATION_LETTERS,
  emailKey,
  joinedKey,
  MAX_EMAIL_LENGTH,
  otherJoinedKey,
} from './email-key.js';
import { foldEmailText } from './email-fold.js';
import type { PeopleSelection, StatusQueries } from './ports/queries.js';
import type {
  EmailStatusRecord,
  KeptFilter,
  PeopleCriteria,
  StatusCursor,
  StatusFilter,
} from './records.js';

/**
 * The opt-outs kept under joined keys (email_status_joined, migration 20261206004000) as the
 * suppression lists and exports show them: each stands for every spelling of its joined key
 * with 'ß', 'ς', 'ı' or 'i̇' in the domain that has no status of its own (masterStatus), and is
 * listed under each such spelling, as an opt-out of that address.
 */

/**
 * Spellings listed per kept opt-out at most: a domain holding many 'i' has three spellings
 * per 'i' ('i', 'ı', 'i̇'); those with the fewest letters changed come first, so 'ß' for each
 * 'ss' of a domain (one change) is always listed.
 */
export const MAX_SPELLINGS = 256;

/** Where a joined domain may hold another letter: the letters it may be, and the length. */
interface Site {
  at: number;
  length: number;
  letters: string[];
}

function sitesOf(domain: string, offset: number): Site[] {
  const sites: Site[] = [];
  for (let i = 0; i < domain.length; i++) {
    const c = domain[i];
    if (c === 's' && domain[i + 1] === 's')
      sites.push({ at: offset + i, length: 2, letters: ['\u00df'] });
    else if (c === '\u03c3') sites.push({ at: offset + i, length: 1, letters: ['\u03c2'] });
    else if (c === 'i') sites.push({ at: offset + i, length: 1, letters: ['\u0131', 'i\u0307'] });
  }
  return sites;
}

/**
 * The keys other than `joined` whose joined key it is (joinedKey(t) === joined, and t a key:
 * emailKey(t) === t), fewest changed letters first, at most `max`. Only the domain changes:
 * a key's local part is its own key's, so the spellings of a domain are worked out once
 * (spelledDomains) and given each local part.
 */
export function joinedSpellings(joined: string, max = MAX_SPELLINGS): string[] {
  const at = joined.lastIndexOf('@');
  if (at < 1) return [];
  const local = joined.slice(0, at + 1);
  const domain = joined.slice(at + 1);
  let domains = spelled.get(domain);
  if (!domains || domains.max < max) {
    domains = { max, list: spelledDomains(local, domain, max) };
    if (spelled.size >= SPELLED_KEPT) spelled.delete(spelled.keys().next().value!);
    spelled.set(domain, domains);
  }
  return domains.list
    .slice(0, max)
    .map((d) => local + d)
    .filter((t) => t.length <= MAX_EMAIL_LENGTH);
}

/** The spellings of the domains met last (most opt-outs share a few domains). */
const spelled = new Map<string, { max: number; list: string[] }>();
const SPELLED_KEPT = 1000;

/** The other spellings of `domain` (after `local`, its '@' included), checked as keys. */
function spelledDomains(local: string, domain: string, max: number): string[] {
  const joined = local + domain;
  const sites = sitesOf(domain, 0);
  const out: string[] = [];
  const seen = new Set<string>([domain]);
  const consider = (changes: Array<[Site, string]>) => {
    let text = '';
    let from = 0;
    for (const [site, letter] of changes) {
      text += domain.slice(from, site.at) + letter;
      from = site.at + site.length;
    }
    text += domain.slice(from);
    if (seen.has(text)) return;
    seen.add(text);
    const key = local + text;
    if (emailKey(key) === key && joinedKey(key) === joined) out.push(text);
  };
  // Every set of `size` sites that do not overlap, each given one of its letters, in order.
  const choose = (size: number, first: number, end: number, changes: Array<[Site, string]>) => {
    if (out.length >= max) return;
    if (changes.length === size) return consider(changes);
    for (let i = first; i < sites.length && out.length < max; i++) {
      const site = sites[i]!;
      if (site.at < end) continue;
      for (const letter of site.letters)
        choose(size, i + 1, site.at + site.length, [...changes, [site, letter]]);
    }
  };
  for (let size = 1; size <= sites.length && out.length < max; size++) choose(size, 0, 0, []);
  return out.slice(0, max);
}

/**
 * Whether `key` holds the filter's "address contains" text (folded, with its readings:
 * foldedContains) as the store's filter reads it (whereAddressContains).
 */
export function addressMatches(key: string, f: StatusFilter): boolean {
  const text = f.addressContains;
  if (!text) return true;
  const r = f.addressReadings;
  if (r?.anywhere) return key.includes(r.anywhere);
  if (r?.inDomain) {
    const at = key.lastIndexOf('@');
    return key.slice(0, at).includes(text) || key.slice(key.indexOf('@') + 1).includes(r.inDomain);
  }
  return key.includes(text);
}

/**
 * The filter of the kept opt-outs whose spellings `f` may keep: its fields but the address,
 * and for the address each of its texts and their fold (a spelling's letters fold to the
 * joined key's) anywhere.
 */
export function keptFilter(f: StatusFilter): KeptFilter {
  const { addressContains, addressReadings, ...rest } = f;
  if (!addressContains) return rest;
  const texts = [addressContains, addressReadings?.anywhere, addressReadings?.inDomain].filter(
    (t): t is string => typeof t === 'string' && t !== '',
  );
  return { ...rest, keyHoldsAnyOf: [...new Set([...texts, ...texts.map(foldEmailText)])] };
}

/**
 * The records the kept opt-outs `kept` stand for: one per spelling without a status of its
 * own that the filter keeps, in the order of `kept`, then of joinedSpellings.
 */
export async function spellingsOf(
  statuses: Pick<StatusQueries, 'getMany'>,
  kept: readonly EmailStatusRecord[],
  f: StatusFilter = {},
): Promise<EmailStatusRecord[]> {
  const candidates: EmailStatusRecord[] = [];
  for (const k of kept)
    for (const spelling of joinedSpellings(k.emailKey))
      if (addressMatches(spelling, f)) candidates.push({ ...k, emailKey: spelling });
  const own = await statuses.getMany(candidates.map((c) => c.emailKey));
  return candidates.filter((c) => !own.has(c.emailKey));
}

/** Newest first, then by key descending: the console list's order. */
export function newestFirst(a: EmailStatusRecord, b: EmailStatusRecord): number {
  if (a.changedAt !== b.changedAt) return b.changedAt - a.changedAt;
  return a.emailKey < b.emailKey ? 1 : a.emailKey > b.emailKey ? -1 : 0;
}

/** Whether `r` comes after `cursor` in the console list's order. */
const isAfter = (r: EmailStatusRecord, cursor: StatusCursor) =>
  r.changedAt < cursor.changedAt ||
  (r.changedAt === cursor.changedAt && r.emailKey < cursor.emailKey);

const KEPT_PAGE = 500;

/**
 * The spellings of kept opt-outs the filter keeps, in the console list's order after `after`:
 * at least `limit` of them when there are as many (all of those as new as the last), read a
 * page of kept opt-outs at a time.
 */
export async function keptSpellingsPage(
  statuses: Pick<StatusQueries, 'getMany' | 'keptList'>,
  f: StatusFilter,
  after: StatusCursor | null,
  limit: number,
): Promise<EmailStatusRecord[]> {
  const filter = keptFilter(f);
  const found: EmailStatusRecord[] = [];
  let before: { changedAt: number; joinedKey: string | null } | null = after
    ? { changedAt: after.changedAt, joinedKey: null }
    : null;
  for (;;) {
    const kept = await statuses.keptList(filter, before, KEPT_PAGE);
    for (const s of await spellingsOf(statuses, kept, f))
      if (!after || isAfter(s, after)) found.push(s);
    const last = kept[kept.length - 1];
    if (kept.length < KEPT_PAGE || !last) break;
    before = { changedAt: last.changedAt, joinedKey: last.emailKey };
    // Any further kept opt-out is older than the last read: enough once `limit` are newer.
    if (found.filter((s) => s.changedAt > last.changedAt).length >= limit) break;
  }
  return found.sort(newestFirst);
}

/** How many spellings of kept opt-outs the filter keeps, counting no further than `cap`. */
export async function keptSpellingsCount(
  statuses: Pick<StatusQueries, 'getMany' | 'keptByKey'>,
  f: StatusFilter,
  cap: number,
): Promise<number> {
  const filter = keptFilter(f);
  let n = 0;
  for (let after: string | null = null; n < cap;) {
    const kept = await statuses.keptByKey(filter, after, KEPT_PAGE);
    n += (await spellingsOf(statuses, kept, f)).length;
    const last = kept[kept.length - 1];
    if (kept.length < KEPT_PAGE || !last) break;
    after = last.emailKey;
  }
  return Math.min(n, cap);
}

/**
 * How many addresses of a selection without a status of their own have a kept opt-out whose
 * reason may hold one of `reasons` (lower case; the store's superset of the whole-word match):
 * masterStatus reads it as theirs, so a lift there must be confirmed as any other.
 */
export async function keptProtectedAddresses(
  repos: {
    selection: Pick<PeopleSelection, 'keysWithoutStatus'>;
    emailStatus: Pick<StatusQueries, 'joinedOptOuts'>;
  },
  c: PeopleCriteria,
  reasons: readonly string[],
): Promise<number> {
  if (reasons.length === 0) return 0;
  let n = 0;
  for (let after: string | null = null; ;) {
    const keys = await repos.selection.keysWithoutStatus(c, DEVIATION_LETTERS, after, KEPT_PAGE);
    const joined = new Map<string, string>();
    for (const k of keys) {
      const j = otherJoinedKey(k);
      if (j !== null) joined.set(k, j);
    }
    const kept = await repos.emailStatus.joinedOptOuts([...new Set(joined.values())]);
    for (const j of joined.values()) {
      const reason = kept.get(j)?.reason?.toLowerCase() ?? '';
      if (kept.get(j)?.unsubscribed && reasons.some((r) => reason.includes(r.toLowerCase()))) n++;
    }
    if (keys.length < KEPT_PAGE) return n;
    after = keys[keys.length - 1]!;
  }
}
