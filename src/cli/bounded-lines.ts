/**
 * Lines of standard input with a ceiling on each: a line longer than `maxBytes` is reported as
 * too long and skipped to its end without being kept, so input with no line breaks (a binary
 * file piped by mistake) costs at most `maxBytes` of memory, not its own size.
 */
export type BoundedLine = { text: string; tooLong: false } | { text: null; tooLong: true };

export async function* boundedLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes: number,
): AsyncGenerator<BoundedLine> {
  let parts: Buffer[] = [];
  let held = 0;
  let tooLong = false;
  const finish = (): BoundedLine => {
    const line: BoundedLine = tooLong
      ? { text: null, tooLong: true }
      : { text: Buffer.concat(parts, held).toString('utf8').replace(/\r$/, ''), tooLong: false };
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
