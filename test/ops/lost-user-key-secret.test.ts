/**
 * An embedded database whose DATA_DIR/user-key.secret was lost (a restore without it, a volume
 * rebuilt, a file removed by hand) while SOAP user keys are stored sealed with it. Making a new
 * secret then (as every command and the service did) left every stored key unreadable, the
 * old secret's file overwritten for good when it might still have been put back. Now nothing
 * makes one while sealed keys are stored: one line names the file and the setting and how to
 * recover, exit 1. A database with no stored user may still make it. (PostgreSQL needs
 * USER_KEY_SECRET set: no file there.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, cli, embeddedEnv, spawnCli } from './support.js';

describe('an embedded database whose user-key.secret is lost', function () {
  this.timeout(120000);
  let tmp: string;
  let dataDir: string;
  let env: Record<string, string>;
  let secretFile: string;
  const refusal = (ids: string) =>
    `Configuration error: USER_KEY_SECRET is not set and ${secretFile} (DATA_DIR/user-key.secret) is missing, ` +
    `but stored SOAP user keys are sealed with it (users ${ids}): a new secret would leave them unreadable, so none is made. ` +
    `Put the file back from a backup of DATA_DIR, or set USER_KEY_SECRET to what it held; ` +
    `if it is lost for good, remove those users ("durable-unsubscribe users remove ID") and add them again\n`;

  before(async () => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-lost-secret-'));
    dataDir = path.join(tmp, 'data');
    env = embeddedEnv(dataDir);
    secretFile = path.join(dataDir, 'user-key.secret');
    for (const id of ['erp', 'crm']) {
      const added = await cli(['users', 'add', '--id', id], env);
      expect(added.code, added.stderr).to.equal(0);
    }
    expect(fs.existsSync(secretFile)).to.equal(true);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('users list, add, update and seal refuse in one line naming the file and the setting, exit 1, and make no secret', async () => {
    // Before: "users list" made a new secret silently and listed the users as if nothing were
    // wrong; their keys no longer opened, and the old file could no longer be put back unseen.
    const kept = fs.readFileSync(secretFile);
    fs.rmSync(secretFile);
    for (const args of [
      ['users', 'list'],
      ['users', 'add', '--id', 'new'],
      ['users', 'update', 'erp', '--read-only'],
      ['users', 'seal'],
    ]) {
      const r = await cli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(1);
      expect(r.stderr, args.join(' ')).to.equal(refusal('crm, erp'));
      expect(r.stdout, args.join(' ')).to.equal('');
      expect(fs.existsSync(secretFile), args.join(' ')).to.equal(false);
    }
    // Put back, everything works again with the same keys.
    fs.writeFileSync(secretFile, kept, { mode: 0o600 });
    const listed = await cli(['users', 'list'], env);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout)
      .to.match(/^crm\t/m)
      .and.match(/^erp\t/m);
  });

  it('serve refuses to start in the same one line, exit 1, and makes no secret', async () => {
    // Before: the service made a new secret, started, and refused every stored user's calls.
    const kept = fs.readFileSync(secretFile);
    fs.rmSync(secretFile);
    try {
      const run = spawnCli(['serve'], env);
      const timer = setTimeout(() => run.child.kill('SIGKILL'), 20000);
      const code = await new Promise<number | null>((r) => run.child.once('exit', r));
      clearTimeout(timer);
      expect(code, run.err()).to.equal(1);
      expect(run.err()).to.equal(refusal('crm, erp'));
      expect(fs.existsSync(secretFile)).to.equal(false);
    } finally {
      fs.writeFileSync(secretFile, kept, { mode: 0o600 });
    }
  });

  it('lost for good: users remove still works (it needs no key) and makes no secret; with no user left, add makes a new one', async () => {
    fs.rmSync(secretFile);
    for (const id of ['erp', 'crm']) {
      const r = await cli(['users', 'remove', id], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(fs.existsSync(secretFile)).to.equal(false);
    }
    const listed = await cli(['users', 'list'], env);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.equal('');
    expect(fs.existsSync(secretFile), 'users list makes none').to.equal(false);
    const added = await cli(['users', 'add', '--id', 'erp'], env);
    expect(added.code, added.stderr).to.equal(0);
    expect(fs.existsSync(secretFile)).to.equal(true);
  });
});
