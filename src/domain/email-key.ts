import { AppError, ErrorCode } from '../errors.js';
import { decodePunycode } from './punycode.js';
import type { AddressReadings } from './records.js';

export const MAX_EMAIL_LENGTH = 254;

/** Past this length a text is not folded (emailKey): eight times the longest address. */
const FOLD_LIMIT = MAX_EMAIL_LENGTH * 8;

/** What the caller sent, trimmed; this is what is stored and shown. */
export function cleanEmail(raw: string): string {
  return raw.trim();
}

import { ASCII, foldEmailText, foldNonAscii, idnaFold } from './email-fold.js';

export { foldEmailText };

/**
 * The key every email match uses: trimmed and case-folded, so `ANN@Example.com ` and
 * `ann@example.com` are one address. ASCII is lower-cased only; any other local part is folded
 * in full (foldNonAscii): 'ÉLODIE' and 'élodie', NFC and NFD, 'ＡＮＮ' and 'ann', 'ΣΟΦΙΑΣ' and
 * 'σοφιας', 'İ'/'ı' and 'i', 'ß' and 'ss' are one local part each. A non-ASCII domain is mapped
 * as IDNA maps it (idnaDomain): there 'ß', 'ς' and 'ı' are letters of their own, as browsers
 * and node:url read them (`straße.de` is xn--strae-oqa.de, not strasse.de). An opt-out recorded
 * under one spelling reaches every other. key(key(x)) === key(x).
 */
export function emailKey(raw: string): string {
  const email = cleanEmail(raw);
  // No text this long folds to a key an address can have (at most MAX_EMAIL_LENGTH: NFC puts
  // at most a few code units back into one): kept as it is, it matches nothing, and a lookup
  // by a megabyte-long value costs no fold (~200 ms of CPU for a full one).
  if (email.length > FOLD_LIMIT) return email;
  if (ASCII.test(email)) return oneMailbox(email.toLowerCase(), true, IDNA);
  // The usual internationalised address holds none of the characters IDNA keeps apart from
  // the fold: folded whole, as before (one fold instead of two, half the cost of a key).
  if (!IDNA_APART.test(email)) return oneMailbox(foldNonAscii(email), false, IDNA_FOLDED);
  // The domain is read from the text as sent: the fold of the whole address would have made
  // 'ß' 'ss' before the domain's mapping could keep it. The fold turns only a full-width '＠'
  // into an '@', so the last of either is where the fold's last '@' would be.
  const at = Math.max(email.lastIndexOf('@'), email.lastIndexOf('\uff20'));
  if (at < 1 || at === email.length - 1) return foldNonAscii(email);
  const local = foldNonAscii(email.slice(0, at));
  return oneMailbox(`${local}@${idnaDomain(email.slice(at + 1))}`, false, IDNA);
}

/**
 * What may make a domain's IDNA mapping differ from its full fold: the letters it keeps
 * (KEPT_LETTERS), 'ı' and what NFKC makes 'ı' (mathematical '𝚤'), and a dot above (of 'İ', or
 * written). The exhaustive tests (test/unit/email-key*.test.ts) hold the two paths to one key.
 */
const IDNA_APART = /\u00df|\u1e9e|\u03c2|\u0131|\u{1d6a4}|\u0130|\u0307/u;

/**
 * The key as versions before idnaDomain made it (the "joined" key): the domain case-folded in
 * full, 'straße.de', 'ıbm.com' and 'ςοφια.gr' read as 'strasse.de', 'ibm.com' and 'σοφια.gr'.
 * What the migration 20261206004000_idna_deviation_keys re-keys from, what its rollback
 * restores, and where a status recorded before it may still stand for a spelling with such a
 * letter (email_status_joined).
 */
export function joinedKey(raw: string): string {
  const email = cleanEmail(raw);
  if (email.length > FOLD_LIMIT) return email;
  const ascii = ASCII.test(email);
  return oneMailbox(ascii ? email.toLowerCase() : foldNonAscii(email), ascii, JOINED);
}

/**
 * Letters a key holds only in a domain IDNA keeps them in ('ß', 'ς', 'ı', the dot above of
 * 'i̇'): a key without any has no other joined key (joinedKey(key) === key), and needs no read
 * of email_status_joined. A cheap test for the hot paths.
 */
export const DEVIATION_LETTERS: readonly string[] = ['\u00df', '\u03c2', '\u0131', '\u0307'];
const DEVIATION_IN_KEY = new RegExp(DEVIATION_LETTERS.join('|'));

/** The joined key of `key` (an email key) when it differs from `key`, else null. */
export function otherJoinedKey(key: string): string | null {
  if (!DEVIATION_IN_KEY.test(key)) return null;
  const joined = joinedKey(key);
  return joined === key ? null : joined;
}

/**
 * The key as versions before the domain's IDNA mapping (mappedDomain) made it: what rolling
 * back the migration 20261206000000_idna_domain_keys restores.
 */
export function keyBeforeDomainMapping(raw: string): string {
  const email = cleanEmail(raw);
  if (email.length > FOLD_LIMIT) return email;
  const ascii = ASCII.test(email);
  return oneMailbox(ascii ? email.toLowerCase() : foldNonAscii(email), ascii, UNMAPPED);
}

/**
 * The key as versions before the mailbox spellings (oneMailbox) made it: case-folded only.
 * What rolling back the migration 20261204000100_mailbox_spellings restores.
 */
export function caseFoldedKey(raw: string): string {
  const email = cleanEmail(raw);
  return email.length > FOLD_LIMIT ? email : foldEmailText(email);
}

/**
 * Marks IDNA ignores in a domain (UTS #46 maps them to nothing; no DNS name holds them): the
 * variation selectors and the combining grapheme joiner. The other characters it ignores are
 * format characters, refused in an address (IMPOSSIBLE).
 */
const IGNORED_IN_DOMAIN = /[\u034f\p{Variation_Selector}]/gu;
/** What a domain's mapping may not bring into it: a label separator or an '@'. */
const STRUCTURAL = /[.@]/;
/** Passes of mappedDomain before it gives up; one is enough for every code point today. */
const MAX_MAPPING_PASSES = 4;

/** How many '.' and '@' `text` holds. */
function structuralCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e || c === 0x40) n++;
  }
  return n;
}

/** A fold of domain text: foldEmailText (the joined key) or idnaFold. */
type DomainFold = (text: string) => string;

/** NFKC, then `fold`: one pass of mappedDomain over a text. */
function compatibilityFold(text: string, fold: DomainFold): string {
  return fold(text.normalize('NFKC'));
}

/**
 * One pass of mappedDomain: the ignored marks dropped, then NFKC and the fold; a character
 * whose NFKC holds a '.' or an '@' ('․' one dot leader, '⒈', '﹒', '﹫'; IDNA refuses them) is
 * kept as it is, and the text between such characters mapped piece by piece: a mapping never
 * adds a label nor moves the '@' (the key of the key would read another domain).
 */
function mapDomainOnce(domain: string, fold: DomainFold): string {
  const kept = domain.replace(IGNORED_IN_DOMAIN, '');
  const nfkc = kept.normalize('NFKC');
  // Every pass is given a folded text: if neither the dropped marks nor NFKC change it, nor
  // does the fold (a mark dropped may bring an 'i' and a dot above together: folded again).
  if (nfkc === domain) return domain;
  const mapped = fold(nfkc);
  if (structuralCount(mapped) === structuralCount(kept)) return mapped;
  let out = '';
  let from = 0;
  let at = 0;
  for (const c of kept) {
    if (c.charCodeAt(0) >= 0x80 && STRUCTURAL.test(c.normalize('NFKC'))) {
      out += compatibilityFold(kept.slice(from, at), fold) + c;
      from = at + c.length;
    }
    at += c.length;
  }
  return out + compatibilityFold(kept.slice(from), fold);
}

/**
 * A domain (already case-folded by `fold`) as IDNA maps it (UTS #46, essentially NFKC and a case fold):
 * compatibility forms are their plain letters ('𝐞', 'ⓔ' and 'Ⓔ' are 'e'; 'ﬁ', '²', half-width
 * 'ｶ' are 'fi', '2', 'カ'), and the marks IDNA ignores are dropped. A mail system delivers
 * `ann@𝐞xample.com` to example.com: an opt-out of one must reach the other. Linear: each pass
 * costs the domain's length, and passes stop once one changes nothing (at most
 * MAX_MAPPING_PASSES). The local part is not mapped: it is the receiving system's to read.
 */
function mappedDomain(domain: string, fold: DomainFold): string {
  if (ASCII.test(domain)) return domain;
  let out = domain;
  for (let pass = 0; pass < MAX_MAPPING_PASSES; pass++) {
    const next = mapDomainOnce(out, fold);
    if (next === out) break;
    out = next;
  }
  return out;
}

/**
 * Letters UTS #46 (non-transitional, as browsers and node:url apply it) keeps as written where
 * a case fold would change them ('ß', 'ς'), and 'ẞ', which it maps to 'ß' since Unicode 15.1
 * (node 20's tables are older and map it to 'ss', as the joined key does).
 */
const KEPT_LETTERS = /[\u00df\u03c2\u1e9e]/g;
const CAPITAL_SHARP_S = '\u1e9e';

/**
 * A domain (as sent, not folded) as UTS #46 maps it: idnaFold and mappedDomain around the
 * letters IDNA keeps (KEPT_LETTERS), which stay as they are ('ẞ' as 'ß'). Only letters written
 * so are kept: the mapping of another character never gives one ('ϲ' is 'σ', as in IDNA), so
 * the mapping of a mapped domain is itself. Linear.
 */
function idnaDomain(raw: string): string {
  if (ASCII.test(raw)) return raw.toLowerCase();
  const map = (part: string) => mappedDomain(idnaFold(part), idnaFold);
  let out = '';
  let from = 0;
  for (const m of raw.matchAll(KEPT_LETTERS)) {
    out += map(raw.slice(from, m.index)) + (m[0] === CAPITAL_SHARP_S ? '\u00df' : m[0]);
    from = m.index + m[0].length;
  }
  return out + map(raw.slice(from));
}

/**
 * How a key reads a domain: IDNA (idnaDomain, the key now; oneMailbox is given the domain
 * mapped already), JOINED (case-folded in full, then mappedDomain: joinedKey) or UNMAPPED
 * (case-folded only: keyBeforeDomainMapping).
 */
type DomainReading = 'idna' | 'folded' | 'joined' | 'unmapped';
const IDNA: DomainReading = 'idna';
/**
 * IDNA's reading of an address without any character it keeps apart from the fold
 * (IDNA_APART): the whole address folded at once, the domain mapped as JOINED maps it (the
 * same text), a Punycode label decoded as IDNA decodes it.
 */
const IDNA_FOLDED: DomainReading = 'folded';
const JOINED: DomainReading = 'joined';
const UNMAPPED: DomainReading = 'unmapped';

/** What IDNA reads as a label separator besides '.' (U+FF0E is full-width ASCII, folded). */
const IDEOGRAPHIC_STOPS = /[\u3002\uff61]/g;
/** A local part's dot-atom (RFC 5322 3.2.3, RFC 6531's UTF-8 allowed): no quoting needed. */
const DOT_ATOM = /^[^\s"(),.:;<>@[\\\]]+(?:\.[^\s"(),.:;<>@[\\\]]+)*$/u;
/** What a decoded label may not hold: separators, '@', and controls (C1 ones too). */
const NOT_IN_LABEL = /[.@\u3002\uff61\p{Cc}]/u;
/** The longest DNS label: a longer `xn--` text is not one and is not decoded. */
const MAX_LABEL = 63;

/**
 * `domain` less its trailing dots, counted from its end: a pattern (`\.+$`) read a run of dots
 * again from each of its dots, at a cost of the run's length squared.
 */
function withoutTrailingDots(domain: string): string {
  let end = domain.length;
  while (end > 0 && domain.charCodeAt(end - 1) === 0x2e) end--;
  return domain.slice(0, end);
}

/**
 * The spellings of one mailbox beyond its letters' case, read as one key (`folded`: already
 * case-folded; `ascii`: all of it is ASCII): a domain written in Punycode (`xn--bcher-kva.de`) and in Unicode
 * (`bücher.de`) are one domain; a domain's trailing dot (`example.com.`, the root) names the
 * same domain; a non-ASCII domain is mapped as IDNA maps it (`mapped`: mappedDomain, NFKC);
 * U+3002 and U+FF61 separate labels as '.' does (IDNA); and a quoted local part
 * that needs no quotes (`"ann"`) is the local part without them (RFC 5322 3.2.4). Without it,
 * an opt-out recorded under one spelling missed the people holding another. Idempotent.
 */
function oneMailbox(folded: string, ascii: boolean, reading: DomainReading): string {
  const at = folded.lastIndexOf('@');
  if (at < 1 || at === folded.length - 1) return folded;
  const quoted = folded.charCodeAt(0) === 0x22;
  const dotted = folded.charCodeAt(folded.length - 1) === 0x2e;
  const punycode = folded.includes('xn--', at);
  // The usual address: no copy.
  if (!quoted && !dotted && !punycode && ascii) return folded;
  let local = folded.slice(0, at);
  let domain = folded.slice(at + 1);
  if (!ascii)
    domain = (
      reading === JOINED || reading === IDNA_FOLDED ? mappedDomain(domain, foldEmailText) : domain
    ).replace(IDEOGRAPHIC_STOPS, '.');
  const bare = withoutTrailingDots(domain);
  // Not down to nothing, nor to a blank the next key's trim would take (idempotence).
  if (bare !== '' && !/\s$/.test(bare)) domain = bare;
  if (domain.includes('xn--'))
    domain = domain
      .split('.')
      .map((label) => unicodeLabel(label, reading))
      .join('.');
  // Quoted pairs (a backslash) are left quoted: unescaped, they could join what folding parts.
  if (quoted && local.length > 2 && local.endsWith('"')) {
    const inner = local.slice(1, -1);
    if (DOT_ATOM.test(inner)) local = inner;
  }
  return `${local}@${domain}`;
}

/**
 * The Unicode label an `xn--` label stands for, case-folded and mapped (`mapped`:
 * mappedDomain) as keys are; the label as it is
 * when it does not decode to a label of a key (bad Punycode, only ASCII, controls, or
 * something that would not stay one label of one key).
 */
function unicodeLabel(label: string, reading: DomainReading): string {
  if (!label.startsWith('xn--') || label.length > MAX_LABEL) return label;
  const decoded = decodePunycode(label.slice(4));
  if (decoded === null || ASCII.test(decoded)) return label;
  const folded =
    reading === IDNA || reading === IDNA_FOLDED
      ? idnaDomain(decoded)
      : reading === JOINED
        ? mappedDomain(foldEmailText(decoded), foldEmailText)
        : foldEmailText(decoded);
  if (NOT_IN_LABEL.test(folded) || folded.startsWith('xn--') || IMPOSSIBLE.test(folded))
    return label;
  return folded;
}

// Deliberately loose: legacy systems hold odd but deliverable addresses; we refuse only
// what can never be an address (no @, whitespace or control characters inside, too long).
// Control characters are the C1 ones too (U+0080-U+009F, \p{Cc}: NEL, or a Windows-1252
// byte read as ISO-8859-1), which XML lets through as it does none of C0's but tab and breaks.
// Invisible format characters (category Cf: U+200B-U+200D, U+2060, U+FEFF, bidi marks, soft
// hyphen) are refused too: no mail system delivers to an address that holds them, yet kept
// they would make a key apart from the visible address, and an opt-out of one would not
// reach the other. Refusing rather than stripping keeps the stored Email the address sent.
// Noncharacters (U+FFFE, U+FFFF, U+FDD0-U+FDEF, the last two of every plane) likewise: no text
// exchanged between systems may hold them (a byte-swapped mark is one), so no mailbox does.
const IMPOSSIBLE = /[\s\p{Cc}\p{Cf}\p{Noncharacter_Code_Point}]/u;

/** Validates an address and returns it cleaned, or throws LEAD_ATTRIBUTE_BAD. */
export function validateEmail(raw: string): string {
  const email = cleanEmail(raw);
  const at = email.lastIndexOf('@');
  // The key too: folding can lengthen it ('ß' becomes 'ss', 'ﬃ' 'ffi') past the column.
  if (email.length > MAX_EMAIL_LENGTH || emailKey(email).length > MAX_EMAIL_LENGTH) {
    throw new AppError(
      ErrorCode.LEAD_ATTRIBUTE_BAD,
      `Email longer than ${MAX_EMAIL_LENGTH} characters`,
    );
  }
  if (at < 1 || at === email.length - 1 || IMPOSSIBLE.test(email)) {
    throw new AppError(ErrorCode.LEAD_ATTRIBUTE_BAD, 'Email is not a valid address');
  }
  return email;
}

/**
 * A filter's "address contains" text, folded as the keys it is compared with are, with its
 * other reading (addressReadings) when it has one.
 */
export function foldedContains<
  T extends {
    emailContains?: string;
    emailReadings?: AddressReadings;
    addressContains?: string;
    addressReadings?: AddressReadings;
  },
>(filter: T): T {
  const out = { ...filter };
  if (out.emailContains !== undefined) {
    const raw = out.emailContains;
    out.emailContains = foldEmailText(raw);
    const readings = addressReadings(out.emailContains, raw);
    if (readings) out.emailReadings = readings;
  }
  if (out.addressContains !== undefined) {
    const raw = out.addressContains;
    out.addressContains = foldEmailText(raw);
    const readings = addressReadings(out.addressContains, raw);
    if (readings) out.addressReadings = readings;
  }
  return out;
}

/**
 * What a filter's "address contains" text (as typed, not folded: 'ß' is read as the keys' domains
 * read it) reads as where it falls in a domain: mapped as IDNA maps a domain (idnaDomain),
 * ideographic stops as dots, and each `xn--` label as its Unicode form (unicodeLabel; a label
 * that does not decode is kept).
 */
function domainReading(text: string): string {
  let out = ASCII.test(text)
    ? text.toLowerCase()
    : idnaDomain(text).replace(IDEOGRAPHIC_STOPS, '.');
  if (out.includes('xn--'))
    out = out
      .split('.')
      .map((label) => unicodeLabel(label, IDNA))
      .join('.');
  return out;
}

/**
 * The other reading of an "address contains" text (`folded`: foldEmailText of `raw`, the text
 * as typed) that the keys may hold, when it differs: with an '@' (its last), what follows it is
 * the start of a domain and is read so (`ann@ⓔxample` reads `ann@example`, `ann@Straße` reads
 * `ann@straße`); without one, the text may be part of either side, and is compared as folded
 * and, after a key's '@', as a domain reads it (`𝐞xample`: `example`; `Straße`: `straße`). The
 * local part is never mapped (the keys do not map it). Linear in the text's length.
 */
export function addressReadings(folded: string, raw = folded): AddressReadings | undefined {
  const at = folded.lastIndexOf('@');
  // The fold turns only a full-width '＠' into an '@' (emailKey): the last of either in `raw`.
  const rawAt = Math.max(raw.lastIndexOf('@'), raw.lastIndexOf('\uff20'));
  if (at >= 0 && rawAt >= 0) {
    const reading = folded.slice(0, at + 1) + domainReading(raw.slice(rawAt + 1));
    return reading === folded ? undefined : { anywhere: reading, inDomain: null };
  }
  const domain = domainReading(raw);
  return domain === folded ? undefined : { anywhere: null, inDomain: domain };
}
