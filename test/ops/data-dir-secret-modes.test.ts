/**
 * The secrets an embedded install keeps in DATA_DIR (user-key.secret, unsubscribe-link.secret)
 * are made 0600. One copied back from a backup under a permissive umask is 0644: the start
 * makes DATA_DIR 0700, which hides it, except in a directory this user does not own (a shared
 * one, which it cannot change), where anyone could read it. Such a file is made 0600 when read.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, cli, embeddedEnv } from './support.js';

const NOBODY = { user: { uid: 65534, gid: 65534 } };

describe('secret files of DATA_DIR that others may read', function () {
  this.timeout(60000);
  let tmp: string;
  before(function () {
    // The commands run as "nobody" in a directory root owns, which only root can arrange.
    if (process.getuid?.() !== 0) this.skip();
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-secret-modes-'));
    fs.chmodSync(tmp, 0o755);
  });
  after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  it('are made 0600 when a command reads them, in a shared directory it cannot make 0700', async () => {
    const shared = path.join(tmp, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o777);
    const env = embeddedEnv(shared);
    const migrated = await cli(['migrate'], env, NOBODY);
    expect(migrated.code, migrated.stderr).to.equal(0);
    const files = ['user-key.secret', 'unsubscribe-link.secret'].map((name) => {
      const file = path.join(shared, name);
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'));
      fs.chownSync(file, 65534, 65534);
      fs.chmodSync(file, 0o644);
      return file;
    });
    const added = await cli(['users', 'add', '--id', 'probe'], env, NOBODY);
    expect(added.code, added.stderr).to.equal(0);
    const linked = await cli(['link', 'ann@example.com'], env, NOBODY);
    expect(linked.code, linked.stderr).to.equal(0);
    // The directory stays as its owner made it; the secrets in it are this user's alone.
    expect(fs.statSync(shared).mode & 0o777).to.equal(0o777);
    for (const file of files) expect(fs.statSync(file).mode & 0o777, file).to.equal(0o600);
  });
});
