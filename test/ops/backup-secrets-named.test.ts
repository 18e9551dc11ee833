/**
 * The line a backup ends with names the secrets to keep beside the copy: those in use, no
 * file DATA_DIR does not hold. An operator told to keep a file that is not there looks for
 * it, or believes a secret lost.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, cli } from './support.js';

const LINK_SECRET = 'an-unsubscribe-link-secret-of-32-characters-or-more';
const KEY_SECRET = 'a-user-key-secret-0123456789';

describe('the secrets a backup names', function () {
  this.timeout(60000);
  let tmp: string;
  let data: string;
  let env: Record<string, string>;

  before(async () => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-backup-secrets-'));
    data = path.join(tmp, 'data');
    env = { DATABASE_URL: '', DATA_DIR: data };
    const added = await cli(['suppressions', 'add', 'kept@example.com', '--reason', 'test'], env);
    expect(added.code, added.stderr).to.equal(0);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const backup = async (name: string, extra: Record<string, string> = {}) => {
    const r = await cli(['backup', path.join(tmp, name)], { ...env, ...extra });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim().split('\n'), r.stdout).to.have.length(1);
    return r.stdout;
  };

  it('names no secret file DATA_DIR does not hold, and says none is in use', async () => {
    expect(fs.readdirSync(data).filter((f) => f.endsWith('.secret'))).to.deep.equal([]);
    const said = await backup('none.sqlite');
    expect(said).not.to.contain('.secret');
    expect(said).to.contain('no secret to keep with it');
  });

  it('names the settings in use, not the files', async () => {
    const said = await backup('settings.sqlite', {
      USER_KEY_SECRET: KEY_SECRET,
      UNSUBSCRIBE_LINK_SECRET: LINK_SECRET,
      UNSUBSCRIBE_LINK_OLD_KEYS: `k0:${LINK_SECRET}-old`,
    });
    expect(said).not.to.contain('.secret');
    expect(said).to.contain(
      'Keep USER_KEY_SECRET, UNSUBSCRIBE_LINK_SECRET and UNSUBSCRIBE_LINK_OLD_KEYS',
    );
    expect(said).not.to.contain(KEY_SECRET);
    expect(said).not.to.contain(LINK_SECRET);
  });

  it('names the unsubscribe-link secret file once DATA_DIR holds it, and only it', async () => {
    const made = await cli(['link', 'someone@example.com'], {
      ...env,
      UNSUBSCRIBE_BASE_URL: 'https://unsubscribe.example.com',
    });
    expect(made.code, made.stderr).to.equal(0);
    expect(fs.existsSync(path.join(data, 'unsubscribe-link.secret'))).to.equal(true);
    const said = await backup('link.sqlite');
    expect(said).to.contain(`Keep ${path.join(data, 'unsubscribe-link.secret')} with it`);
    expect(said).not.to.contain('user-key.secret');
  });

  it('names both files when DATA_DIR holds both', async () => {
    const user = await cli(['users', 'add', '--id', 'backup-user'], env);
    expect(user.code, user.stderr).to.equal(0);
    expect(fs.existsSync(path.join(data, 'user-key.secret'))).to.equal(true);
    const said = await backup('both.sqlite');
    expect(said).to.contain(
      `Keep ${path.join(data, 'user-key.secret')} and ${path.join(data, 'unsubscribe-link.secret')} with it`,
    );
  });
});
