import { expect } from 'chai';
import { csvField, csvRow, RecordStartLines, unneutralise } from '../../src/csv/csv-row.js';

describe('CSV cells (every export)', () => {
  it('neutralises cells a spreadsheet would run as formulas (OWASP: = + - @ TAB CR, and LF)', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).to.equal(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('+SUM(1,2)')).to.equal(`"'+SUM(1,2)"`);
    expect(csvField('-2+3')).to.equal(`"'-2+3"`);
    expect(csvField('@cmd')).to.equal(`"'@cmd"`);
    expect(csvField('\t=1')).to.equal(`"'\t=1"`);
    expect(csvField('\r=1')).to.equal(`"'\r=1"`);
    // A line break first hides the formula on the cell's second line, as TAB and CR do.
    expect(csvField('\n=HYPERLINK("http://x")')).to.equal(`"'\n=HYPERLINK(""http://x"")"`);
  });

  it('neutralises a formula behind leading blanks, full-width formula signs, and a leading NUL', () => {
    // Before: written as they were. Spreadsheets drop leading blanks (Google Sheets) or are
    // told to (LibreOffice's "trim spaces"), and read the full-width signs (IME input) as the
    // ASCII ones.
    for (const v of [
      ' =HYPERLINK("http://x")',
      '  +1',
      '\u00a0-1',
      '\u3000@cmd',
      ' \t\r\n=1',
      '\uff1dHYPERLINK("http://x")',
      '\uff0bSUM(1)',
      '\uff0d1',
      '\uff20cmd',
      ' \uff1d1',
      '\u0000=1',
      '\u0000',
    ]) {
      const cell = csvField(v);
      expect(cell, JSON.stringify(v)).to.equal(`"'${v.replace(/"/g, '""')}"`);
      expect(unneutralise(cell.slice(1, -1).replace(/""/g, '"')), JSON.stringify(v)).to.equal(v);
    }
    // Blanks before anything else stay as they were (quoted, not neutralised); so do these
    // signs anywhere but first, and a vertical bar (a formula start only after one of them).
    expect(csvField(' padded =x')).to.equal('" padded =x"');
    expect(csvField('a\uff1db')).to.equal('a\uff1db');
    expect(csvField('|cmd')).to.equal('|cmd');
  });

  it('neutralises a formula behind direction marks and bidi controls, a byte order mark, and reads it back', () => {
    // Invisible like the zero-width characters: a cell that starts with one and then a formula
    // sign shows as a formula to whoever reads it and is one to a spreadsheet that drops them.
    for (const v of [
      '\u200e=1',
      '\u200f+1',
      '\u202e=HYPERLINK("http://x")',
      '\u202a-1',
      '\u2066@cmd',
      '\u2069=1',
      '\u061c=1',
      '\ufeff=1',
      '\u200e \u202e\uff1d1',
    ]) {
      const cell = csvField(v);
      expect(cell, JSON.stringify(v)).to.match(/^"'/);
      expect(unneutralise(cell.slice(1, -1).replace(/""/g, '"')), JSON.stringify(v)).to.equal(v);
    }
    expect(csvField('\u202eann')).to.equal('\u202eann');
  });

  it('reads back values made of apostrophes before a newly neutralised start', () => {
    for (const v of ["' =1", "''\uff1dx", "'\u3000@z", "'\u0000"]) {
      const cell = csvField(v);
      expect(cell, JSON.stringify(v)).to.equal(`"'${v}"`);
      expect(unneutralise(cell.slice(1, -1)), JSON.stringify(v)).to.equal(v);
    }
    // An apostrophe before blanks before nothing dangerous is an ordinary value.
    expect(unneutralise("' x")).to.equal("' x");
  });

  it('leaves ordinary text, numbers and booleans as they are, quoting only when needed', () => {
    expect(csvField('ann@example.com')).to.equal('ann@example.com');
    expect(csvField('a, b')).to.equal('"a, b"');
    expect(csvField('say "hi"')).to.equal('"say ""hi"""');
    expect(csvField(' padded')).to.equal('" padded"');
    // A semicolon or a tab is a separator to Excel in some locales and to LibreOffice.
    expect(csvField('x;=1+1;')).to.equal('"x;=1+1;"');
    expect(csvField('x\t=1+1')).to.equal('"x\t=1+1"');
    expect(csvField(-1)).to.equal('-1');
    expect(csvField(true)).to.equal('true');
    expect(csvField(null)).to.equal('');
    expect(csvRow(['=x', 2, 'a'])).to.equal(`"'=x",2,a\n`);
  });

  it('reads back a value that itself starts with apostrophes before a formula character', () => {
    // Before: "'=x" was written as it is and read back as "=x" (docs promise the same values).
    for (const v of ["'=1+1", "''+x", "'-", "'@z"]) {
      const cell = csvField(v);
      expect(cell, v).to.equal(`"'${v}"`);
      expect(unneutralise(cell.slice(1, -1)), v).to.equal(v);
    }
  });

  it('reads a neutralised cell back as it was', () => {
    for (const v of ['=1+1', '+x', '-y', '@z', '\tq', '\nq', "'plain", 'plain'])
      expect(unneutralise(csvField(v).replace(/^"|"$/g, '').replace(/""/g, '"'))).to.equal(v);
  });
});

describe('RecordStartLines (line numbers of rows read)', () => {
  const startsOf = (text: string, chunk = text.length) => {
    const lines = new RecordStartLines(1);
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i < bytes.length; i += chunk) lines.feed(bytes.subarray(i, i + chunk));
    const out: number[] = [];
    for (let l = lines.next(); l !== undefined; l = lines.next()) out.push(l);
    return out;
  };

  it('gives the line a record starts on, past quoted line breaks (CRLF, LF, CR) and empty lines', () => {
    const text = 'email,reason\r\na@x,"1\r\n2\n3\r4"\r\n\r\nb@x,"say ""hi""\r\n"\r\nc@x,ok';
    expect(startsOf(text)).to.deep.equal([2, 7, 9]);
    // The same whatever the chunks, a CRLF or a multi-byte character split across two.
    for (const chunk of [1, 2, 3, 5]) expect(startsOf(text, chunk)).to.deep.equal([2, 7, 9]);
    expect(startsOf('email\né@x\n"ü\n"\n', 1)).to.deep.equal([2, 3]);
  });

  it('reads a quote behind blanks at a cell start as opening a quoted cell, as ltrim does', () => {
    // Spaces, a tab, a form feed, no-break (2 bytes), ideographic (3) and byte-order-mark
    // blanks; then a quote behind a letter of 2 bytes or behind text, which is text.
    const text =
      'email,reason\na@x,  "1\n2"\nb@x,\t\f"3\n4"\nc@x,\u00a0\u3000\ufeff"5\n6"\n' +
      'd@x,é"7\ne@x, x"8\nf@x\n';
    for (const chunk of [text.length, 1, 2])
      expect(startsOf(text, chunk)).to.deep.equal([2, 4, 6, 8, 9, 10]);
  });

  it('takes no line of blanks alone for a record, as csv-parse skips it once ltrim leaves it empty', () => {
    // Before: each such line was a record here and none in csv-parse, so every row after it
    // was reported one line early (a rejected row named by the line before its own).
    const text = 'email,reason\r\na@x,1\r\n   \r\n, ,\r\n\t\u00a0\u3000\nb@x,2\n \n,,\n  "c@x"\n';
    for (const chunk of [text.length, 1, 2, 3])
      expect(startsOf(text, chunk)).to.deep.equal([2, 4, 6, 8, 9]);
    // Blanks before the header: the header is still the line skipped.
    expect(startsOf('  \nemail\na@x\n')).to.deep.equal([3]);
  });

  it('with a ceiling, stops at the character that takes a record past it, separators and quotes counted', () => {
    const lines = new RecordStartLines(1, 10);
    // Line 3 starts at byte 10: its eleventh comma (byte 20) is its eleventh character.
    expect(lines.feed(Buffer.from('email\na@x\n,,,,,,,,,,,\n'))).to.equal(20);
    expect(lines.lastRecordLine).to.equal(3);
    // A quoted line break is part of the record; "é" is one character of two bytes.
    const quoted = new RecordStartLines(1, 10);
    expect(quoted.feed(Buffer.from('email\n"é\né\né",x\n'))).to.equal(
      Buffer.byteLength('email\n"é\né\né",x\n'),
    );
  });
});
