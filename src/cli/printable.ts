// C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional
// controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), as the log escapes them.
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A stored value as one line of plain text: a control character (a terminal escape, a newline
 * that would forge a history line, a bidirectional control that would show the rest of the line
 * backwards on a terminal that orders text as Unicode says) is shown as \n, \t or \u001b,
 * never sent to the terminal. Backslashes are doubled so that an escape cannot be faked either.
 */
export function printable(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(UNPRINTABLE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** A count and its noun, singular for one: "1 row", "2 rows". */
export const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
