/**
 * `suppressions import -`: the list piped in (curl … | …, zcat … | …) is imported as the same
 * list given as FILE is; what cannot be imported (a terminal, nothing, too much) is refused
 * before anything is stored, and the private copy of the input never outlives the command.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  BIN,
  cli,
  embeddedEnv,
  eventually,
  suppressionsCliSuite,
  toolOrSkip,
  type SuppressionsSuite,
} from './support.js';

const EMPTY_LINE =
  'standard input is empty: expected a header line with an "email" column, then one address per line\n';

/** The built CLI with standard input `stdin` (a pipe by default), its output collected. */
function spawnWithInput(
  args: string[],
  env: Record<string, string>,
  stdin: 'pipe' | 'ignore' | number = 'pipe',
): { child: ChildProcess; out(): string; err(): string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  // The command may end before it has read all (a refusal): its answer is what is checked.
  child.stdin?.on('error', () => undefined);
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return { child, out: () => out, err: () => err };
}

/** The exit code of `child`, or null if it had not ended within `ms` (then it is killed). */
async function exitWithin(child: ChildProcess, ms: number): Promise<number | null> {
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return code;
}

for (const engine of testEngines()) {
  describe(`suppressions import - reads the list from standard input (${engine.name})`, function () {
    this.timeout(180000);
    let env: Record<string, string>;
    let dir: string;
    let write: SuppressionsSuite['write'];
    let statusRows: SuppressionsSuite['statusRows'];
    let services: SuppressionsSuite['services'];
    /** TMPDIR of the runs: where the copy of standard input is kept while it is imported. */
    let tmp: string;

    suppressionsCliSuite(engine, (suite) => {
      ({ env, dir, write, statusRows, services } = suite);
      tmp = path.join(dir, 'tmp');
      fs.mkdirSync(tmp);
      env = { ...env, TMPDIR: tmp };
    });
    afterEach(() => expect(fs.readdirSync(tmp), 'copies of standard input left').to.deep.equal([]));

    it('imports a piped list as the same list given as FILE: same rows stored, same rejects file', async () => {
      const list = [
        'email;reason;source',
        'piped-1@example.com;asked;crm',
        'not-an-address;asked;crm',
        'Piped-2@Example.com;asked;crm',
        'piped-1@example.com;twice;crm',
      ].join('\r\n');
      const rejects = path.join(dir, 'piped.rejects.csv');
      const r = await cli(['suppressions', 'import', '-', '--rejects', rejects], env, {
        input: list,
      });
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal(
        `4 rows; 2 addresses suppressed, 0 already suppressed, 0 people unsubscribed, 2 rejected (see ${rejects}).\n`,
      );
      const status = (await services.durableStatus.explain('piped-2@example.com')).status;
      expect(status?.unsubscribed).to.equal(true);
      expect(status?.reason).to.equal('asked');
      // The same list as a file: nothing left to store, the same lines rejected.
      const file = write('piped.csv', list);
      const again = await cli(['suppressions', 'import', file], env);
      expect(again.stdout).to.equal(
        `4 rows; 0 addresses suppressed, 2 already suppressed, 0 people unsubscribed, 2 rejected (see ${file}.rejects.csv).\n`,
      );
      expect(fs.readFileSync(rejects, 'utf8')).to.equal(
        fs.readFileSync(`${file}.rejects.csv`, 'utf8'),
      );
      expect((fs.statSync(rejects).mode & 0o777).toString(8)).to.equal('600');
    });

    it('a dry run of a piped list stores nothing and needs no --rejects', async () => {
      const before = await statusRows();
      const r = await cli(['suppressions', 'import', '-', '--dry-run'], env, {
        input: 'email\ndry-piped@example.com\nbad\n',
      });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stdout).to.equal(
        'Dry run (nothing written): 2 rows; 1 address would be suppressed, 0 already suppressed, 0 people would be unsubscribed, 1 rejected (add --rejects FILE to list them).\n',
      );
      expect(await statusRows()).to.equal(before);
    });

    it('a real run without --rejects is refused before standard input is read: exit 2, one line', async () => {
      const before = await statusRows();
      const r = await cli(['suppressions', 'import', '-'], env, {
        input: 'email\nno-rejects@example.com\n',
      });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.equal(
        'suppressions import - needs --rejects FILE: standard input has no file name to write the rejected lines beside\n',
      );
      expect(await statusRows()).to.equal(before);
    });

    it('standard input redirected from the list named by --rejects is refused (it would be overwritten)', async () => {
      const file = write('self.csv', 'email\nself@example.com\nbad\n');
      const fd = fs.openSync(file, 'r');
      try {
        const run = spawnWithInput(['suppressions', 'import', '-', '--rejects', file], env, fd);
        expect(await exitWithin(run.child, 30000)).to.equal(2);
        expect(run.err()).to.equal(
          `--rejects ${file} is the file being imported: writing rejects would overwrite the list; give another file\n`,
        );
      } finally {
        fs.closeSync(fd);
      }
      expect(fs.readFileSync(file, 'utf8')).to.equal('email\nself@example.com\nbad\n');
    });

    it('empty standard input, a pipe closed at once or none at all (/dev/null), answers as an empty file: exit 2', async () => {
      const before = await statusRows();
      for (const input of ['', ' \r\n\t\n', '\ufeff\n']) {
        const r = await cli(['suppressions', 'import', '-', '--rejects', `${dir}/e.csv`], env, {
          input,
        });
        expect(r.code, JSON.stringify(input)).to.equal(2);
        expect(r.stderr).to.equal(EMPTY_LINE);
        expect(r.stdout).to.equal('');
      }
      const none = spawnWithInput(['suppressions', 'import', '-', '--dry-run'], env, 'ignore');
      expect(await exitWithin(none.child, 30000)).to.equal(2);
      expect(none.err()).to.equal(EMPTY_LINE);
      expect(await statusRows()).to.equal(before);
    });

    it('input past IMPORT_STDIN_MAX_MB is refused whole: exit 2, nothing stored, its copy removed', async () => {
      const before = await statusRows();
      const rows = ['email'];
      // Valid rows all through: refused for its size, not for what it holds.
      for (let i = 0; rows.length * 30 < 1.5 * 1024 * 1024; i++)
        rows.push(`over-limit-${i}@example.com`);
      const r = await cli(
        ['suppressions', 'import', '-', '--rejects', `${dir}/over.csv`],
        { ...env, IMPORT_STDIN_MAX_MB: '1' },
        { input: rows.join('\n') },
      );
      expect(r.code).to.equal(2);
      expect(r.stderr).to.equal(
        'Standard input holds more than 1 MiB (IMPORT_STDIN_MAX_MB): nothing is imported; import the list from its FILE, or raise IMPORT_STDIN_MAX_MB\n',
      );
      expect(await statusRows()).to.equal(before);
      // Under the ceiling, the same setting imports it.
      const small = await cli(
        ['suppressions', 'import', '-', '--rejects', `${dir}/over.csv`],
        { ...env, IMPORT_STDIN_MAX_MB: '1' },
        { input: rows.slice(0, 1000).join('\n') },
      );
      expect(small.code, small.stderr).to.equal(0);
      expect(await statusRows()).to.equal(before + 999);
    });

    it('a copy that cannot be written whole (a full disk) is one line, exit 1, nothing stored, no copy left', async () => {
      const before = await statusRows();
      const rows = ['email'];
      for (let i = 0; i < 2000; i++) rows.push(`full-disk-${i}@example.com`);
      // bash's `ulimit -f` (KiB): each write past it fails with EFBIG, as on a full disk.
      const run = spawn(
        'bash',
        [
          '-c',
          'ulimit -f 4 && exec "$0" "$@"',
          process.execPath,
          BIN,
          'suppressions',
          'import',
          '-',
        ].concat(['--rejects', `${dir}/full.csv`]),
        { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let err = '';
      run.stderr.on('data', (c: Buffer) => (err += c.toString()));
      run.stdin.on('error', () => undefined);
      run.stdin.end(rows.join('\n'));
      expect(await exitWithin(run, 30000), err).to.equal(1);
      expect(err).to.equal(
        `Standard input could not be kept in ${tmp} while it is imported (EFBIG): nothing is imported; set TMPDIR to a directory with room, or import the list from its FILE\n`,
      );
      expect(await statusRows()).to.equal(before);
    });

    it('SIGINT mid-import stops it as for a file: what was stored stays, one line says how many, exit 130', async () => {
      const lines = ['email,reason'];
      for (let i = 0; i < 100000; i++) lines.push(`int${i}@example.com,asked`);
      const list = lines.join('\n') + '\n';
      const args = ['suppressions', 'import', '-', '--rejects', `${dir}/int.csv`];
      const before = await statusRows();
      const run = spawnWithInput(args, env);
      run.child.stdin!.end(list);
      while ((await statusRows()) === before) await new Promise((r) => setTimeout(r, 50));
      run.child.kill('SIGINT');
      expect(await exitWithin(run.child, 60000), run.err()).to.equal(130);
      const stored = (await statusRows()) - before;
      expect(stored).to.be.above(0).and.below(100000);
      expect(run.err()).to.equal(
        `suppressions import stopped by SIGINT: the first ${stored} rows of standard input are imported and stored (${stored} addresses suppressed); the rest is not: piping the same list in again finishes it\n`,
      );
      // Piped in again, the list is finished: every address stored once.
      const again = await cli(args, env, { input: list });
      expect(again.code, again.stderr).to.equal(0);
      expect(await statusRows()).to.equal(before + 100000);
    });

    it('SIGTERM while standard input is still being read: nothing imported, one line, exit 143, its copy removed', async () => {
      const before = await statusRows();
      const run = spawnWithInput(['suppressions', 'import', '-', '--rejects', `${dir}/t.csv`], env);
      // The writer has not finished: the command waits for the rest of the list.
      run.child.stdin!.write('email\nterm-1@example.com\nterm-2@example.com\n');
      expect(await eventually(() => fs.readdirSync(tmp).length > 0, 20000)).to.equal(true);
      run.child.kill('SIGTERM');
      expect(await exitWithin(run.child, 30000), run.err()).to.equal(143);
      expect(run.err()).to.equal(
        'suppressions import stopped by SIGTERM: nothing is imported (standard input was still being read)\n',
      );
      expect(await statusRows()).to.equal(before);
    });
  });
}

describe('suppressions import - on a terminal, or refused, opens nothing', function () {
  this.timeout(60000);

  it('a terminal on standard input (nothing piped) is a usage error saying to pipe a file, not a wait', async function () {
    const script = toolOrSkip(this, 'script', 'apt-get install bsdutils');
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'du-stdin-tty-'));
    try {
      const dataDir = path.join(parent, 'data');
      const env = { ...process.env, LOG_LEVEL: 'warn', ...embeddedEnv(dataDir) };
      // script(1) runs the command with a new terminal as its standard input.
      const command = `${process.execPath} ${BIN} suppressions import - --dry-run`;
      const child = spawn(script, ['-qec', command, '/dev/null'], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      expect(await exitWithin(child, 20000), out).to.equal(2);
      expect(out).to.contain(
        'suppressions import -: standard input is a terminal, not a CSV; pipe the list in',
      );
      expect(fs.existsSync(dataDir), 'DATA_DIR made').to.equal(false);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('empty or over-limit standard input creates no DATA_DIR', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'du-stdin-made-'));
    try {
      const dataDir = path.join(parent, 'data');
      const env = embeddedEnv(dataDir, { IMPORT_STDIN_MAX_MB: '1' });
      const empty = await cli(['suppressions', 'import', '-', '--dry-run'], env, { input: '' });
      expect(empty.code, empty.stderr).to.equal(2);
      expect(empty.stderr).to.equal(EMPTY_LINE);
      const big = `email\n${'x'.repeat(2 * 1024 * 1024)}\n`;
      const over = await cli(['suppressions', 'import', '-', '--dry-run'], env, { input: big });
      expect(over.code, over.stderr).to.equal(2);
      expect(over.stderr).to.match(/^Standard input holds more than 1 MiB \(IMPORT_STDIN_MAX_MB\)/);
      expect(fs.existsSync(dataDir), 'DATA_DIR made').to.equal(false);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});
