/**
 * An embedded database file that is damaged (pages overwritten: a disk that lost writes, a copy
 * taken without its WAL) or is not a database at all: the start and the commands stop with one
 * line naming DATA_DIR and the way out, not SQLite's stack trace; `restore` then puts a backup
 * in place and the service starts on it. (While the service runs, a damaged page read is
 * answered 20011 and logged: test/unit/database-errors covers the codes.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SQLITE_FILE_NAME } from '../../src/data-access/sqlite-thread/open.js';
import { cli, embeddedEnv } from './support.js';

/** Overwrites every page after the first two with a pattern: the schema's pages stay readable. */
function damagePages(file: string): void {
  const bytes = fs.readFileSync(file);
  const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16);
  for (let page = 2; page < bytes.length / pageSize; page++)
    for (let i = page * pageSize + 8; i < (page + 1) * pageSize; i += 7) bytes[i] = 0xab;
  fs.writeFileSync(file, bytes);
}

describe('a damaged embedded database', function () {
  this.timeout(120000);
  let tmp: string;
  let env: Record<string, string>;
  let file: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-damaged-'));
    env = embeddedEnv(path.join(tmp, 'data'));
    file = path.join(env.DATA_DIR!, SQLITE_FILE_NAME);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const oneLine = new RegExp(
    '^Configuration error: DATA_DIR: the database in .* is damaged or not a database ' +
      '\\(SQLITE_(CORRUPT|NOTADB)\\w*\\): restore a backup \\(durable-unsubscribe restore FILE; [^\\n]*\\)\\n$',
  );

  it('stops serve, migrate and verify with one line naming DATA_DIR and the way out', async () => {
    const made = await cli(['migrate'], env);
    expect(made.code, made.stderr).to.equal(0);
    const backup = path.join(tmp, 'backup.sqlite');
    expect((await cli(['backup', backup], env)).code).to.equal(0);
    damagePages(file);
    for (const command of ['serve', 'migrate', 'verify']) {
      const r = await cli([command], env);
      expect(r.code, command).to.equal(1);
      expect(r.stderr, command).to.match(oneLine);
      expect(r.stderr, command).to.include(env.DATA_DIR);
    }
    // The way out the line names: restore the backup, and the database is whole again.
    const restored = await cli(['restore', backup], env);
    expect(restored.code, restored.stderr).to.equal(0);
    const verified = await cli(['verify'], env);
    expect(verified.code, verified.stderr + verified.stdout).to.equal(0);
  });

  it('says the same of a file that is not a database at all', async () => {
    fs.mkdirSync(env.DATA_DIR!, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 0x5a), { mode: 0o600 });
    for (const command of ['serve', 'migrate']) {
      const r = await cli([command], env);
      expect(r.code, command).to.equal(1);
      expect(r.stderr, command).to.match(oneLine);
    }
  });
});
