/**
 * The case folds of the email key (email-key.ts): the full fold of an address's text
 * (foldNonAscii, foldEmailText) and the fold of a domain's as IDNA folds it (idnaFold).
 */
/** Full-width forms of the printable ASCII characters (U+FF01-U+FF5E, 'Ａ', '＠', '．'). */
const FULL_WIDTH = /[\uff01-\uff5e]/g;
const FULL_WIDTH_OFFSET = 0xff01 - 0x21;
const DOT_ABOVE = '\u0307';
const FINAL_SIGMA = /\u03c2/g;
const DOTLESS_I = '\u0131';
const MARK = /^\p{M}$/u;
/** The answers of letsDotThrough, one per combining mark met (a few thousand at most). */
const marksLettingDotThrough = new Map<string, boolean>();
// eslint-disable-next-line no-control-regex
export const ASCII = /^[\u0000-\u007f]*$/;

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
export function foldNonAscii(text: string): string {
  return dropDotsOnI(caseFolded(text)).normalize('NFC');
}

/** foldNonAscii before the dots on 'i' are dropped and before NFC (the text decomposed). */
function caseFolded(text: string): string {
  const wide = text
    .normalize('NFD')
    .replace(FULL_WIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - FULL_WIDTH_OFFSET));
  return wide.toLowerCase().toUpperCase().toLowerCase().replace(FINAL_SIGMA, '\u03c3');
}

/**
 * The case fold of a domain's text as UTS #46 (IDNA) folds it: foldNonAscii, but the dot above
 * of 'İ' kept ('i̇', U+0069 U+0307, as IDNA maps it) and 'ı' kept (a case fold keeps it; only
 * the trip through upper case made it 'i'). Idempotent.
 */
export function idnaFold(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase();
  const fold = (part: string) => caseFolded(part).normalize('NFC');
  return text.includes(DOTLESS_I) ? text.split(DOTLESS_I).map(fold).join(DOTLESS_I) : fold(text);
}

/**
 * A text folded as email keys are (without trimming): what a search for part of an address
 * compares with the keys.
 */
export function foldEmailText(text: string): string {
  return ASCII.test(text) ? text.toLowerCase() : foldNonAscii(text);
}
