import fs from 'node:fs';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type { Database } from '../../src/data-access/database.js';
import type { Services } from '../../src/compose.js';
import { csvRows } from '../../src/csv/suppression-csv.js';
import { testEngines } from '../support/database.js';
import { cli, suppressionsCliSuite, type SuppressionsSuite } from './support.js';

/**
 * What `suppressions export` selects and writes: cells no spreadsheet runs as formulas, read
 * back as stored, and an export imported elsewhere never lifting an address.
 */
for (const engine of testEngines()) {
  describe(`suppressions export on the command line (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let db: Database;
    let services: Services;
    let write: SuppressionsSuite['write'];

    suppressionsCliSuite(engine, (suite) => ({ env, db, services, write } = suite));
    /** Imports `content` as the list `name`, expecting exit `code`: its file and its output. */
    const importList = async (name: string, content: string, code: number) => {
      const file = write(name, content);
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.code, r.stderr).to.equal(code);
      return { file, stdout: r.stdout };
    };
    /** The address's master status: true, false, or null when it has none. */
    const unsubscribedOf = async (email: string) =>
      (await services.durableStatus.explain(email)).status?.unsubscribed ?? null;

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

    it('an export imported again by the same actor keeps its source: no " (actor)" added at each round trip', async () => {
      const first = write('round.csv', 'email,reason,source\nround@example.com,asked,Newsletter\n');
      expect((await cli(['suppressions', 'import', first, '--actor', 'alice'], env)).code).to.equal(
        0,
      );
      const source = async () =>
        (await services.durableStatus.explain('round@example.com')).status?.source;
      expect(await source()).to.equal('Newsletter (alice)');
      for (let trip = 1; trip <= 2; trip++) {
        const exported = await cli(['suppressions', 'export'], env);
        const file = write(`round-${trip}.csv`, exported.stdout);
        // The address lifted, as in a database the export is restored into that lacks it.
        const lifted = await cli(
          ['suppressions', 'remove', 'round@example.com', '--reason', 'test', '--actor', 'ops'],
          env,
        );
        expect(lifted.code, lifted.stderr).to.equal(0);
        const again = await cli(['suppressions', 'import', file, '--actor', 'alice'], env);
        expect(again.code, again.stdout + again.stderr).to.equal(0);
        expect(again.stdout).to.contain('1 address suppressed');
        expect(await source(), `round trip ${trip}`).to.equal('Newsletter (alice)');
      }
      // Another actor's import records them after the source as it was.
      const exported = write('round-bob.csv', (await cli(['suppressions', 'export'], env)).stdout);
      await cli(['suppressions', 'remove', 'round@example.com', '--reason', 'test'], env);
      expect(
        (await cli(['suppressions', 'import', exported, '--actor', 'bob'], env)).code,
      ).to.equal(0);
      expect(await source()).to.equal('Newsletter (alice) (bob)');
    });

    it('an export read into another database suppresses only what it lists as unsubscribed, never a lifted address', async () => {
      // What "suppressions export" writes: a lifted address is listed with unsubscribed=false.
      const r = await importList(
        'moving.csv',
        'email,unsubscribed,reason,source,date\n' +
          'lifted@example.com,false,asked to opt back in,Command line (ops),2026-03-02T00:00:00.000Z\n' +
          'kept@example.com,true,complaint,Command line (ops),2026-03-01T00:00:00.000Z\n',
        0,
      );
      expect(r.stdout).to.contain('1 row; 1 address suppressed');
      expect(r.stdout).to.contain('1 line not imported (unsubscribed false: import never lifts)');
      expect([
        await unsubscribedOf('kept@example.com'),
        await unsubscribedOf('lifted@example.com'),
      ]).to.deep.equal([true, null]);
    });

    it('an export edited in a spreadsheet that translates TRUE and FALSE still never suppresses a lifted address', async () => {
      // Before: only "false" was skipped; German Excel's FALSCH (French FAUX, a 0) suppressed
      // every lifted address of the export, and a cell saying neither was taken as an opt-out.
      const r = await importList(
        'edited.csv',
        'email;unsubscribed;reason\r\n' +
          'lifted-de@example.com;FALSCH;back in\r\n' +
          'lifted-fr@example.com;FAUX;back in\r\n' +
          'lifted-0@example.com;0;back in\r\n' +
          'kept-de@example.com;WAHR;asked\r\n' +
          'kept-blank@example.com;;asked\r\n' +
          'unclear@example.com;perhaps;asked\r\n',
        1,
      );
      expect(r.stdout).to.contain('3 rows; 2 addresses suppressed');
      expect(r.stdout).to.contain('3 lines not imported (unsubscribed false: import never lifts)');
      const rejects = fs.readFileSync(`${r.file}.rejects.csv`, 'utf8');
      expect(rejects).to.contain('7,unclear@example.com,the unsubscribed column says neither');
      const statuses = [];
      for (const name of ['lifted-de', 'lifted-fr', 'lifted-0', 'unclear', 'kept-de', 'kept-blank'])
        statuses.push(await unsubscribedOf(`${name}@example.com`));
      expect(statuses).to.deep.equal([null, null, null, null, true, true]);
    });
  });
}
