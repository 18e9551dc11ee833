/**
 * A database file this user may not write (made read-only by hand, or owned by another user)
 * in a DATA_DIR it may write, at a path with a space and a non-ASCII letter: the start and the
 * commands that write stop with one line naming DATA_DIR and the file, exit 1. The line named
 * the directory alone, whose permissions were right. Run as another user (root's writes are
 * never refused); skipped when this test is not root.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { cli, embeddedEnv } from './support.js';

const NOBODY = { uid: 65534, gid: 65534 };

describe('a database file this user may not write', function () {
  this.timeout(90000);
  let tmp: string;
  before(function () {
    if (process.getuid?.() !== 0) return this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-read-only-file-'));
    fs.chmodSync(tmp, 0o755);
  });
  after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  it('stops serve and a writing command in one line naming DATA_DIR and the file, exit 1', async () => {
    const dataDir = path.join(tmp, 'dä ta x');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    fs.chownSync(dataDir, NOBODY.uid, NOBODY.gid);
    const env = embeddedEnv(dataDir);
    const made = await cli(['migrate'], env, { user: NOBODY, cwd: tmp });
    expect(made.code, made.stderr).to.equal(0);
    fs.chmodSync(path.join(dataDir, SQLITE_FILE_NAME), 0o400);
    for (const args of [
      ['serve'],
      ['suppressions', 'add', 'ann@example.com', '--reason', 'asked'],
    ]) {
      const r = await cli(args, env, { user: NOBODY, cwd: tmp });
      expect(r.code, args[0]).to.equal(1);
      expect(r.stderr, args[0]).to.equal(
        `Configuration error: DATA_DIR: cannot write in ${dataDir}: permission denied for this user, on ${SQLITE_FILE_NAME} (EACCES)\n`,
      );
    }
  });
});
