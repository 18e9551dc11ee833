/**
 * A command that writes while another process keeps the embedded database's write lock (the
 * service's writes, another command) past SQLITE_BUSY_TIMEOUT_MS: one line saying so, naming
 * the setting, exit 1 (not 2, which means a wrong command line), no stack trace, and nothing
 * of its change stored.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { BIN, cli, embeddedEnv } from './support.js';

const WRITING: string[][] = [
  ['users', 'add', '--id', 'locked_out'],
  ['users', 'remove', 'kept_user'],
  ['operators', 'add', 'locked-op', '--password', 'a long enough password 12345'],
  ['suppressions', 'add', 'ann@example.com', '--reason', 'asked'],
  ['suppressions', 'remove', 'bob@example.com', '--reason', 'mistake'],
  ['link', 'cat@example.com'],
  // Its batches are transactions of their own: it says how far it got (none here).
  ['suppressions', 'import', 'LIST'],
];

describe('a command that writes while another process keeps the SQLite write lock', function () {
  this.timeout(120000);
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-lock-wait-'));
    env = embeddedEnv(dir, { UNSUBSCRIBE_BASE_URL: 'https://unsubscribe.example.com' });
    for (const args of [
      ['users', 'add', '--id', 'kept_user'],
      ['suppressions', 'add', 'bob@example.com', '--reason', 'asked'],
      ['link', 'dan@example.com'],
    ]) {
      const r = await cli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says in one line that the lock stayed taken for SQLITE_BUSY_TIMEOUT_MS, exits 1, and stores nothing', async () => {
    const before = await Promise.all([
      cli(['users', 'list'], env),
      cli(['operators', 'list'], env),
      cli(['suppressions', 'export'], env),
    ]);
    const holder = new BetterSqlite3(path.join(dir, SQLITE_FILE_NAME));
    holder.exec('BEGIN IMMEDIATE');
    try {
      for (const args of WRITING) {
        const list = path.join(dir, 'list.csv');
        fs.writeFileSync(list, 'email,reason\neve@example.com,asked\n');
        const r = await cli(
          args.map((a) => (a === 'LIST' ? list : a)),
          { ...env, SQLITE_BUSY_TIMEOUT_MS: '200' },
        );
        const what = `${args.join(' ')}: ${r.stderr}`;
        expect(r.code, what).to.equal(1);
        expect(r.stderr, what).to.not.match(/\n\s+at /);
        const lines = r.stderr.trim().split('\n');
        expect(lines.at(-1), what).to.match(
          /the database stayed locked by another process's write .*SQLITE_BUSY_TIMEOUT_MS \(200 ms\)/,
        );
      }
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    const after = await Promise.all([
      cli(['users', 'list'], env),
      cli(['operators', 'list'], env),
      cli(['suppressions', 'export'], env),
    ]);
    expect(after.map((r) => r.stdout)).to.deep.equal(before.map((r) => r.stdout));
  });
});
