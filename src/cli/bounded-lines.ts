import { isUtf8 } from 'node:buffer';

/**
 * Lines of standard input with a ceiling on each: a line longer than `maxBytes` is reported as
 * too long and skipped to its end without being kept, so input with no line breaks (a binary
 * file piped by mistake) costs at most `maxBytes` of memory, not its own size. `utf8` says
 * whether the line's bytes were UTF-8 (`text` then holds U+FFFD where they were not).
 */
export type BoundedLine =
  { text: string; tooLong: false; utf8: boolean } | { text: null; tooLong: true };

export async function* boundedLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes: number,
): AsyncGenerator<BoundedLine> {
  let parts: Buffer[] = [];
  let held = 0;
  let tooLong = false;
  const finish = (): BoundedLine => {
    const bytes = Buffer.concat(parts, held);
    const line: BoundedLine = tooLong
      ? { text: null, tooLong: true }
      : { text: bytes.toString('utf8').replace(/\r$/, ''), tooLong: false, utf8: isUtf8(bytes) };
    parts = [];
    held = 0;
    tooLong = false;
    return line;
  };
  // Bytes past the limit are dropped as they arrive; the line's end is still looked for.
  const keep = (piece: Buffer) => {
    if (tooLong) return;
    if (held + piece.length > maxBytes) {
      tooLong = true;
      parts = [];
      held = 0;
      return;
    }
    parts.push(piece);
    held += piece.length;
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let end = bytes.indexOf(10, start); end >= 0; end = bytes.indexOf(10, start)) {
      keep(bytes.subarray(start, end));
      yield finish();
      start = end + 1;
    }
    if (start < bytes.length) keep(bytes.subarray(start));
  }
  if (held > 0 || tooLong) yield finish();
}
