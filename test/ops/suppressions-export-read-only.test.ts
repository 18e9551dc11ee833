/**
 * `suppressions export` from an embedded database this user cannot write: a restored backup on
 * read-only media, a file of another user. It opens it read-only, creates nothing beside it,
 * and exports every status. (Run as root, the command runs as "nobody", for whom the file and
 * its directory are read-only; otherwise the modes alone make them so.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { BIN, cli, embeddedEnv } from './support.js';

const NOBODY = 65534;

/** The built CLI as a user who may read the database but not write it. */
const cliReadOnly = (args: string[], env: Record<string, string>) =>
  cli(args, env, process.getuid?.() === 0 ? { user: { uid: NOBODY, gid: NOBODY } } : {});

describe('suppressions export from a read-only database', function () {
  this.timeout(120000);
  let tmp: string;
  let live: Record<string, string>;

  before(async () => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-ro-export-'));
    fs.chmodSync(tmp, 0o755);
    live = embeddedEnv(path.join(tmp, 'live'));
    for (const email of ['ann@example.com', 'bob@example.com']) {
      const r = await cli(['suppressions', 'add', email, '--reason', 'asked'], live);
      expect(r.code, r.stderr).to.equal(0);
    }
  });
  after(() => {
    for (const dir of fs.readdirSync(tmp)) fs.chmodSync(path.join(tmp, dir), 0o700);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function readOnlyDir(name: string): string {
    const dir = path.join(tmp, name);
    for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o444);
    fs.chmodSync(dir, 0o555);
    return dir;
  }

  it('a restored backup on read-only media: every status, nothing written beside it', async () => {
    const dir = path.join(tmp, 'restored');
    fs.mkdirSync(dir);
    const r = await cli(['backup', path.join(dir, SQLITE_FILE_NAME)], live);
    expect(r.code, r.stderr).to.equal(0);
    readOnlyDir('restored');
    const before = fs.readdirSync(dir);
    // Before: "DATA_DIR: cannot keep the database in …: permission denied" (it opened the file
    // for writing, then took the write lock to settle the writes in flight).
    const exported = await cliReadOnly(['suppressions', 'export'], embeddedEnv(dir));
    expect(exported.code, exported.stderr).to.equal(0);
    expect(exported.stderr).to.equal('');
    expect(exported.stdout).to.match(/^email,unsubscribed,reason,source,date\n/);
    expect(exported.stdout).to.contain('ann@example.com,true');
    expect(exported.stdout).to.contain('bob@example.com,true');
    expect(fs.readdirSync(dir)).to.deep.equal(before);
  });
});
