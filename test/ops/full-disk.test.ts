/**
 * DATA_DIR on a disk that cannot take more (a full disk, a quota, a file size limit): the start
 * and the commands stop with one line naming DATA_DIR, and leave no empty secret file behind
 * for the next start to take as the secret. The disk is "full" through a file size limit
 * (`ulimit -f`: node ignores SIGXFSZ, so each write past it fails with EFBIG), which needs no
 * privilege. (A write that fails on a full disk while the service runs is answered 20011 and
 * never acknowledged: test/unit/database-errors covers SQLite's disk codes in classifyDatabaseError.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { cli, cliUnderFileLimit, embeddedEnv } from './support.js';

describe('DATA_DIR on a full disk', function () {
  this.timeout(60000);
  let tmp: string;
  let env: Record<string, string>;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-full-'));
    env = embeddedEnv(path.join(tmp, 'data'), {
      UNSUBSCRIBE_BASE_URL: 'https://unsubscribe.example.com',
    });
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('stops serve and the commands with one line naming DATA_DIR, not a stack trace', async () => {
    for (const [blocks, args] of [
      [0, ['serve']],
      [40, ['serve']],
      [40, ['migrate']],
      // A command that writes (one that only reads creates no database to fill).
      [40, ['suppressions', 'add', 'ann@example.com', '--reason', 'asked']],
    ] as Array<[number, string[]]>) {
      fs.rmSync(env.DATA_DIR!, { recursive: true, force: true });
      const r = await cliUnderFileLimit(blocks, args, env);
      const what = `${args.join(' ')} under ulimit -f ${blocks}`;
      expect(r.code, what).to.equal(1);
      expect(r.stderr, what).to.match(
        new RegExp(`^Configuration error: DATA_DIR: cannot write in ${env.DATA_DIR}: .*\\n$`),
      );
    }
  });

  it('leaves no empty secret file that a later start would take as the secret', async () => {
    const failed = await cliUnderFileLimit(0, ['serve'], env);
    expect(failed.code).to.equal(1);
    for (const name of ['user-key.secret', 'unsubscribe-link.secret']) {
      const file = path.join(env.DATA_DIR!, name);
      if (fs.existsSync(file)) expect(fs.readFileSync(file, 'utf8').trim(), name).to.not.equal('');
    }
    // Once the disk has room, the links work (an empty link secret turned them off).
    const link = await cli(['link', 'ann@example.com'], env);
    expect(link.code, link.stderr).to.equal(0);
    expect(link.stdout).to.match(/^https:\/\/unsubscribe\.example\.com\/u\/1\.k1\.\S+\n$/);
  });

  it('an empty secret file (left by an earlier version) stops the start, naming the file', async () => {
    fs.mkdirSync(env.DATA_DIR!, { recursive: true, mode: 0o700 });
    const file = path.join(env.DATA_DIR!, 'unsubscribe-link.secret');
    fs.writeFileSync(file, '', { mode: 0o600 });
    const r = await cli(['link', 'ann@example.com'], env);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      `Configuration error: DATA_DIR: ${file} is empty (a write that failed: a full disk?); restore it from a backup of DATA_DIR, or remove it\n`,
    );
  });
});
