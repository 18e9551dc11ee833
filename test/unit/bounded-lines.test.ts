import { expect } from 'chai';
import { boundedLines, type BoundedLine } from '../../src/cli/bounded-lines.js';

async function linesOf(chunks: Array<string | Buffer>, max: number): Promise<BoundedLine[]> {
  const out: BoundedLine[] = [];
  for await (const line of boundedLines(
    (async function* () {
      yield* chunks;
    })(),
    max,
  ))
    out.push(line);
  return out;
}

const text = (t: string): BoundedLine => ({ text: t, tooLong: false, utf8: true });
const tooLong: BoundedLine = { text: null, tooLong: true };

describe('boundedLines', () => {
  it('splits on LF, drops a CR before it, keeps empty lines and a last line without LF', async () => {
    expect(await linesOf(['a\r\n\nb', 'c\nlast'], 10)).to.deep.equal([
      text('a'),
      text(''),
      text('bc'),
      text('last'),
    ]);
  });

  it('joins a multi-byte character split between chunks', async () => {
    const bytes = Buffer.from('é@example.com\n');
    expect(await linesOf([bytes.subarray(0, 1), bytes.subarray(1)], 64)).to.deep.equal([
      text('é@example.com'),
    ]);
  });

  it('reports a line over the limit once, across chunks, and goes on with the next', async () => {
    expect(await linesOf(['12345', '6789', '0\nok\n', 'abcdefghijk'], 8)).to.deep.equal([
      tooLong,
      text('ok'),
      tooLong,
    ]);
    // Exactly at the limit is kept.
    expect(await linesOf(['12345678\n'], 8)).to.deep.equal([text('12345678')]);
  });

  it('says whether a line was UTF-8, across chunks, a character split between two included', async () => {
    const bytes = Buffer.from('é\n');
    const lines = await linesOf(
      [bytes.subarray(0, 1), bytes.subarray(1), Buffer.from([0xe9, 0x0a])],
      8,
    );
    expect(lines.map((l) => !l.tooLong && l.utf8)).to.deep.equal([true, false]);
  });
});
