/**
 * DATA_DIR on a read-only file system (a volume mounted read-only, a root file system under
 * ProtectSystem): the start stops with the line the runbook's Troubleshooting table shows for a
 * disk that cannot take a write, `Configuration error: DATA_DIR: cannot write in …: the file
 * system is read-only (EROFS)`, exit 1. The mount is made in a mount namespace of this test's own
 * (unshare -m, which needs root); elsewhere the test is skipped.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, besidePortsLine, embeddedEnv } from './support.js';

/** Whether this machine lets the test mount a file system in a namespace of its own. */
const canMount =
  spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /mnt']).status === 0;

/** Runs `script` (sh) in a mount namespace where `mountPoint` is an empty tmpfs. */
function inOwnMounts(mountPoint: string, script: string, env: Record<string, string>) {
  const r = spawnSync(
    'unshare',
    ['-m', 'sh', '-c', `mount -t tmpfs -o size=4m tmpfs "${mountPoint}" && ${script}`],
    { env: { ...process.env, ...env, BIN, NODE: process.execPath }, encoding: 'utf8' },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('DATA_DIR on a read-only file system', function () {
  this.timeout(60000);
  let tmp: string;
  before(function () {
    if (!canMount) return this.skip();
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-read-only-'));
  });
  after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  const serve = `timeout 20 "$NODE" "$BIN" serve`;
  const line = (dataDir: string) =>
    `Configuration error: DATA_DIR: cannot write in ${dataDir}: the file system is read-only (EROFS)\n`;

  it('a DATA_DIR that cannot be made there: the Troubleshooting line, exit 1', () => {
    // Before: "cannot keep the database in …: the file system is read-only", a line the
    // runbook does not show.
    const dataDir = path.join(tmp, 'data');
    const r = inOwnMounts(tmp, `mount -o remount,ro "${tmp}" && ${serve}`, {
      ...embeddedEnv(dataDir),
      PORT: '0',
      METRICS_PORT: 'off',
    });
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.equal(line(dataDir));
    expect(besidePortsLine(r.stdout)).to.equal('');
  });

  it('a database in place, its file system remounted read-only: the same line, exit 1', () => {
    const dataDir = path.join(tmp, 'data');
    const add = `"$NODE" "$BIN" suppressions add ann@example.com --reason asked >/dev/null`;
    const r = inOwnMounts(tmp, `${add} && mount -o remount,ro "${tmp}" && ${serve}`, {
      ...embeddedEnv(dataDir),
      PORT: '0',
      METRICS_PORT: 'off',
    });
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.equal(line(dataDir));
  });
});
