/**
 * A backup or a restore whose writes the file system refuses (a full disk, a file size limit,
 * a path through a file) stops in one line saying where and why, exit 1, never a stack trace,
 * and leaves nothing half-written: no partial backup beside its target, the database in
 * DATA_DIR as it was. The disk is "full" through a file size limit (`ulimit -f`: node ignores
 * SIGXFSZ, so each write past it fails with EFBIG), as in full-disk.test.ts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { BIN, cli, cliUnderFileLimit, embeddedEnv } from './support.js';

const digest = (file: string) => crypto.hash('sha256', fs.readFileSync(file), 'hex');

describe('backup and restore on a disk that refuses their writes', function () {
  this.timeout(60000);
  let tmp: string;
  let env: Record<string, string>;
  let live: string;
  let blocks: number;

  before(async () => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-backup-refused-'));
    env = embeddedEnv(path.join(tmp, 'data'));
    const added = await cli(['suppressions', 'add', 'kept@example.com', '--reason', 'test'], env);
    expect(added.code, added.stderr).to.equal(0);
    live = path.join(env.DATA_DIR!, SQLITE_FILE_NAME);
    // Room for SQLite's own small files (the 32 KiB -shm), not for a copy of the database.
    blocks = Math.floor(fs.statSync(live).size / 1024 / 3);
    expect(blocks, 'a database of 144 KiB or more').to.be.at.least(48);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('backup past a file size limit: one line naming the file, exit 1, nothing left beside it', async () => {
    const dir = path.join(tmp, 'backups');
    fs.mkdirSync(dir);
    const target = path.join(dir, 'full.sqlite');
    const r = await cliUnderFileLimit(blocks, ['backup', target], env);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(
      new RegExp(
        `^backup: cannot write ${target}: .*\\((EFBIG|SQLITE_[A-Z_]+)\\); nothing was written there\\n$`,
      ),
    );
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it("backup of a large database past a file size limit: its copy's -journal is not left either", async () => {
    // Before: the copy's rollback journal (written once the copy outgrows SQLite's page cache)
    // stayed beside the target, while the line said nothing was written there.
    const large = embeddedEnv(path.join(tmp, 'large-data'));
    const added = await cli(
      ['suppressions', 'add', 'large@example.com', '--reason', 'test'],
      large,
    );
    expect(added.code, added.stderr).to.equal(0);
    const db = new BetterSqlite3(path.join(large.DATA_DIR!, SQLITE_FILE_NAME));
    try {
      // Pages the copy must hold: 20 MB of a table of no consequence.
      db.exec('CREATE TABLE ballast (b BLOB)');
      const row = db.prepare('INSERT INTO ballast VALUES (randomblob(4000))');
      db.transaction(() => {
        for (let i = 0; i < 5000; i++) row.run();
      })();
    } finally {
      db.close();
    }
    const dir = path.join(tmp, 'large-backups');
    fs.mkdirSync(dir);
    const target = path.join(dir, 'large.sqlite');
    const r = await cliUnderFileLimit(1024, ['backup', target], large);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(
      new RegExp(`^backup: cannot write ${target}: .*; nothing was written there\\n$`),
    );
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it("backup whose DATA_DIR takes no write (SQLite's -shm): one line naming DATA_DIR, exit 1", async () => {
    // Before: the failed read's stack trace (SqliteError: disk I/O error).
    const dir = path.join(tmp, 'shm-backups');
    fs.mkdirSync(dir);
    const target = path.join(dir, 'never.sqlite');
    const r = await cliUnderFileLimit(16, ['backup', target], env);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(
      new RegExp(
        `^backup: DATA_DIR: cannot write in ${env.DATA_DIR}: .*\\((EFBIG|SQLITE_[A-Z_]+)\\); nothing was written at ${target}\\n$`,
      ),
    );
    expect(fs.readdirSync(dir)).to.deep.equal([]);
    const verified = await cli(['verify'], env);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
  });

  it('backup into a path through a file: one line, exit 1', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'not a directory');
    const r = await cli(['backup', path.join(file, 'x.sqlite')], env);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.equal(
      `backup: cannot write ${path.join(file, 'x.sqlite')}: a part of its path is a file, not a directory (ENOTDIR); nothing was written there\n`,
    );
  });

  it('backup of a DATA_DIR, restore of a file, this user cannot read: one line saying so, exit 1', async function () {
    // Before: "there is no database in DATA_DIR" and "FILE is not an SQLite database".
    if (process.getuid?.() !== 0) this.skip(); // runs as "nobody", which only root can do
    const nobody = { user: { uid: 65534, gid: 65534 } };
    fs.chmodSync(tmp, 0o755);
    const backup = path.join(tmp, 'private.sqlite');
    const made = await cli(['backup', backup], env);
    expect(made.code, made.stderr).to.equal(0); // 0600, root's
    const read = await cli(['backup', path.join(tmp, 'never.sqlite')], env, nobody);
    expect(read.code, read.stderr).to.equal(1);
    expect(read.stderr).to.equal(
      `backup: cannot read the database in ${env.DATA_DIR} (DATA_DIR): permission denied for this user (EACCES); run it as the user the service runs as\n`,
    );
    const elsewhere = embeddedEnv(path.join(tmp, 'nobody-data'));
    fs.mkdirSync(elsewhere.DATA_DIR!, { mode: 0o700 });
    fs.chownSync(elsewhere.DATA_DIR!, 65534, 65534);
    const restored = await cli(['restore', backup], elsewhere, nobody);
    expect(restored.code, restored.stderr).to.equal(1);
    expect(restored.stderr).to.equal(
      `restore: cannot read ${backup}: permission denied for this user (EACCES)\n`,
    );
    expect(fs.readdirSync(elsewhere.DATA_DIR!)).to.deep.equal([]);
  });

  it('restore past a file size limit: one line naming DATA_DIR, exit 1, the database as it was', async () => {
    const backup = path.join(tmp, 'whole.sqlite');
    const made = await cli(['backup', backup], env);
    expect(made.code, made.stderr).to.equal(0);
    const before = digest(live);
    const r = await cliUnderFileLimit(blocks, ['restore', backup], env);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(
      new RegExp(
        `^restore: cannot write in ${env.DATA_DIR} \\(DATA_DIR\\): .*\\((EFBIG|SQLITE_[A-Z_]+)\\); nothing restored, the database in ${env.DATA_DIR} is as it was\\n$`,
      ),
    );
    expect(digest(live)).to.equal(before);
    expect(fs.readdirSync(env.DATA_DIR!).filter((f) => f.includes('.partial-'))).to.deep.equal([]);
    const verified = await cli(['verify'], env);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
  });
});
