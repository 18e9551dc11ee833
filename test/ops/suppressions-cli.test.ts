import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type { Database } from '../../src/data-access/database.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { createServices, type Services } from '../../src/compose.js';
import { csvRows } from '../../src/suppression-csv.js';
import { testEngines } from '../support/database.js';
import { BIN, cli, cliSuite, spawnCli } from './support.js';

const OS_USER = os.userInfo().username;

for (const engine of testEngines()) {
  describe(`suppressions on the command line (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let db: Database;
    let services: Services;
    let dir: string;
    const web = ChangePaths.webService();
    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    };
    const statusRows = async () =>
      Number(((await db.knex('email_status').count({ n: '*' })) as Array<{ n: number }>)[0]!.n);

    cliSuite(engine, 'du-supp-', (suite) => {
      ({ env, db, dir } = suite);
      services = createServices(db, { customFields: [], defaultPartition: 'Default' });
    });

    it('refuses unusable files in one line with exit code 2: missing, a directory, empty', async () => {
      const cases: Array<[string, RegExp]> = [
        [path.join(dir, 'nope.csv'), /^No such file: .*nope\.csv\n$/],
        [dir, /^.* is a directory, not a CSV file\n$/],
        [write('empty.csv', ''), /^.*empty\.csv is empty: expected a header line/],
        [write('blank.csv', '\n\n  \n'), /^.*blank\.csv is empty/],
      ];
      for (const [file, says] of cases) {
        const r = await cli(['suppressions', 'import', file], env);
        expect(r.code, file).to.equal(2);
        expect(r.stderr, file).to.match(says);
        expect(r.stderr.trim().split('\n'), file).to.have.length(1);
      }
      expect(await statusRows()).to.equal(0);
    });

    it('a file without a header or with another delimiter: one line saying why, no stack trace, exit 1', async () => {
      const noHeader = write('no-header.csv', 'ann@example.com,asked\nbob@example.com,asked\n');
      const semicolons = write('semicolons.csv', 'email;reason\nann@example.com;asked\n');
      const broken = write('broken.csv', 'email,reason\n"ann@example.com,asked\n');
      for (const [file, says] of [
        [noHeader, /looks like data, not a header/],
        [semicolons, /separate fields with semicolons; use commas/],
        [broken, /^The CSV could not be read/],
      ] as const) {
        const r = await cli(['suppressions', 'import', file], env);
        expect(r.code, file).to.equal(1);
        expect(r.stderr, file).to.match(says);
        expect(r.stderr.trim().split('\n'), file).to.have.length(1);
        expect(r.stderr, file).to.not.match(/\n\s+at /);
      }
      expect(await statusRows()).to.equal(0);
    });

    it('--rejects naming the list being imported, or a place it cannot be written, is refused before a row is imported', async () => {
      // Before: the rejects file opened at the first bad line truncated the list while it was
      // read, and the import ended early as if the list ended there (the rest of the opt-outs
      // neither imported nor kept); an unwritable one crashed mid-import with a stack trace.
      const lines = ['email,reason', 'not-an-address,x'];
      for (let i = 0; i < 20000; i++) lines.push(`keep${i}@example.com,asked`);
      const text = lines.join('\n') + '\n';
      const list = write('list.csv', text);
      fs.symlinkSync(list, path.join(dir, 'list-link.csv'));
      const cases: Array<[string, RegExp]> = [
        [list, /is the file being imported: writing rejects would overwrite the list/],
        [path.join(dir, 'list-link.csv'), /is the file being imported/],
        [
          path.join(dir, 'no-such-dir', 'r.csv'),
          /^Rejected lines cannot be written to .*\(ENOENT\)/,
        ],
        [dir, /^Rejected lines cannot be written to .*\(a directory\)/],
      ];
      for (const [rejects, says] of cases) {
        const r = await cli(['suppressions', 'import', list, '--rejects', rejects], env);
        expect(r.code, rejects).to.equal(2);
        expect(r.stderr, rejects).to.match(says);
        expect(r.stderr.trim().split('\n'), rejects).to.have.length(1);
        expect(fs.readFileSync(list, 'utf8'), 'the list is intact').to.equal(text);
        expect(await statusRows(), rejects).to.equal(0);
      }
      fs.rmSync(list);
      fs.rmSync(path.join(dir, 'list-link.csv'));
    });

    it('SIGTERM during an import: the rows read are imported, one line says so, exit 143; running it again finishes', async () => {
      // Before: the process died where it stood (exit by signal, nothing said), the operator
      // left to guess how far it got.
      const lines = ['email,reason'];
      for (let i = 0; i < 100000; i++) lines.push(`sig${i}@example.com,asked`);
      const list = write('signalled.csv', lines.join('\n') + '\n');
      const { child, out, err } = spawnCli(['suppressions', 'import', list], env);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      while ((await statusRows()) === 0) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      expect(await exited, err()).to.equal(143);
      expect(err()).to.match(
        /^suppressions import stopped by SIGTERM: the first \d+ rows of .* are imported and stored/,
      );
      expect(err().trim().split('\n')).to.have.length(1);
      expect(err()).to.not.match(/\n\s+at /);
      const imported = Number(/^(\d+) rows; \1 addresses suppressed/.exec(out())?.[1]);
      expect(imported, out()).to.be.above(0).and.below(100000);
      expect(await statusRows()).to.equal(imported);
      const again = await cli(['suppressions', 'import', list], env);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.contain(
        `${100000 - imported} addresses suppressed, ${imported} already`,
      );
      expect(await statusRows()).to.equal(100000);
      await db.knex('email_status').where('email_key', 'like', 'sig%').delete();
      await db.knex('email_status_history').where('email_key', 'like', 'sig%').delete();
    });

    it('export into a pipe whose reader is gone (| head) stops quietly with 141, no stack trace', async () => {
      // Before: an unhandled EPIPE, its stack trace on the terminal, exit 1.
      const child = spawn(process.execPath, [BIN, 'suppressions', 'export'], {
        env: { ...process.env, LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy(); // the reader goes away before the first line is written
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code, err).to.equal(141);
      expect(err).to.equal('');
    });

    it('--dry-run writes nothing at all: no status, no rejects file (unless --rejects is given)', async () => {
      await services.leads.sync({ email: 'dry@example.com' }, { path: web });
      const file = write('dry.csv', 'email\ndry@example.com\nnot-an-address\n');
      const r = await cli(['suppressions', 'import', file, '--dry-run'], env);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal(
        'Dry run (nothing written): 2 rows; 1 address would be suppressed, 0 already suppressed, 1 person would be unsubscribed, 1 rejected (add --rejects FILE to list them).\n',
      );
      expect(fs.readdirSync(dir).filter((f) => f.includes('rejects'))).to.deep.equal([]);
      expect(await statusRows()).to.equal(0);
      const listed = path.join(dir, 'asked-for.rejects.csv');
      await cli(['suppressions', 'import', file, '--dry-run', '--rejects', listed], env);
      expect(fs.readFileSync(listed, 'utf8')).to.contain('3,not-an-address');
      // It lists addresses: readable by the one who ran the import alone, whatever the umask.
      expect((fs.statSync(listed).mode & 0o777).toString(8)).to.equal('600');
      fs.rmSync(listed);
      expect(await statusRows()).to.equal(0);
    });

    it('says "1 row", "1 address", "1 person"; exit 0 when nothing is rejected; records the OS user or --actor', async () => {
      const one = write('one.csv', 'email,reason\ndry@example.com,asked by phone\n');
      const r = await cli(['suppressions', 'import', one], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(
        '1 row; 1 address suppressed, 0 already suppressed, 1 person unsubscribed, 0 rejected.\n',
      );
      expect(fs.existsSync(`${one}.rejects.csv`)).to.equal(false);
      const byOsUser = await services.durableStatus.explain('dry@example.com');
      expect(byOsUser.status?.source).to.equal(`Suppression import (${OS_USER})`);

      const two = write('two.csv', 'email\nactor@example.com\n');
      expect(
        (await cli(['suppressions', 'import', two, '--actor', 'crm-nightly'], env)).code,
      ).to.equal(0);
      const history = (await services.durableStatus.explain('actor@example.com')).history;
      expect(history.map((h) => h.source)).to.deep.equal(['Suppression import (crm-nightly)']);
    });

    it('export --since needs a value, and selects on when a status was recorded, not its own date', async () => {
      const none = await cli(['suppressions', 'export', '--since'], env);
      expect(none.code).to.equal(2);
      expect(none.stderr).to.equal('--since needs a value\n');
      const before = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      const late = write('late.csv', 'email,date\nbackdated@example.com,2020-01-01\n');
      expect((await cli(['suppressions', 'import', late], env)).code).to.equal(0);
      const r = await cli(['suppressions', 'export', '--since', before], env);
      expect(r.code).to.equal(0);
      const rows = parse(r.stdout, { columns: true }) as Array<Record<string, string>>;
      expect(rows.map((x) => x.email)).to.deep.equal(['backdated@example.com']);
      expect(rows[0]!.date).to.equal('2020-01-01T00:00:00.000Z');
    });

    it('export neutralises formula cells, and importing the export gives back the same values', async () => {
      const evil = write(
        'evil.csv',
        'email,reason,source\n"=HYPERLINK(""http://x"")@example.com",+SUM(1),@bad\nplain@example.com,-1 day,\tTAB\n',
      );
      const imported = await cli(['suppressions', 'import', evil, '--actor', '=cmd'], env);
      expect(imported.code, imported.stdout + imported.stderr).to.equal(0);
      const r = await cli(['suppressions', 'export'], env);
      const cells = (parse(r.stdout, { relax_quotes: false }) as string[][]).flat();
      for (const c of cells) expect(c, JSON.stringify(c)).to.not.match(/^[=+\-@\t\r]/);
      expect(r.stdout).to.contain(`"'=hyperlink(""http://x"")@example.com"`);
      expect(r.stdout).to.contain(`"'+SUM(1)"`);
      expect(r.stdout).to.contain(`"'-1 day"`);
      // The export read back: the same addresses and reasons, nothing new to suppress.
      const exported = write('exported.csv', r.stdout);
      const again = await cli(['suppressions', 'import', exported], env);
      expect(again.stdout).to.match(/; 0 addresses suppressed, \d+ already suppressed/);
      const report = await services.durableStatus.explain('=HYPERLINK("http://x")@example.com');
      expect(report.status?.reason).to.equal('+SUM(1)');
    });

    it('export neutralises formulas behind blanks and full-width signs, and reads back every stored value as it was', async () => {
      const emails = ['blank', 'ideographic', 'fullwidth', 'quoted', 'padded'].map(
        (n) => `${n}@roundtrip.example`,
      );
      const listed = write('roundtrip.csv', `email\n${emails.join('\n')}\n`);
      expect((await cli(['suppressions', 'import', listed], env)).code).to.equal(0);
      // Reasons and sources as other paths store them (an integration's UnsubscribedReason is
      // kept as sent): an import trims its own cells.
      const stored: Array<[string, string, string]> = [
        [emails[0]!, ' =HYPERLINK("http://x")', '\t=1'],
        [emails[1]!, '\u3000@cmd', '\u00a0+1'],
        [emails[2]!, '\uff1dHYPERLINK("http://x")', '\uff0dsum'],
        [emails[3]!, "'\uff0bx", "' =y"],
        [emails[4]!, ' padded =x', 'a\uff20b'],
      ];
      for (const [email, reason, source] of stored)
        await db.knex('email_status').where({ email_key: email }).update({ reason, source });
      const before = await db.knex('email_status').select('*').orderBy('email_key');
      const history = await db.knex('email_status_history').count({ n: '*' });

      const r = await cli(['suppressions', 'export'], env);
      expect(r.code, r.stderr).to.equal(0);
      const rows = parse(r.stdout, { columns: true }) as Array<Record<string, string>>;
      const row = (email: string) => rows.find((x) => x.email === email)!;
      // Before: these cells were written as they were (a spreadsheet ran the formulas).
      for (const [email, reason, source] of stored.slice(0, 4)) {
        expect(row(email).reason, email).to.equal(`'${reason}`);
        expect(row(email).source, email).to.equal(`'${source}`);
      }
      expect(row(emails[4]!).reason).to.equal(' padded =x');
      expect(row(emails[4]!).source).to.equal('a\uff20b');

      // Read back, every cell is the stored value; imported, the export changes nothing.
      const exported = write('roundtrip-export.csv', r.stdout);
      const read = new Map<string, { reason?: string; source?: string }>();
      for await (const x of csvRows(exported, { bytes: 0 })) read.set(x.email, x);
      for (const [email, reason, source] of stored)
        expect(read.get(email), email).to.deep.include({ reason, source });
      const again = await cli(['suppressions', 'import', exported], env);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.match(/; 0 addresses suppressed, \d+ already suppressed/);
      expect(await db.knex('email_status').select('*').orderBy('email_key')).to.deep.equal(before);
      expect(await db.knex('email_status_history').count({ n: '*' })).to.deep.equal(history);
    });

    it('an export read into another database suppresses only what it lists as unsubscribed, never a lifted address', async () => {
      // What "suppressions export" writes: a lifted address is listed with unsubscribed=false.
      const exported = write(
        'moving.csv',
        'email,unsubscribed,reason,source,date\n' +
          'lifted@example.com,false,asked to opt back in,Command line (ops),2026-03-02T00:00:00.000Z\n' +
          'kept@example.com,true,complaint,Command line (ops),2026-03-01T00:00:00.000Z\n',
      );
      const r = await cli(['suppressions', 'import', exported], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('1 row; 1 address suppressed');
      expect(r.stdout).to.contain('1 line not imported (unsubscribed false: import never lifts)');
      expect(
        (await services.durableStatus.explain('kept@example.com')).status?.unsubscribed,
      ).to.equal(true);
      expect((await services.durableStatus.explain('lifted@example.com')).status).to.equal(null);
    });

    it('rejects a line whose reason or source holds a control character (NUL), and imports the others', async () => {
      const file = write(
        'nul.csv',
        'email,reason,source\nnul-reason@example.com,"a\u0000b",list\nnul-source@example.com,ok,"s\u0000"\nfine@example.com,ok,list\n',
      );
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.contain('3 rows; 1 address suppressed');
      expect(r.stdout).to.contain('2 rejected');
      const rejects = fs.readFileSync(`${file}.rejects.csv`, 'utf8');
      expect(rejects).to.contain(
        '2,nul-reason@example.com,reason or source holds a control character',
      );
      expect(rejects).to.contain(
        '3,nul-source@example.com,reason or source holds a control character',
      );
      expect(
        (await services.durableStatus.explain('fine@example.com')).status?.unsubscribed,
      ).to.equal(true);
    });

    it('reports a rejected row by the line it starts on, after a quoted field holding line breaks (Excel CRLF)', async () => {
      // Line 2's reason spans lines 2-4 (a CRLF and a bare LF inside the quotes), line 5 is
      // empty, line 7's reason spans 7-8: the rejected rows start on lines 6 and 9.
      const rows = [
        'email,reason,source',
        'multi-1@example.com,"first\r\nsecond\nthird",list',
        '',
        'not-an-address,asked,list',
        'multi-2@example.com,"one\r\ntwo",list',
        'also-bad,asked,list',
      ];
      const file = write('excel-multiline.csv', rows.join('\r\n') + '\r\n');
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.contain('2 rejected');
      const rejects = fs.readFileSync(`${file}.rejects.csv`, 'utf8').trim().split('\n');
      expect(rejects.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).to.deep.equal([
        '6,not-an-address',
        '9,also-bad',
      ]);
    });

    it('refuses an address holding an invisible format character (U+200B, U+FEFF, ...) and stores nothing for it', async () => {
      const hidden = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'].map(
        (c, n) => `hid${c}den-${n}@example.com`,
      );
      const file = write('invisible.csv', ['email', ...hidden, 'visible@example.com'].join('\n'));
      const before = await statusRows();
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.contain(`${hidden.length} rejected`);
      expect(await statusRows()).to.equal(before + 1);
      for (const [n] of hidden.entries()) {
        expect((await services.durableStatus.explain(`hidden-${n}@example.com`)).status).to.equal(
          null,
        );
      }
    });

    it('add and remove one address through the durable rules: everyone holding it follows', async () => {
      const a = await services.leads.sync({ email: 'one@example.com' }, { path: web });
      const b = await services.leads.sync(
        { email: 'ONE@example.com' },
        { path: web, partition: 'East', matchByEmail: false },
      );
      const flags = async () =>
        (await services.leads.find({ keyType: 'EMAIL', keyValue: 'one@example.com' }))
          .sort((x, y) => x.id - y.id)
          .map((l) => l.unsubscribed);
      expect(a.leadId).to.not.equal(b.leadId);

      const noReason = await cli(['suppressions', 'add', 'one@example.com'], env);
      expect(noReason.code).to.equal(2);
      expect(noReason.stderr).to.contain('--reason');
      const bad = await cli(['suppressions', 'add', 'not an address', '--reason', 'x'], env);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.equal('not an address: Email is not a valid address\n');

      const added = await cli(
        [
          'suppressions',
          'add',
          'One@Example.com',
          '--reason',
          'asked by letter',
          '--actor',
          'ops-jane',
        ],
        env,
      );
      expect(added.code, added.stderr).to.equal(0);
      expect(added.stdout).to.equal('one@example.com suppressed; 2 people unsubscribed.\n');
      expect(await flags()).to.deep.equal([true, true]);
      const again = await cli(['suppressions', 'add', 'one@example.com', '--reason', 'x'], env);
      expect(again.stdout).to.contain('already suppressed: nothing changed');

      const removed = await cli(
        ['suppressions', 'remove', 'one@example.com', '--reason', 'wrote to opt back in'],
        env,
      );
      expect(removed.code, removed.stderr).to.equal(0);
      // It says what it lifted: the suppression added above, with its reason.
      expect(removed.stdout).to.match(
        /^one@example\.com no longer suppressed \(lifted a suppression of \d{4}-\d\d-\d\d \("asked by letter"\)\); 2 people resubscribed\.\n$/,
      );
      expect(await flags()).to.deep.equal([false, false]);
      const history = (await services.durableStatus.explain('one@example.com')).history;
      expect(history.map((h) => [h.unsubscribed, h.reason, h.source])).to.deep.equal([
        [true, 'asked by letter', 'Command line (ops-jane)'],
        [false, 'wrote to opt back in', `Command line (${OS_USER})`],
      ]);
      // Nobody holds it yet: the status waits for the first person.
      await cli(['suppressions', 'add', 'later@example.com', '--reason', 'complaint'], env);
      const later = await services.leads.sync({ email: 'later@example.com' }, { path: web });
      expect(later.lead.unsubscribed).to.equal(true);
      expect(await services.durableStatus.findViolations()).to.deep.equal([]);
    });

    it('a line longer than any row stops the import there, naming it; the rows before it are imported and counted', async () => {
      // 700 rows (more than one batch of the import), then a line of 1,200,000 characters.
      const rows = Array.from({ length: 700 }, (_, i) => `long-line-${i}@example.com,asked`);
      const file = write(
        'long-line.csv',
        `email,reason\n${rows.join('\n')}\n${'x'.repeat(1_200_000)}\n`,
      );
      const before = await statusRows();
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal(
        'Line 702 is longer than 1,048,576 characters: not a suppression row (email, reason, source, date); the file stops there\n' +
          'Before it: 700 rows; 700 addresses suppressed, 0 rejected.\n',
      );
      expect((await statusRows()) - before).to.equal(700);
    });
  });
}
