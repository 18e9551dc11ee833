import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { cli, suppressionsCliSuite, type SuppressionsSuite } from './support.js';

const OS_USER = os.userInfo().username;

/** What `suppressions import` stores, counts and rejects, row by row. */
for (const engine of testEngines()) {
  describe(`suppressions import on the command line: rows, counts and rejects (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let services: Services;
    let dir: string;
    let write: SuppressionsSuite['write'];
    let statusRows: SuppressionsSuite['statusRows'];
    const web = ChangePaths.webService();

    suppressionsCliSuite(engine, (suite) => ({ env, services, dir, write, statusRows } = suite));

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

    it('writes a rejected address without its bidirectional controls, so its rejects line reads as it is', async () => {
      // Before: U+202E (right-to-left override) went into the rejects file as it was, and a
      // terminal or an editor showed the rest of the line reversed ("sserdda dilav a ton si").
      const controls = ['\u202e', '\u2066', '\u200f', '\u061c', '\u0085'];
      const file = write(
        'bidi.csv',
        `email\n${controls.map((c, i) => `${c}bidi-${i}@example.com`).join('\n')}\n`,
      );
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.code, r.stderr).to.equal(1);
      const rejects = fs.readFileSync(`${file}.rejects.csv`, 'utf8').trim().split('\n').slice(1);
      expect(rejects).to.deep.equal(
        controls.map((_, i) => `${i + 2},\ufffdbidi-${i}@example.com,Email is not a valid address`),
      );
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

    it('rejects an address in a wrapper or two in one cell (<…>, mailto:, a;b), never suppressing a key no one holds', async () => {
      // Before: each was imported as written, under a key no person holds (`<wrap@example.com>`),
      // counted suppressed, while the address it names stayed subscribed.
      await services.leads.sync({ email: 'wrap@example.com' }, { path: web });
      const wrapped = [
        '<wrap@example.com>',
        'mailto:wrap@example.com',
        'wrap@example.com;other@example.com',
        '"wrap@example.com,other@example.com"',
        '＜wrap@example.com＞',
        'Wrap<wrap@example.com>',
      ];
      // A quoted local part (its cell quoted as CSV quotes it) and a domain literal may hold them.
      const kept = ['"""a,b""@example.com"', 'lit@[IPv6:2001:db8::1]', 'ok+tag@example.com'];
      const file = write('wrapped.csv', ['email', ...wrapped, ...kept].join('\n') + '\n');
      const before = await statusRows();
      const r = await cli(['suppressions', 'import', file], env);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.contain(`${wrapped.length} rejected`);
      expect(await statusRows()).to.equal(before + kept.length);
      const rejects = fs.readFileSync(`${file}.rejects.csv`, 'utf8').trim().split('\n').slice(1);
      expect(rejects.map((l) => Number(l.split(',')[0]))).to.deep.equal(
        wrapped.map((_, i) => i + 2),
      );
      expect(rejects.join('\n')).to.contain('not one address as written');
      expect((await services.durableStatus.explain('wrap@example.com')).status).to.equal(null);
      // A spelling someone holds as written (a SOAP client stored it) is theirs to suppress:
      // an export read back, or a restore's replay, brings its opt-out back.
      await services.leads.sync({ email: '<held@example.com>' }, { path: web });
      const held = write('held.csv', 'email\n<held@example.com>\n');
      const again = await cli(['suppressions', 'import', held], env);
      expect(again.code, again.stdout + again.stderr).to.equal(0);
      expect(again.stdout).to.contain('1 address suppressed');
      expect(
        (await services.durableStatus.explain('<held@example.com>')).status?.unsubscribed,
      ).to.equal(true);
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
  });
}
