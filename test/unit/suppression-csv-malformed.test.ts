import { expect } from 'chai';
import { csvRowsPerSuite } from '../support/suppression-list.js';

/**
 * Lines of a hand-edited list that RFC 4180 would call malformed: each is read by line (an
 * address the import cannot take is then rejected with its line number, as any bad address
 * is), and every line after it is still read, with its own line number.
 */
describe('a suppression CSV with malformed quoting', () => {
  const readRows = csvRowsPerSuite('du-csv-malformed-');
  const rowsOf = async (text: string) =>
    (await readRows(text)).map((r) => [r.line, r.email, r.reason]);

  it('reads a quote inside an unquoted cell as written, and every line after it', async () => {
    const rows = await rowsOf(
      'email,reason\na@example.com,r1\nb"c@example.com,r2\nd@example.com,said "no"\ne@example.com,r4\n',
    );
    expect(rows).to.deep.equal([
      [2, 'a@example.com', 'r1'],
      [3, 'b"c@example.com', 'r2'],
      [4, 'd@example.com', 'said "no"'],
      [5, 'e@example.com', 'r4'],
    ]);
  });

  it('reads a quoted cell followed by blanks as the cell', async () => {
    const rows = await rowsOf(
      'email,reason\n"a@example.com" ,r1\n"b@example.com",  "said ""no"""\t\n"c@example.com"  \nd@example.com,r4\n',
    );
    expect(rows).to.deep.equal([
      [2, 'a@example.com', 'r1'],
      [3, 'b@example.com', 'said "no"'],
      [4, 'c@example.com', undefined],
      [5, 'd@example.com', 'r4'],
    ]);
  });

  it('reads a quote behind leading blanks as opening a quoted cell, whose commas and line breaks are text', async () => {
    // Before: the quote was text there, so `,  "Smith, John"` split at the inner comma (reason
    // `  "Smith`), and a line break inside such a cell began a new row.
    const rows = await rowsOf(
      'email,reason\na@example.com,  "Smith, John"\nb@example.com,\t"two\nlines, one cell"\n' +
        'c@example.com,\u00a0\u3000"no-break, ideographic"  \n  "d@example.com" ,r4\ne@example.com,r5\n' +
        'f@example.com,"said ""no"", twice" \n',
    );
    expect(rows).to.deep.equal([
      [2, 'a@example.com', 'Smith, John'],
      [3, 'b@example.com', 'two\nlines, one cell'],
      [5, 'c@example.com', 'no-break, ideographic'],
      [6, 'd@example.com', 'r4'],
      [7, 'e@example.com', 'r5'],
      [8, 'f@example.com', 'said "no", twice'],
    ]);
  });

  it('still reads a quote behind text as text, and rejects text after a quoted cell behind blanks', async () => {
    expect(await rowsOf('email,reason\na@example.com,x "y, z"\n')).to.deep.equal([
      [2, 'a@example.com', 'x "y'],
    ]);
    const [row] = await readRows('email,reason\n  "a@example.com"x,r1\n');
    expect(row).to.include({ line: 2, misquoted: true });
  });

  it('keeps a cell quoted as RFC 4180 says as it reads', async () => {
    expect(await rowsOf('email,reason\na@example.com,"""no"""\n')).to.deep.equal([
      [2, 'a@example.com', '"no"'],
    ]);
  });

  it('reads a line with text after a closing quote by line, and the lines after it', async () => {
    const rows = await rowsOf(
      'email,reason\n"a@example.com"x,r1\n"b@example.com"x,"two\nlines"\nc@example.com,r3\n',
    );
    expect(rows).to.deep.equal([
      [2, '"a@example.com"x', 'r1'],
      [3, '"b@example.com"x', 'two\nlines'],
      [5, 'c@example.com', 'r3'],
    ]);
  });

  it("reads Excel's sep= first line as the separator it names", async () => {
    expect(await rowsOf('sep=;\nemail;reason\na@example.com;r,1\n')).to.deep.equal([
      [3, 'a@example.com', 'r,1'],
    ]);
    expect(await rowsOf('\ufeffSEP=|\r\nemail|reason\r\n"a@example.com"|r1\r\n')).to.deep.equal([
      [3, 'a@example.com', 'r1'],
    ]);
    expect(await rowsOf('sep=,\nemail,reason\nb@example.com,r2\n')).to.deep.equal([
      [3, 'b@example.com', 'r2'],
    ]);
    expect(await rowsOf('sep=\t\t\nemail\treason\nc@example.com\tr;3\n')).to.deep.equal([
      [3, 'c@example.com', 'r;3'],
    ]);
  });
});
