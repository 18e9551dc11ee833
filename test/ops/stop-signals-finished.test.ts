/**
 * A stop signal heard once a command's work is done (a backup renamed into place, a restore's
 * copy in place, migrations applied), while it closes its database or exits, does not turn a
 * success into "stopped by SIGTERM" and exit 143: the command ends as it would have, its line
 * said, with its own exit code. The window is made wide by a preload that keeps the finished
 * process alive a moment (as a slow pool close or a loaded machine would).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { cli, cliSuite, eventually, spawnCli } from './support.js';

/** Runs `args`, sends SIGTERM once stdout says `done`; its exit code, stdout and stderr. */
async function signalledOnceDone(
  args: string[],
  env: Record<string, string>,
  done: RegExp,
  linger: string,
): Promise<{ code: number | null; out: string; err: string }> {
  const run = spawnCli(args, { ...env, NODE_OPTIONS: `--require ${linger}` });
  const exited = new Promise<number | null>((r) => run.child.once('exit', (c) => r(c)));
  expect(await eventually(() => done.test(run.out()), 60000), run.err()).to.equal(true);
  run.child.kill('SIGTERM');
  const killer = setTimeout(() => run.child.kill('SIGKILL'), 30000);
  const code = await exited;
  clearTimeout(killer);
  return { code, out: run.out(), err: run.err() };
}

describe('a stop signal after the work is done', function () {
  this.timeout(120000);
  let tmp: string;
  let linger: string;
  let env: Record<string, string>;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-signal-finished-'));
    linger = path.join(tmp, 'linger.cjs');
    // Keeps the process alive 3 s once its work is done, before it would exit.
    fs.writeFileSync(
      linger,
      "process.once('beforeExit', () => setTimeout(() => undefined, 3000));\n",
    );
    env = { DATABASE_URL: '', DATA_DIR: path.join(tmp, 'data'), METRICS_PORT: 'off' };
    const added = await cli(['suppressions', 'add', 'kept@example.com', '--reason', 't'], env);
    expect(added.code, added.stderr).to.equal(0);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('backup: the backup written and reported, SIGTERM leaves it whole and the exit 0, nothing more said', async () => {
    // Before: "backup stopped by SIGTERM: FILE was already written whole" (or "backup stopped
    // by SIGTERM"), exit 143, after "Backed up …" on stdout: a script took a good backup for failed.
    const file = path.join(tmp, 'b.sqlite');
    const r = await signalledOnceDone(['backup', file], env, /^Backed up /, linger);
    expect(r.code, r.err).to.equal(0);
    expect(r.err).to.equal('');
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('b.sqlite'))).to.deep.equal(['b.sqlite']);
    const restored = { DATABASE_URL: '', DATA_DIR: path.join(tmp, 'restored') };
    const back = await signalledOnceDone(['restore', file], restored, /^Restored /, linger);
    // Before: "restore stopped by SIGTERM: nothing restored, …" exit 143, though it was.
    expect(back.code, back.err).to.equal(0);
    expect(back.err).to.equal('');
    expect(fs.readdirSync(restored.DATA_DIR).filter((n) => n.includes('.partial-'))).to.deep.equal(
      [],
    );
    const shown = await cli(['explain', 'kept@example.com'], restored);
    expect(shown.code, shown.stderr).to.equal(0);
    expect(shown.stdout).to.match(/unsubscribed|suppressed/i);
  });

  for (const engine of testEngines()) {
    describe(`migrate (${engine.name})`, () => {
      let onEngine: Record<string, string>;
      cliSuite(engine, 'du-signal-finished-migrate-', (suite) => {
        onEngine = suite.env;
      });

      it('migrate: up to date and said so, SIGTERM keeps exit 0 and says nothing more', async () => {
        // Before: "migrate stopped by SIGTERM: the database undoes the change in progress…",
        // exit 143, though nothing was in progress.
        const r = await signalledOnceDone(['migrate'], onEngine, /up to date|Applied/, linger);
        expect(r.code, r.err).to.equal(0);
        expect(r.err).to.equal('');
      });
    });
  }
});
