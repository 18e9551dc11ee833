import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { BIN, cli, spawnCli, suppressionsCliSuite, type SuppressionsSuite } from './support.js';

/**
 * What the suppression commands do when a file, a signal or a pipe stops them: one line
 * saying why (no stack trace), an exit code that tells the caller, and nothing half-written.
 */
for (const engine of testEngines()) {
  describe(`suppressions on the command line: unusable files, signals and pipes (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let db: Database;
    let dir: string;
    let write: SuppressionsSuite['write'];
    let statusRows: SuppressionsSuite['statusRows'];

    suppressionsCliSuite(engine, (suite) => ({ env, db, dir, write, statusRows } = suite));

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
      const bars = write('bars.csv', 'email|reason\nann@example.com|asked\n');
      const broken = write('broken.csv', 'email,reason\n"ann@example.com,asked\n');
      for (const [file, says] of [
        [noHeader, /looks like data, not a header/],
        [bars, /separate fields with vertical bars; use commas/],
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

    it('a second signal stops at once, the rows it says are stored all stored', async () => {
      // Before: the count said was that of the rows read, the batch not yet committed included.
      const lines = ['email,reason'];
      for (let i = 0; i < 100000; i++) lines.push(`twice${i}@example.com,asked`);
      const list = write('twice.csv', lines.join('\n') + '\n');
      const { child, err } = spawnCli(['suppressions', 'import', list], env);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      while ((await statusRows()) === 0) await new Promise((r) => setTimeout(r, 20));
      // Two signals of one kind may arrive as one: two kinds (handled in either order).
      child.kill('SIGTERM');
      child.kill('SIGINT');
      expect([130, 143], err()).to.include(await exited);
      const said = /the first (\d+) rows of .* are imported and stored/.exec(err());
      expect(said, err()).to.not.equal(null);
      expect(await statusRows()).to.be.at.least(Number(said![1]));
      await db.knex('email_status').where('email_key', 'like', 'twice%').delete();
      await db.knex('email_status_history').where('email_key', 'like', 'twice%').delete();
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

    it('IMPORT_MAX_ROW_CHARS: a line longer than set stops the import there; the default reads past it', async () => {
      const file = write(
        'row-setting.csv',
        `email,reason\nrow-before@example.com,asked\n${'y'.repeat(5000)}\nrow-after@example.com,asked\n`,
      );
      const tight = await cli(['suppressions', 'import', file], {
        ...env,
        IMPORT_MAX_ROW_CHARS: '4096',
      });
      expect(tight.code).to.equal(1);
      expect(tight.stderr).to.match(
        /^Line 3 is longer than 4,096 characters: not a suppression row \(email, reason, source, date\); the file stops there\n/,
      );
      // The default rejects that line alone and imports the row after it.
      const usual = await cli(['suppressions', 'import', file], env);
      expect(usual.stderr).not.to.match(/longer than/);
      expect(usual.stdout + usual.stderr).to.match(/1 rejected/);
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
