/**
 * About how many bytes an answer's value takes once written, for a page to stop taking records
 * before its answer grows past a bound. A character the writer escapes (answer-writer.ts) is
 * counted as its longest reference, so a value of `<` counts four times what it holds, as it
 * is sent; each member counts its start and end tags. One pass over the value.
 */
const ESCAPED = /[&<>"'\t\r\n]/g;
/** `&quot;`, the longest reference the writer puts for one character. */
const LONGEST_REFERENCE = 6;
/** `<x xsi:nil="true"></x>` beside `<x></x>`. */
const NIL_ATTRIBUTE = 17;

function textBytes(text: string): number {
  const escaped = text.match(ESCAPED)?.length ?? 0;
  return Buffer.byteLength(text, 'utf8') + escaped * (LONGEST_REFERENCE - 1);
}

/** The bytes `value` takes as the content of an element (without the element's own tags). */
export function answerBytesOf(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'string') return textBytes(value);
  if (typeof value !== 'object') return textBytes(String(value));
  let bytes = 0;
  for (const [name, member] of Object.entries(value)) {
    // `<name>` and `</name>` around each item (an array is its items, each in its own tags).
    const tags = 2 * name.length + 5;
    for (const item of Array.isArray(member) ? member : [member])
      bytes += tags + (item === null ? NIL_ATTRIBUTE : answerBytesOf(item));
  }
  return bytes;
}
