/**
 * The long-running commands stopped by a signal (Ctrl-C, a service manager's or a container
 * runtime's SIGTERM, a closed terminal's SIGHUP): each stops, removes what it had half written,
 * says so in one line on stderr and exits 128 + the signal's number, as a shell reports it.
 * Run as PID 1 in a container (no init), a process with no handler of its own never receives
 * SIGTERM at all: the runtime waits, then kills; these tests run the command as PID 1 of a PID
 * namespace of its own (unshare) to show it stops.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { storeOptOuts } from '../support/stored-rows.js';
import { BIN, cli, cliSuite, eventually, spawnCli, spawnOutput } from './support.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const exitCodeOf = (signal: (typeof SIGNALS)[number]) => 128 + os.constants.signals[signal];

/** Whether this machine lets a test run a process as PID 1 of a new PID namespace. */
const canBePid1 =
  spawnSync('unshare', ['--pid', '--fork', process.execPath, '-e', 'process.exit(process.pid)'])
    .status === 1;

/**
 * The built CLI as PID 1 of a PID namespace of its own, as in a container without an init:
 * `pid()` is its process id as seen from here, the one a signal is sent to.
 */
function spawnAsPid1(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; pid(): Promise<number>; out(): string; err(): string } {
  const run = spawnOutput('unshare', ['--pid', '--fork', process.execPath, BIN, ...args], env);
  const { child } = run;
  const pid = async () => {
    let found = 0;
    await eventually(() => {
      try {
        const file = `/proc/${child.pid}/task/${child.pid}/children`;
        found = Number(fs.readFileSync(file, 'utf8').trim().split(' ')[0] || 0);
      } catch {
        found = 0;
      }
      return found > 0;
    }, 10000);
    return found;
  };
  return { ...run, pid };
}

/**
 * Resolves as soon as a file whose name `matches` is in `dir` (watched, not polled: a copy is
 * renamed into place within a few hundred milliseconds).
 */
function created(dir: string, matches: (name: string) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const watcher = fs.watch(dir, () => {
      if (!fs.readdirSync(dir).some(matches)) return;
      watcher.close();
      resolve();
    });
    if (fs.readdirSync(dir).some(matches)) {
      watcher.close();
      resolve();
    }
  });
}

const partialName = (name: string) => name.includes('.partial-');

/** The exit code of `child`, or null if it had not ended within `ms` (then it is killed). */
async function exitWithin(child: ChildProcess, ms: number): Promise<number | null> {
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return code;
}

describe('backup stopped by a signal', function () {
  this.timeout(180000);
  let tmp: string;
  let env: Record<string, string>;

  before(async () => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-backup-signal-'));
    env = { DATABASE_URL: '', DATA_DIR: path.join(tmp, 'data') };
    const added = await cli(['suppressions', 'add', 'kept@example.com', '--reason', 'test'], env);
    expect(added.code, added.stderr).to.equal(0);
    // A database big enough for the copy to take a while (about 160 MB).
    const db = new BetterSqlite3(path.join(env.DATA_DIR!, SQLITE_FILE_NAME));
    db.exec('CREATE TABLE test_filler (b BLOB)');
    const insert = db.prepare('INSERT INTO test_filler VALUES (randomblob(262144))');
    db.transaction(() => {
      for (let i = 0; i < 640; i++) insert.run();
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const partialIn = (dir: string) => fs.readdirSync(dir).some((f) => f.includes('.partial-'));

  for (const signal of SIGNALS) {
    it(`${signal} while the copy is written: the partial file is removed, one line, exit ${exitCodeOf(signal)}`, async () => {
      // Before: the process died where it stood, FILE.partial-PID (and its -wal/-shm) left
      // beside the operator's backups, nothing said.
      const dir = path.join(tmp, `by-${signal}`);
      fs.mkdirSync(dir);
      const file = path.join(dir, 'b.sqlite');
      const copying = created(dir, partialName);
      const run = spawnCli(['backup', file], env);
      await copying;
      run.child.kill(signal);
      const code = await exitWithin(run.child, 30000);
      expect(code, run.err()).to.equal(exitCodeOf(signal));
      expect(run.err()).to.equal(`backup stopped by ${signal}: nothing was written at ${file}\n`);
      expect(fs.readdirSync(dir)).to.deep.equal([]);
      const shown = await cli(['explain', 'kept@example.com'], env);
      expect(shown.code, shown.stderr).to.equal(0);
    });
  }

  it('restore: SIGTERM while the backup is copied in leaves the database in place as it was, one line, exit 143', async () => {
    // Before: the database in place was removed first and the backup copied into its place:
    // stopped midway, DATA_DIR held half a database (or none).
    const dir = path.join(tmp, 'to-restore');
    fs.mkdirSync(dir);
    const backup = path.join(dir, 'big.sqlite');
    const made = await cli(['backup', backup], env);
    expect(made.code, made.stderr).to.equal(0);
    const target = { DATABASE_URL: '', DATA_DIR: path.join(tmp, 'small') };
    const added = await cli(['suppressions', 'add', 'small@example.com', '--reason', 't'], target);
    expect(added.code, added.stderr).to.equal(0);
    const live = path.join(target.DATA_DIR, SQLITE_FILE_NAME);
    const size = fs.statSync(live).size;
    const before = fs.readFileSync(live);
    // Before, the database in place was removed first: its going is the copy's start.
    const copying = created(
      target.DATA_DIR,
      (n) => partialName(n) || n === `${SQLITE_FILE_NAME}-journal`,
    );
    const run = spawnCli(['restore', backup], target);
    await Promise.race([
      copying,
      eventually(() => fs.statSync(live, { throwIfNoEntry: false })?.size !== size),
    ]);
    run.child.kill('SIGTERM');
    const code = await exitWithin(run.child, 30000);
    expect(code, run.err()).to.equal(143);
    expect(run.err()).to.equal(
      `restore stopped by SIGTERM: nothing restored, the database in ${target.DATA_DIR} is as it was\n`,
    );
    expect(partialIn(target.DATA_DIR)).to.equal(false);
    expect(fs.readFileSync(live).equals(before), 'the database in place is untouched').to.equal(
      true,
    );
    const shown = await cli(['explain', 'small@example.com'], target);
    expect(shown.code, shown.stderr).to.equal(0);
    expect(shown.stdout).to.match(/unsubscribed|suppressed/i);
  });

  it('as PID 1 (a container without an init), SIGTERM stops it the same way', async function () {
    if (!canBePid1) this.skip();
    // Before: PID 1 with no handler of its own ignores SIGTERM: the backup went on, and a
    // container runtime would wait for its kill timeout and kill it, the partial file left.
    const dir = path.join(tmp, 'as-pid-1');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'b.sqlite');
    const copying = created(dir, partialName);
    const run = spawnAsPid1(['backup', file], env);
    const pid = await run.pid();
    await copying;
    process.kill(pid, 'SIGTERM');
    const code = await exitWithin(run.child, 30000);
    expect(code, run.err()).to.equal(143);
    expect(run.err()).to.equal(`backup stopped by SIGTERM: nothing was written at ${file}\n`);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});

for (const engine of testEngines()) {
  describe(`suppressions export and import stopped by a signal (${engine.name})`, function () {
    this.timeout(180000);
    let env: Record<string, string>;
    let db: Database;
    let dir: string;
    const ROWS = 200000;

    cliSuite(engine, 'du-stop-signals-', (suite) => {
      ({ env, db, dir } = suite);
    });

    const statusRows = async (like: string) =>
      Number(
        (
          (await db
            .knex('email_status')
            .where('email_key', 'like', like)
            .count({ n: '*' })) as Array<{
            n: number;
          }>
        )[0]!.n,
      );

    before(() => storeOptOuts(db, ROWS, 'many'));

    /** Waits for the first CSV lines on stdout, then sends `signal` to `pid`. */
    async function signalOnceWriting(out: () => string, pid: number, signal: string) {
      expect(
        await eventually(() => out().split('\n').length > 2, 30000),
        'export started',
      ).to.equal(true);
      process.kill(pid, signal);
    }

    for (const signal of SIGNALS) {
      it(`export: ${signal} stops it in one line saying the CSV is incomplete, exit ${exitCodeOf(signal)}`, async () => {
        // Before: killed where it stood, nothing said (and as PID 1 not stopped at all).
        const run = spawnCli(['suppressions', 'export'], env);
        await signalOnceWriting(run.out, run.child.pid!, signal);
        const code = await exitWithin(run.child, 30000);
        expect(code, run.err()).to.equal(exitCodeOf(signal));
        const written = run.out().split('\n').length - 2;
        expect(written).to.be.below(ROWS);
        expect(run.err()).to.match(
          new RegExp(
            `^suppressions export stopped by ${signal}: the CSV written to standard output is incomplete \\(\\d+ of the statuses\\); run it again\\n$`,
          ),
        );
      });
    }

    it('export as PID 1 (a container without an init): SIGTERM stops it', async function () {
      if (!canBePid1) this.skip();
      // Before: ignored; the export ran to its end (or the runtime's kill).
      const run = spawnAsPid1(['suppressions', 'export'], env);
      const pid = await run.pid();
      await signalOnceWriting(run.out, pid, 'SIGTERM');
      const code = await exitWithin(run.child, 30000);
      expect(code, run.err()).to.equal(143);
      expect(run.err()).to.match(/^suppressions export stopped by SIGTERM: .*incomplete/);
      expect(run.out().split('\n').length - 2).to.be.below(ROWS);
    });

    it('import: SIGHUP (its terminal closed) stops it as SIGTERM does: what was stored stays, one line says how many, exit 129', async () => {
      // Before: SIGHUP killed the import where it stood, nothing said of what was stored.
      const lines = ['email,reason'];
      for (let i = 0; i < 100000; i++) lines.push(`hup${i}@example.com,asked`);
      const list = path.join(dir, 'hung-up.csv');
      fs.writeFileSync(list, lines.join('\n') + '\n');
      const run = spawnCli(['suppressions', 'import', list], env);
      while ((await statusRows('hup%')) === 0) await new Promise((r) => setTimeout(r, 50));
      run.child.kill('SIGHUP');
      const code = await exitWithin(run.child, 60000);
      expect(code, run.err()).to.equal(129);
      const stored = await statusRows('hup%');
      expect(stored).to.be.above(0).and.below(100000);
      expect(run.err()).to.equal(
        `suppressions import stopped by SIGHUP: the first ${stored} rows of ${list} are imported and stored (${stored} addresses suppressed); the rest is not: running the same command again finishes it\n`,
      );
      const again = await cli(['suppressions', 'import', list], env);
      expect(again.code, again.stderr).to.equal(0);
      expect(await statusRows('hup%')).to.equal(100000);
    });
  });
}

describe('any other command stopped by a signal', function () {
  this.timeout(60000);

  it('link - waiting on its input: SIGTERM stops it in one line, exit 143, as PID 1 too', async function () {
    // Before: killed where it stood (exit by signal, nothing said); as PID 1 SIGTERM was
    // ignored and the command waited for its input until the runtime's kill.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-link-signal-'));
    try {
      const env = {
        ...process.env,
        LOG_LEVEL: 'warn',
        DATABASE_URL: '',
        DATA_DIR: path.join(tmp, 'data'),
        UNSUBSCRIBE_LINK_SECRET: 'a-test-link-secret-0123456789-abcdef',
        UNSUBSCRIBE_BASE_URL: 'https://mail.example.com',
      };
      const runs: Array<[string, string[]]> = [[process.execPath, [BIN, 'link', '-']]];
      if (canBePid1)
        runs.push(['unshare', ['--pid', '--fork', process.execPath, BIN, 'link', '-']]);
      for (const [command, args] of runs) {
        const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.stdin.write('ann@example.com\n');
        expect(await eventually(() => out.includes('ann@example.com'), 20000), err).to.equal(true);
        let pid = child.pid!;
        if (command === 'unshare')
          pid = Number(
            fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim(),
          );
        process.kill(pid, 'SIGTERM');
        const code = await exitWithin(child, 10000);
        expect(code, `${command}: ${err}`).to.equal(143);
        expect(err, command).to.equal('link stopped by SIGTERM\n');
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
