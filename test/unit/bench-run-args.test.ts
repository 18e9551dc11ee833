/** bench/run.ts's command line: help and unknown options stop before anything runs. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunArgs } from '../../bench/lib/run-args.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('bench/run.ts command line', () => {
  it('reads values and flags', () => {
    const read = readRunArgs([
      '--quick',
      '--engines',
      'sqlite',
      '--service-node-options',
      '--max-semi-space-size=16',
      '--duration',
      '4',
    ]);
    expect(read.help).to.equal(false);
    if (read.help) return;
    expect([...read.flags]).to.deep.equal(['--quick']);
    expect(Object.fromEntries(read.values)).to.deep.equal({
      '--engines': 'sqlite',
      '--service-node-options': '--max-semi-space-size=16',
      '--duration': '4',
    });
  });

  it('refuses an unknown option, a missing value and a duration that is no number', () => {
    expect(() => readRunArgs(['--scenario', 'getLead'])).to.throw(/unknown option "--scenario"/);
    expect(() => readRunArgs(['--engines'])).to.throw(/--engines needs a value/);
    expect(() => readRunArgs(['--json', '--quick'])).to.throw(/--json needs a value/);
    expect(() => readRunArgs(['--duration', 'soon'])).to.throw(/--duration takes seconds/);
    expect(readRunArgs(['--quick', '--help']).help).to.equal(true);
  });

  it('prints its usage for --help and refuses a typo, at once, running nothing', function () {
    this.timeout(60_000);
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 50_000,
        env: { ...process.env, DATABASE_URL: '' },
      });
    const help = run('--help');
    expect(help.status, help.stderr).to.equal(0);
    expect(help.stdout).to.match(/^usage: node --import tsx bench\/run.ts/);
    expect(help.stdout).to.not.match(/Building|JSON:/);
    const typo = run('--scenario', 'getLead');
    expect(typo.status).to.equal(2);
    expect(typo.stderr).to.match(/unknown option "--scenario"/);
    expect(typo.stdout).to.equal('');
  });
});
