// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * A stored value as one line of plain text: a control character (a terminal escape, a newline
 * that would forge a history line) is shown as \n, \t or \u001b, never sent to the terminal.
 * Backslashes are doubled so that an escape cannot be faked either.
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
