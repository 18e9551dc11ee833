/**
 * The files backup and restore leave behind: a backup is one self-contained file (it can be
 * copied, checksummed, kept on read-only media), and neither command leaves SQLite's -wal/-shm
 * companions or a half-written copy beside the operator's files. A truncated backup is refused
 * without touching the database in place.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { BIN, cli } from './support.js';

/** SQLite's header bytes 18 and 19: 2 for a WAL database, 1 for a rollback-journal one. */
function journalVersions(file: string): number[] {
  const header = fs.readFileSync(file).subarray(18, 20);
  return [header[0]!, header[1]!];
}

describe('backup and restore files', function () {
  this.timeout(60000);
  let tmp: string;
  let env: Record<string, string>;

  before(async () => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-backup-files-'));
    env = { DATABASE_URL: '', DATA_DIR: path.join(tmp, 'data') };
    const added = await cli(['suppressions', 'add', 'kept@example.com', '--reason', 'test'], env);
    expect(added.code, added.stderr).to.equal(0);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a backup is one file, in rollback-journal mode, with nothing else left beside it', async () => {
    const dir = path.join(tmp, 'backups');
    fs.mkdirSync(dir);
    const r = await cli(['backup', path.join(dir, 'one.sqlite')], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(fs.readdirSync(dir)).to.deep.equal(['one.sqlite']);
    expect(journalVersions(path.join(dir, 'one.sqlite'))).to.deep.equal([1, 1]);
  });

  it('restore leaves no -wal/-shm files beside the backup it read, even a WAL-mode one', async () => {
    const dir = path.join(tmp, 'wal-backup');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'old.sqlite');
    // A backup as earlier versions wrote it: a plain copy of the WAL-mode database.
    const live = path.join(env.DATA_DIR!, SQLITE_FILE_NAME);
    const source = new BetterSqlite3(live, { fileMustExist: true });
    await source.backup(file);
    source.close();
    expect(journalVersions(file)).to.deep.equal([2, 2]);
    const target = { DATABASE_URL: '', DATA_DIR: path.join(tmp, 'restored') };
    const r = await cli(['restore', file], target);
    expect(r.code, r.stderr).to.equal(0);
    expect(fs.readdirSync(dir)).to.deep.equal(['old.sqlite']);
    const verified = await cli(['verify'], target);
    expect(verified.code, verified.stdout).to.equal(0);
  });

  it('a truncated backup is refused in one line; the database in place and the backup directory stay as they were', async () => {
    const dir = path.join(tmp, 'truncated');
    fs.mkdirSync(dir);
    const whole = path.join(dir, 'whole.sqlite');
    expect((await cli(['backup', whole], env)).code).to.equal(0);
    const cut = path.join(dir, 'cut.sqlite');
    fs.writeFileSync(cut, fs.readFileSync(whole).subarray(0, 20000));
    fs.rmSync(whole);
    const before = fs.readdirSync(env.DATA_DIR!).sort();
    const r = await cli(['restore', cut], env);
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/^restore: .*cut\.sqlite is (damaged|not an SQLite database)/);
    expect(fs.readdirSync(dir)).to.deep.equal(['cut.sqlite']);
    expect(fs.readdirSync(env.DATA_DIR!).sort()).to.deep.equal(before);
    const shown = await cli(['explain', 'kept@example.com'], env);
    expect(shown.stdout).to.match(/unsubscribed|suppressed/i);
  });

  it('a backup with damaged pages is refused in one line: how many problems, and the first', async () => {
    const dir = path.join(tmp, 'damaged');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'damaged.sqlite');
    expect((await cli(['backup', file], env)).code).to.equal(0);
    // The page of email_status (one row: a leaf) made to hold five cells that point out of it:
    // SQLite reports a problem per cell, on a line each, after a heading line of its own.
    const opened = new BetterSqlite3(file, { readonly: true });
    const { rootpage } = opened
      .prepare("SELECT rootpage FROM sqlite_master WHERE name = 'email_status'")
      .get() as { rootpage: number };
    opened.close();
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    const page = (rootpage - 1) * pageSize;
    bytes.writeUInt8(0x0d, page);
    bytes.writeUInt16BE(5, page + 3);
    for (let cell = 0; cell < 5; cell++) bytes.writeUInt16BE(0x0ff0, page + 8 + 2 * cell);
    fs.writeFileSync(file, bytes);
    const before = fs.readdirSync(env.DATA_DIR!).sort();
    const r = await cli(['restore', file], env);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(
      /^restore: \S+damaged\.sqlite is damaged: \d+ problems, the first: [^\n]{1,160}\n$/,
    );
    expect(r.stderr).to.not.include('***');
    expect(fs.readdirSync(env.DATA_DIR!).sort()).to.deep.equal(before);
  });

  it('a database with no schema yet (an empty file) is refused in one line naming DATA_DIR, not a temporary file', async () => {
    const empty = { DATABASE_URL: '', DATA_DIR: path.join(tmp, 'unmigrated') };
    fs.mkdirSync(empty.DATA_DIR, { mode: 0o700 });
    fs.writeFileSync(path.join(empty.DATA_DIR, SQLITE_FILE_NAME), '', { mode: 0o600 });
    expect((await cli(['migrate', 'status'], empty)).code).to.equal(0);
    const dir = path.join(tmp, 'none');
    fs.mkdirSync(dir);
    const r = await cli(['backup', path.join(dir, 'b.sqlite')], empty);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      `backup: the database in ${empty.DATA_DIR} holds no schema yet: nothing to back up (start the service or run "durable-unsubscribe migrate" first)\n`,
    );
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});
