/**
 * What an operator is shown of a value: every character that would not show itself, or would
 * move or hide the text around it, is shown as its code point instead. The value itself is
 * stored and sent (forms, downloads) as it is; only its display changes.
 */

/**
 * Characters that show nothing of themselves: C0 controls but tab and line breaks (whitespace
 * in HTML), DEL and the C1 controls, format characters (Cf: the bidi controls U+202A-U+202E,
 * U+2066-U+2069, U+200E, U+200F, U+061C; the zero-width U+200B-U+200D, U+2060, U+FEFF; the soft
 * hyphen; the tag characters), the line and paragraph separators, and the Hangul fillers that
 * render as blanks.
 */
const UNSEEN =
  // eslint-disable-next-line no-control-regex -- the control characters are what is matched
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}\u2028\u2029\u115f\u1160\u3164\uffa0]/u;
/** A value with none of them nor a combining mark or a right-to-left letter: shown as it is. */
const PLAIN = /^[\t\n\r\u0020-\u007e]*$/;
const COMBINING = /^\p{M}$/u;
/**
 * Combining marks shown on one letter; the rest of a longer pile is counted instead. Four
 * cover every script's usual stacks (Vietnamese, Hebrew points with cantillation); a pile
 * taller than that is drawn over the lines above and below it.
 */
export const MARKS_SHOWN = 4;
/**
 * Letters written right to left (Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation
 * forms; the historic scripts of the supplementary planes): a value holding one is isolated,
 * so that it cannot carry the digits and signs next to it into its own order.
 */
const RIGHT_TO_LEFT =
  /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;

/** Emoji, and what may follow one inside its sequence (skin tones, variation selectors). */
const PICTOGRAPH = /^\p{Extended_Pictographic}$/u;
const EMOJI_TRAILER = /^[\p{Emoji_Modifier}\ufe0e\ufe0f]$/u;
const ZERO_WIDTH_JOINER = '\u200d';

/** `U+202E`: a code point as operators look it up. */
export function codePointLabel(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A value cut into the text shown as it is and the notes shown in place of what is unseen. */
export type ShownPiece = { text: string } | { note: string };

/**
 * The pieces of `value` as shown (linear: one pass). A zero-width joiner between two emoji
 * (`👩‍💻`, `🏳️‍🌈`, a skin tone or variation selector after the first) is part of the emoji
 * sequence and shown as it is; anywhere else it is noted.
 */
export function shownPieces(value: string): ShownPiece[] {
  if (PLAIN.test(value)) return [{ text: value }];
  const pieces: ShownPiece[] = [];
  const chars = Array.from(value);
  let text = '';
  let marks = 0;
  let hidden = 0;
  // Whether the text shown ends in an emoji (with at most one trailer): a joiner may follow it.
  let afterEmoji = false;
  let trailed = false;
  const note = (words: string) => {
    if (text !== '') pieces.push({ text });
    text = '';
    afterEmoji = false;
    pieces.push({ note: words });
  };
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (afterEmoji && c === ZERO_WIDTH_JOINER && PICTOGRAPH.test(chars[i + 1] ?? '')) {
      text += c;
      afterEmoji = false;
      continue;
    }
    if (afterEmoji && !trailed && EMOJI_TRAILER.test(c)) {
      text += c;
      trailed = true;
      continue;
    }
    if (COMBINING.test(c)) {
      afterEmoji = false;
      marks++;
      if (marks > MARKS_SHOWN) hidden++;
      else text += c;
      continue;
    }
    if (hidden > 0) note(`+${hidden} marks`);
    marks = 0;
    hidden = 0;
    if (UNSEEN.test(c)) note(codePointLabel(c));
    else {
      text += c;
      afterEmoji = PICTOGRAPH.test(c);
      trailed = false;
    }
  }
  if (hidden > 0) note(`+${hidden} marks`);
  if (text !== '') pieces.push({ text });
  return pieces;
}

/**
 * Whether the pieces shown hold a right-to-left letter: shown isolated from the text around
 * them (the code points noted are not shown as they are, U+061C included).
 */
export function writtenRightToLeft(pieces: readonly ShownPiece[]): boolean {
  return pieces.some((p) => 'text' in p && !PLAIN.test(p.text) && RIGHT_TO_LEFT.test(p.text));
}
