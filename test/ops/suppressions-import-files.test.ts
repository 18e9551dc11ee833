import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { createServices, type Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { cli, cliSuite, exitWithPeakRss, spawnCli } from './support.js';

/**
 * Suppression lists as they come from spreadsheets, Windows tools and mistakes: huge files, line
 * ends of three kinds at once, addresses holding noncharacters, quotes never closed.
 */
for (const engine of testEngines()) {
  describe(`suppressions import: files as they come (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let db: Database;
    let services: Services;
    let dir: string;
    const write = (name: string, content: string | Buffer) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      return file;
    };
    const status = async (email: string) => (await services.durableStatus.explain(email)).status;

    cliSuite(engine, 'du-files-', (suite) => {
      ({ env, db, dir } = suite);
      services = createServices(db, { customFields: [], defaultPartition: 'Default' });
    });

    it('a file larger than a string can hold is read as a stream from its first line, not loaded whole', async () => {
      // Before: the check for an empty file read the whole file into one string: memory in
      // proportion to the list, and past 512 MiB "Cannot create a string longer than ..."
      // with a stack trace before the first row. 600 MiB here, sparse (no disk is used):
      // two rows, then a line of zero bytes without end.
      const file = write('huge.csv', 'email,reason\nhuge-1@example.com,asked\n');
      fs.truncateSync(file, 600 * 1024 * 1024);
      const { child, out, err } = spawnCli(['suppressions', 'import', file], env);
      const { code, peak } = await exitWithPeakRss(child, 20);
      expect(err()).to.not.match(/\n\s+at /);
      expect(code, err()).to.equal(1);
      expect(err()).to.equal(
        'Line 3 is longer than 1,048,576 characters: not a suppression row (email, reason, source, date); the file stops there\n' +
          'Before it: 1 row; 1 address suppressed, 0 rejected.\n',
      );
      expect(out()).to.equal('');
      expect((await status('huge-1@example.com'))?.unsubscribed).to.equal(true);
      expect(peak, `peak RSS ${Math.round(peak / 1048576)} MiB`).to.be.below(300 * 1024 * 1024);
    });

    it('a line of empty cells without end (only separators) stops the file there, in bounded memory', async () => {
      // Before: the ceiling on a row counted the characters of its cells, not its separators, so
      // a line of 20,000,000 commas passed as one row of 20,000,000 empty cells: over 1 GiB held
      // (a longer line ran out of memory), then skipped as a row of empty cells, exit 0.
      const file = write(
        'separators.csv',
        `email,reason\nseparators-1@example.com,asked\n${','.repeat(20_000_000)}\nseparators-2@example.com\n`,
      );
      const { child, out, err } = spawnCli(['suppressions', 'import', file], env);
      const { code, peak } = await exitWithPeakRss(child, 20);
      expect(code, err()).to.equal(1);
      expect(err()).to.equal(
        'Line 3 is longer than 1,048,576 characters: not a suppression row (email, reason, source, date); the file stops there\n' +
          'Before it: 1 row; 1 address suppressed, 0 rejected.\n',
      );
      expect(out()).to.equal('');
      expect((await status('separators-1@example.com'))?.unsubscribed).to.equal(true);
      expect(await status('separators-2@example.com')).to.equal(null);
      expect(peak, `peak RSS ${Math.round(peak / 1048576)} MiB`).to.be.below(300 * 1024 * 1024);
    });

    it('rows of empty cells (",,," from a spreadsheet, spaces) are skipped like empty lines, not rejected', async () => {
      // Before: each counted as a row and rejected as "not a valid address": exit 1 and a
      // rejects file for a list with nothing wrong in it.
      const file = write(
        'blank-rows.csv',
        'email,reason,source\r\nblank-1@example.com,asked,list\r\n,,\r\n   \r\n, ,\r\nnot-an-address,x,y\r\n,,\r\n',
      );
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.stdout).to.equal(
        '2 rows; 1 address suppressed, 0 already suppressed, 0 people unsubscribed, 1 rejected (see ' +
          `${file}.rejects.csv).\n`,
      );
      // The rejected row keeps its own line number.
      expect(fs.readFileSync(`${file}.rejects.csv`, 'utf8')).to.contain('\n6,not-an-address,');
      const clean = write('blank-only.csv', 'email\r\nblank-2@example.com\r\n,\r\n\r\n');
      const ok = await cli(['suppressions', 'import', clean], env);
      expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/^1 row; 1 address suppressed/);
    });

    it('reads UTF-16 lists (Excel "Unicode Text", PowerShell 5 redirection), either byte order, with or without a mark', async () => {
      // Before: "The first line has no "email" column", nothing imported.
      const text = (n: string) =>
        `Email,Reason\r\nutf16-${n}@example.com,désabonné ✓\r\nnot-an-address-${n},x\r\n`;
      const le = (s: string) => Buffer.from(s, 'utf16le');
      const be = (s: string) => Buffer.from(s, 'utf16le').swap16();
      const files = [
        write('le-bom.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), le(text('le-bom'))])),
        write('be-bom.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), be(text('be-bom'))])),
        write('le.csv', le(text('le'))),
        write('be.csv', be(text('be'))),
      ];
      for (const [n, file] of ['le-bom', 'be-bom', 'le', 'be'].entries()) {
        const r = await cli(['suppressions', 'import', files[n]!], env);
        expect(r.stderr, file).to.equal('');
        expect(r.code, file).to.equal(1);
        expect(r.stdout, file).to.match(/^2 rows; 1 address suppressed, .* 1 rejected/);
        expect(fs.readFileSync(`${files[n]}.rejects.csv`, 'utf8'), file).to.contain(
          `\n3,not-an-address-${['le-bom', 'be-bom', 'le', 'be'][n]},`,
        );
      }
      for (const n of ['le-bom', 'be-bom', 'le', 'be'])
        expect((await status(`utf16-${n}@example.com`))?.reason, n).to.equal('désabonné ✓');
      // A UTF-16 file of nothing but its mark and line breaks is empty, as in UTF-8.
      const empty = write(
        'empty16.csv',
        Buffer.concat([Buffer.from([0xff, 0xfe]), le('\r\n \r\n')]),
      );
      const r = await cli(['suppressions', 'import', empty], env);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/empty16\.csv is empty/);
    });

    it('export --since takes an ISO 8601 date, not any text Date.parse makes a date of', async () => {
      // Before: "--since 12" was 2001-12-01 and "--since 7" 2001-07-01: everything since then
      // was exported, without a word.
      for (const since of ['12', '7', '1/2/2026', 'Dec 2026'])
        expect((await cli(['suppressions', 'export', '--since', since], env)).code, since).to.equal(
          2,
        );
      for (const since of ['2026-01-31', '2026-01-31T10:00:00Z', '2026-01-31 10:00'])
        expect((await cli(['suppressions', 'export', '--since', since], env)).code, since).to.equal(
          0,
        );
    });

    it('a list whose lines end in CRLF, LF and CR alike imports every line, none folded into a reason', async () => {
      // Before: the line end of the header (CRLF) was taken as the only one; the LF- and
      // CR-ended lines after it were read as part of the first row's reason: three lines, one
      // address suppressed, exit 0, and the other two opt-outs silently lost.
      const file = write(
        'mixed.csv',
        'email,reason\r\nmixed-1@example.com,asked\nmixed-2@example.com,asked\rmixed-3@example.com,asked\r\nnot-an-address,x\n',
      );
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.stderr).to.not.match(/\n\s+at /);
      expect(r.stdout).to.equal(
        '4 rows; 3 addresses suppressed, 0 already suppressed, 0 people unsubscribed, 1 rejected (see ' +
          `${file}.rejects.csv).\n`,
      );
      expect(r.code).to.equal(1);
      for (const n of [1, 2, 3]) {
        const s = await status(`mixed-${n}@example.com`);
        expect(s?.unsubscribed, `mixed-${n}`).to.equal(true);
        expect(s?.reason, `mixed-${n}`).to.equal('asked');
      }
      expect(fs.readFileSync(`${file}.rejects.csv`, 'utf8')).to.match(
        /^line,email,why\n5,not-an-address,/,
      );
    });

    it('a line break inside a quoted cell stays in the cell whatever the file ends its lines with', async () => {
      const file = write(
        'quoted.csv',
        'email,reason\nquoted-1@example.com,"first\r\nsecond\rthird"\r\nquoted-2@example.com,asked\n',
      );
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.stdout).to.match(/^2 rows; 2 addresses suppressed,/);
      expect(r.code).to.equal(0);
      expect((await status('quoted-1@example.com'))?.reason).to.equal('first\r\nsecond\rthird');
      expect((await status('quoted-2@example.com'))?.unsubscribed).to.equal(true);
    });
    it('an address holding a noncharacter (U+FFFE, U+FFFF) is rejected, not stored as an opt-out of no one', async () => {
      // Before: "nonchar-1\uFFFE@example.com" was suppressed as a key apart from
      // nonchar-1@example.com, which stayed subscribed; the import said all was well (exit 0).
      const file = write(
        'nonchar.csv',
        'email,reason\nnonchar-1\ufffe@example.com,asked\nnonchar-2@exa\uffffmple.com,asked\nnonchar-3@example.com,asked\n',
      );
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.stdout).to.equal(
        '3 rows; 1 address suppressed, 0 already suppressed, 0 people unsubscribed, 2 rejected (see ' +
          `${file}.rejects.csv).\n`,
      );
      expect(r.code).to.equal(1);
      expect(fs.readFileSync(`${file}.rejects.csv`, 'utf8')).to.equal(
        'line,email,why\n2,nonchar-1\ufffe@example.com,Email is not a valid address\n' +
          '3,nonchar-2@exa\uffffmple.com,Email is not a valid address\n',
      );
      expect(await status('nonchar-1\ufffe@example.com')).to.equal(null);
      expect((await status('nonchar-3@example.com'))?.unsubscribed).to.equal(true);
    });
    it('a line holding bytes that are not UTF-8 (Windows-1252, a lone UTF-16 surrogate) is rejected whole, never stored as U+FFFD', async () => {
      // Before: "\xfcber" (Excel's "CSV" on Windows) was stored as the reason "\ufffdber", the
      // source likewise, and the import said all was well (exit 0); only an address holding
      // such bytes was rejected.
      const file = write(
        'cp1252.csv',
        Buffer.concat([
          Buffer.from('email,reason,source\r\ncp1252-1@example.com,'),
          Buffer.from([0xfc]),
          Buffer.from('ber,list\r\ncp1252-2@example.com,asked,caf'),
          Buffer.from([0xe9]),
          Buffer.from('\r\ncp1252-3@example.com,über,list\r\n'),
        ]),
      );
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.equal(
        '3 rows; 1 address suppressed, 0 already suppressed, 0 people unsubscribed, 2 rejected (see ' +
          `${file}.rejects.csv).\n`,
      );
      expect(r.code).to.equal(1);
      expect(fs.readFileSync(`${file}.rejects.csv`, 'utf8')).to.equal(
        'line,email,why\n' +
          '2,cp1252-1@example.com,the reason is not UTF-8 text (save the file as UTF-8)\n' +
          '3,cp1252-2@example.com,the source is not UTF-8 text (save the file as UTF-8)\n',
      );
      expect(await status('cp1252-1@example.com')).to.equal(null);
      expect(await status('cp1252-2@example.com')).to.equal(null);
      expect((await status('cp1252-3@example.com'))?.reason).to.equal('über');
      // UTF-16 holding a surrogate without its pair decodes to U+FFFD just the same.
      const utf16 = write(
        'lone16.csv',
        Buffer.concat([
          Buffer.from([0xff, 0xfe]),
          Buffer.from('email,reason\r\nlone16-1@example.com,a', 'utf16le'),
          Buffer.from([0x00, 0xd8]),
          Buffer.from('b\r\nlone16-2@example.com,asked\r\n', 'utf16le'),
        ]),
      );
      const r16 = await cli(['suppressions', 'import', utf16], env);
      expect(r16.stdout).to.match(/^2 rows; 1 address suppressed, .* 1 rejected/);
      expect(fs.readFileSync(`${utf16}.rejects.csv`, 'utf8')).to.equal(
        'line,email,why\n2,lone16-1@example.com,the reason is not UTF-8 text (save the file as UTF-8)\n',
      );
      expect(await status('lone16-1@example.com')).to.equal(null);
    });
    it('a quote never closed is reported at the line that opens it, not the last line of the file', async () => {
      // Before: "Quote Not Closed: the parsing is finished with an opening quote at line 6":
      // the file's last line, where nothing is wrong; the quote opened on line 3.
      const file = write(
        'unclosed.csv',
        'email,reason\nunclosed-1@example.com,asked\nunclosed-2@example.com,"never closed\nunclosed-3@example.com,asked\r\nunclosed-4@example.com,asked\rlast@example.com,x\n',
      );
      const r = await cli(['suppressions', 'import', file, '--dry-run'], env);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal(
        'The CSV could not be read: line 3 opens a quote that is never closed (a quote inside a cell is written twice: "")\n' +
          'Before it: 1 row; 1 address would be suppressed, 0 rejected.\n',
      );
      expect(await status('unclosed-1@example.com')).to.equal(null);
    });
    it('a stray quote is read as written, a malformed line is rejected by its number, and the rest is imported', async () => {
      // Before: the import stopped at the stray quote of line 4 (rows 2 and 3 kept), and
      // every later opt-out of the hand-edited list was left out.
      const file = write(
        'stray-quote.csv',
        'email,reason\nstray-1@example.com,asked\n"stray-2@example.com" ,asked\nstray-3@example.com,said "stop"\n"stray-x@example.com"x,asked\nstray-4@example.com,asked\n',
      );
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.match(/^5 rows; 4 addresses suppressed, .* 1 rejected/);
      const rejects = fs.readFileSync(`${file}.rejects.csv`, 'utf8').split('\n');
      expect(rejects[1]).to.equal(
        '5,"""stray-x@example.com""x","text follows a closing quote (a quote inside a quoted cell is written twice: """")"',
      );
      expect((await status('stray-1@example.com'))?.unsubscribed).to.equal(true);
      expect((await status('stray-2@example.com'))?.unsubscribed).to.equal(true);
      expect((await status('stray-3@example.com'))?.reason).to.equal('said "stop"');
      expect((await status('stray-4@example.com'))?.unsubscribed).to.equal(true);
    });
  });
}
