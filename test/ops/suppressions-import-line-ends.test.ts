import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { createServices, type Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { cli, cliSuite } from './support.js';

/** Suppression lists whose lines end three ways at once, or whose addresses hold noncharacters. */
for (const engine of testEngines()) {
  describe(`suppressions import: mixed line ends and noncharacters (${engine.name})`, function () {
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

    cliSuite(engine, 'du-line-ends-', (suite) => {
      ({ env, db, dir } = suite);
      services = createServices(db, { customFields: [], defaultPartition: 'Default' });
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
  });
}
