import { AppError, ErrorCode } from '../errors.js';
import { decodePunycode } from './punycode.js';

export const MAX_EMAIL_LENGTH = 254;

/** Past this length a text is not folded (emailKey): eight times the longest address. */
const FOLD_LIMIT = MAX_EMAIL_LENGTH * 8;

/** What the caller sent, trimmed; this is what is stored and shown. */
export function cleanEmail(raw: string): string {
  return raw.trim();
}

/** Full-width forms of the printable ASCII characters (U+FF01-U+FF5E, 'Ａ', '＠', '．'). */
const FULL_WIDTH = /[\uff01-\uff5e]/g;
const FULL_WIDTH_OFFSET = 0xff01 - 0x21;
const DOT_ABOVE = '\u0307';
const FINAL_SIGMA = /\u03c2/g;
const MARK = /^\p{M}$/u;
/** The answers of letsDotThrough, one per combining mark met (a few thousand at most). */
const marksLettingDotThrough = new Map<string, boolean>();
// eslint-disable-next-line no-control-regex
const ASCII = /^[\u0000-\u007f]*$/;

/**
 * Whether a code point of a decomposed string lets a dot above that follows it still sit on the
 * letter before it: a combining mark of a class other than 0 (a starter) and 230 (above), the
 * marks canonical reordering moves across the dot. Told by the reordering itself.
 */
function letsDotThrough(c: string): boolean {
  if (!MARK.test(c)) return false;
  let through = marksLettingDotThrough.get(c);
  if (through === undefined) {
    through = `a${c}${DOT_ABOVE}`.normalize('NFD') === `a${DOT_ABOVE}${c}`.normalize('NFD');
    marksLettingDotThrough.set(c, through);
  }
  return through;
}

/**
 * Drops the dot above that sits on an i (decomposed 'İ' lower-cases to i + U+0307, which is
 * the letter i): every such dot, so that a second one cannot surface on the next pass.
 */
function dropDotsOnI(x: string): string {
  if (!x.includes(DOT_ABOVE)) return x;
  let out = '';
  let onI = false;
  for (const c of x) {
    if (onI && c === DOT_ABOVE) continue;
    if (c === 'i') onI = true;
    else if (onI && !letsDotThrough(c)) onI = false;
    out += c;
  }
  return out;
}

/**
 * The case fold of a text that is not all ASCII: decomposed (NFD) so that composed and
 * decomposed spellings are one, full-width ASCII forms mapped to ASCII, a full case fold
 * (lower, upper, lower: 'ß' and 'ẞ' become 'ss', 'ı' and 'I' become 'i', 'ﬁ' becomes 'fi'),
 * final sigma 'ς' as 'σ', the dot above of 'İ' dropped, and composed again (NFC).
 * Idempotent: the fold of a fold is itself; and a text, its lower case and its upper case
 * (NFC) fold alike, but for a Greek letter with iota subscript followed by another mark: its
 * upper case is two letters, the mark moves to the second ('ᾳ̣' and 'ΑΙ̣'), and the two differ
 * under Unicode's own caseless matching too.
 */
function foldNonAscii(text: string): string {
  const wide = text
    .normalize('NFD')
    .replace(FULL_WIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - FULL_WIDTH_OFFSET));
  const folded = wide.toLowerCase().toUpperCase().toLowerCase().replace(FINAL_SIGMA, '\u03c3');
  return dropDotsOnI(folded).normalize('NFC');
}

/**
 * A text folded as email keys are (without trimming): what a search for part of an address
 * compares with the keys.
 */
export function foldEmailText(text: string): string {
  return ASCII.test(text) ? text.toLowerCase() : foldNonAscii(text);
}

/**
 * The key every email match uses: trimmed and case-folded, so `ANN@Example.com ` and
 * `ann@example.com` are one address. ASCII is lower-cased only; any other text is folded in
 * full (foldNonAscii): 'ÉLODIE@exemple.fr' and 'élodie@exemple.fr', NFC and NFD, 'ＡＮＮ' and
 * 'ann', 'ΣΟΦΙΑΣ' and 'σοφιας', 'İ'/'ı' and 'i', 'ß' and 'ss' are one address each. An opt-out
 * recorded under one spelling reaches every other. key(key(x)) === key(x).
 */
export function emailKey(raw: string): string {
  const email = cleanEmail(raw);
  // No text this long folds to a key an address can have (at most MAX_EMAIL_LENGTH: NFC puts
  // at most a few code units back into one): kept as it is, it matches nothing, and a lookup
  // by a megabyte-long value costs no fold (~200 ms of CPU for a full one).
  if (email.length > FOLD_LIMIT) return email;
  const ascii = ASCII.test(email);
  return oneMailbox(ascii ? email.toLowerCase() : foldNonAscii(email), ascii);
}

/**
 * The key as versions before the domain's IDNA mapping (mappedDomain) made it: what rolling
 * back the migration 20261206000000_idna_domain_keys restores.
 */
export function keyBeforeDomainMapping(raw: string): string {
  const email = cleanEmail(raw);
  if (email.length > FOLD_LIMIT) return email;
  const ascii = ASCII.test(email);
  return oneMailbox(ascii ? email.toLowerCase() : foldNonAscii(email), ascii, false);
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

/** NFKC, then the fold of keys: one pass of mappedDomain over a text. */
function compatibilityFold(text: string): string {
  return foldEmailText(text.normalize('NFKC'));
}

/**
 * One pass of mappedDomain: the ignored marks dropped, then NFKC and the fold; a character
 * whose NFKC holds a '.' or an '@' ('․' one dot leader, '⒈', '﹒', '﹫'; IDNA refuses them) is
 * kept as it is, and the text between such characters mapped piece by piece: a mapping never
 * adds a label nor moves the '@' (the key of the key would read another domain).
 */
function mapDomainOnce(domain: string): string {
  const kept = domain.replace(IGNORED_IN_DOMAIN, '');
  const nfkc = kept.normalize('NFKC');
  // Every pass is given a folded text: if neither the dropped marks nor NFKC change it, nor
  // does the fold (a mark dropped may bring an 'i' and a dot above together: folded again).
  if (nfkc === domain) return domain;
  const mapped = foldEmailText(nfkc);
  if (structuralCount(mapped) === structuralCount(kept)) return mapped;
  let out = '';
  let from = 0;
  let at = 0;
  for (const c of kept) {
    if (c.charCodeAt(0) >= 0x80 && STRUCTURAL.test(c.normalize('NFKC'))) {
      out += compatibilityFold(kept.slice(from, at)) + c;
      from = at + c.length;
    }
    at += c.length;
  }
  return out + compatibilityFold(kept.slice(from));
}

/**
 * A domain (already case-folded: foldEmailText) as IDNA maps it (UTS #46, essentially NFKC and a case fold):
 * compatibility forms are their plain letters ('𝐞', 'ⓔ' and 'Ⓔ' are 'e'; 'ﬁ', '²', half-width
 * 'ｶ' are 'fi', '2', 'カ'), and the marks IDNA ignores are dropped. A mail system delivers
 * `ann@𝐞xample.com` to example.com: an opt-out of one must reach the other. Linear: each pass
 * costs the domain's length, and passes stop once one changes nothing (at most
 * MAX_MAPPING_PASSES). The local part is not mapped: it is the receiving system's to read.
 */
function mappedDomain(domain: string): string {
  if (ASCII.test(domain)) return domain;
  let out = domain;
  for (let pass = 0; pass < MAX_MAPPING_PASSES; pass++) {
    const next = mapDomainOnce(out);
    if (next === out) break;
    out = next;
  }
  return out;
}

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
function oneMailbox(folded: string, ascii: boolean, mapped = true): string {
  const at = folded.lastIndexOf('@');
  if (at < 1 || at === folded.length - 1) return folded;
  const quoted = folded.charCodeAt(0) === 0x22;
  const dotted = folded.charCodeAt(folded.length - 1) === 0x2e;
  const punycode = folded.includes('xn--', at);
  // The usual address: no copy.
  if (!quoted && !dotted && !punycode && ascii) return folded;
  let local = folded.slice(0, at);
  let domain = folded.slice(at + 1);
  if (!ascii) domain = (mapped ? mappedDomain(domain) : domain).replace(IDEOGRAPHIC_STOPS, '.');
  const bare = withoutTrailingDots(domain);
  // Not down to nothing, nor to a blank the next key's trim would take (idempotence).
  if (bare !== '' && !/\s$/.test(bare)) domain = bare;
  if (domain.includes('xn--'))
    domain = domain
      .split('.')
      .map((label) => unicodeLabel(label, mapped))
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
function unicodeLabel(label: string, mapped: boolean): string {
  if (!label.startsWith('xn--') || label.length > MAX_LABEL) return label;
  const decoded = decodePunycode(label.slice(4));
  if (decoded === null || ASCII.test(decoded)) return label;
  const folded = mapped ? mappedDomain(foldEmailText(decoded)) : foldEmailText(decoded);
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
 * A part of an address folded as keys are: what follows its last '@' is a domain's text,
 * mapped as a key's domain is (mappedDomain, the ideographic full stops as '.'), so that
 * `@𝐞xample` finds the keys of `ann@example.com`. Text with no '@' may be either part: folded
 * only.
 */
function foldedPart(text: string): string {
  const folded = foldEmailText(text);
  const at = folded.lastIndexOf('@');
  if (at < 0 || ASCII.test(folded)) return folded;
  const domain = mappedDomain(folded.slice(at + 1)).replace(IDEOGRAPHIC_STOPS, '.');
  return `${folded.slice(0, at + 1)}${domain}`;
}

/** A filter's "address contains" text, folded as the keys it is compared with are. */
export function foldedContains<T extends { emailContains?: string; addressContains?: string }>(
  filter: T,
): T {
  const out = { ...filter };
  if (out.emailContains !== undefined) out.emailContains = foldedPart(out.emailContains);
  if (out.addressContains !== undefined) out.addressContains = foldedPart(out.addressContains);
  return out;
}
