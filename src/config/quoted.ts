// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * A refused value as a message quotes it: trimmed, on one line (a control character shown as
 * \uXXXX, so that a newline pasted into an env file cannot split the one line the start stops
 * with) and at most 40 characters, so that a value pasted whole into the wrong setting is not
 * repeated whole.
 */
export function quoted(raw: string): string {
  const chars = [...raw.trim()];
  const cut = chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : chars.join('');
  const escaped = cut.replace(
    CONTROL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `"${escaped}"`;
}
