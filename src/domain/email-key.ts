import { AppError, ErrorCode } from '../errors.js';

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
 * (NFC) fold alike.
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
  return foldEmailText(email);
}

// Deliberately loose: legacy systems hold odd but deliverable addresses; we refuse only
// what can never be an address (no @, whitespace or control characters inside, too long).
// Invisible format characters (category Cf: U+200B-U+200D, U+2060, U+FEFF, bidi marks, soft
// hyphen) are refused too: no mail system delivers to an address that holds them, yet kept
// they would make a key apart from the visible address, and an opt-out of one would not
// reach the other. Refusing rather than stripping keeps the stored Email the address sent.
// eslint-disable-next-line no-control-regex
const IMPOSSIBLE = /[\s\u0000-\u001f\u007f\p{Cf}]/u;

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

/** A filter's "address contains" text, folded as the keys it is compared with are. */
export function foldedContains<T extends { emailContains?: string; addressContains?: string }>(
  filter: T,
): T {
  const out = { ...filter };
  if (out.emailContains !== undefined) out.emailContains = foldEmailText(out.emailContains);
  if (out.addressContains !== undefined) out.addressContains = foldEmailText(out.addressContains);
  return out;
}
