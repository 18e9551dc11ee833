/**
 * One serving instance per SQLite DATA_DIR: its WORKERS processes share the file by design; a
 * second instance on the same directory (another PORT) is refused in one line, and a first
 * one killed outright leaves nothing that stops the next start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, embeddedEnv, spawnCollecting } from './support.js';

describe('serve on an SQLite DATA_DIR another instance serves', function () {
  this.timeout(180000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-one-instance-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('is refused in one line naming DATA_DIR; the first serves on; its workers are not refused', async () => {
    const dataDir = path.join(tmp, 'data');
    const env = embeddedEnv(dataDir, { LOG_LEVEL: 'warn' });
    const first = spawnCollecting(process.execPath, [BIN, 'serve'], { ...env, WORKERS: '2' });
    const port = await first.port;
    try {
      expect(first.output()).to.contain('2 worker processes');
      // Before: the second instance started and served the same file.
      const second = spawnCollecting(process.execPath, [BIN, 'serve'], env);
      const stopper = setTimeout(() => second.child.kill('SIGKILL'), 30000);
      const ended = await second.exited;
      clearTimeout(stopper);
      expect(ended.code, second.output()).to.equal(1);
      expect(second.output()).to.equal(
        `Configuration error: DATA_DIR: another instance serves the database in ${dataDir} (process ${first.child.pid}): stop it, or give this one its own DATA_DIR. One instance runs several processes with WORKERS; several instances share a database on PostgreSQL (DATABASE_URL)\n`,
      );
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).to.equal(200);
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    // Killed outright (its workers follow, their channel closed): the next start goes ahead.
    await new Promise((r) => setTimeout(r, 1000));
    const next = spawnCollecting(process.execPath, [BIN, 'serve'], env);
    await next.port;
    next.child.kill('SIGTERM');
    expect((await next.exited).code).to.equal(0);
  });

  it('leaves no serve.lock-journal: not while serving, not from a refused second instance, not once stopped', async () => {
    // Before: serve.lock-journal (SQLite's journal of the lock file's transaction) was made
    // beside serve.lock and stayed in DATA_DIR after every start, a refused one's included.
    const dataDir = path.join(tmp, 'journal');
    const env = embeddedEnv(dataDir, { LOG_LEVEL: 'warn' });
    fs.mkdirSync(dataDir, { mode: 0o700 });
    // One left by an earlier version goes once the directory is claimed.
    fs.writeFileSync(path.join(dataDir, 'serve.lock-journal'), Buffer.alloc(512), { mode: 0o600 });
    const journal = () => fs.readdirSync(dataDir).filter((n) => n.startsWith('serve.lock-'));
    const first = spawnCollecting(process.execPath, [BIN, 'serve'], env);
    await first.port;
    try {
      expect(journal(), 'while serving').to.deep.equal([]);
      const second = spawnCollecting(process.execPath, [BIN, 'serve'], env);
      const stopper = setTimeout(() => second.child.kill('SIGKILL'), 30000);
      const ended = await second.exited;
      clearTimeout(stopper);
      expect(ended.code, second.output()).to.equal(1);
      expect(second.output()).to.contain('another instance serves the database');
      expect(journal(), 'after the refusal').to.deep.equal([]);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
    expect(journal(), 'once stopped').to.deep.equal([]);
  });
});
