import { expect } from 'chai';
import { UnreadableCsv } from '../../src/csv/suppression-csv.js';
import { csvRowsPerSuite } from '../support/suppression-list.js';

describe('the header line of a suppression CSV', () => {
  const rowsOf = csvRowsPerSuite('du-csv-header-');

  // Before: the later column silently won, so every address of the earlier one was left out
  // of the import (never suppressed, never rejected) and the import reported success.
  for (const header of ['email,reason,email', 'Email,reason, EMAIL ', 'email,reason,reason']) {
    it(`refuses "${header}": a column named twice, one of them would be dropped unread`, async () => {
      let error: unknown;
      try {
        await rowsOf(`${header}\nfirst@example.com,asked,second@example.com\n`);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(UnreadableCsv);
      expect((error as Error).message).to.match(/column .* more than once/i);
    });
  }

  it('still reads unknown columns, even repeated ones, and the known ones once each', async () => {
    const rows = await rowsOf('email,note,note,reason\nann@example.com,a,b,asked\n');
    expect(rows.map((r) => [r.email, r.reason])).to.deep.equal([['ann@example.com', 'asked']]);
  });
});

describe('the field separator of a suppression CSV, told by its header line', () => {
  const readRows = csvRowsPerSuite('du-csv-separator-');
  const rowsOf = async (content: string | Buffer) =>
    (await readRows(content)).map((r) => [r.line, r.email, r.reason ?? null]);

  // Before: both were refused whole ("the file seems to separate fields with ..."), although
  // they are what Excel writes: semicolons where the decimal mark is a comma (Germany, France,
  // ...), and tabs in UTF-16 for "Unicode Text".
  it('reads the semicolons of Excel where the decimal mark is a comma, a comma inside a cell kept', async () => {
    const rows = await rowsOf(
      '\ufeffE-Mail-Adresse;Email ;Reason\r\nx;semi-1@example.com;abgemeldet, per Telefon\r\nx;"semi-2@example.com";"a; b"\r\n',
    );
    expect(rows).to.deep.equal([
      [2, 'semi-1@example.com', 'abgemeldet, per Telefon'],
      [3, 'semi-2@example.com', 'a; b'],
    ]);
  });

  it('reads the tabs of Excel\'s "Unicode Text" (UTF-16, little-endian, with its mark)', async () => {
    const text = 'Email\tReason\r\ntab-1@example.com\tdésabonné, merci\r\n\r\n';
    const rows = await rowsOf(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    );
    expect(rows).to.deep.equal([[2, 'tab-1@example.com', 'désabonné, merci']]);
  });

  it('keeps the comma when the header is comma-separated, a semicolon in a cell kept', async () => {
    const rows = await rowsOf('email,reason\ncomma-1@example.com,a;b\n');
    expect(rows).to.deep.equal([[2, 'comma-1@example.com', 'a;b']]);
  });

  it('still refuses a header with no email column whatever separates it, saying so', async () => {
    for (const header of ['E-Mail;Grund', 'address\treason', 'email|reason']) {
      let error: unknown;
      try {
        await rowsOf(`${header}\nann@example.com\n`);
      } catch (e) {
        error = e;
      }
      expect(error, header).to.be.instanceOf(UnreadableCsv);
      expect((error as Error).message, header).to.match(/no "email" column/);
    }
  });
});
