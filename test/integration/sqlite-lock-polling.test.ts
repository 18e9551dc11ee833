/**
 * A write waiting for another process's SQLite write lock (the service beside a command that
 * writes transaction after transaction, such as `suppressions import`) gets in during the few
 * milliseconds the other leaves it free, rather than only when one of SQLite's own sparse
 * retries (every 100 ms after the first quarter-second) happens to fall there.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { SQLITE_FILE_NAME, type Database } from '../../src/data-access/database.js';
import { sqlitePerTest } from '../support/database.js';

/**
 * Another process: holds the write lock ~295 ms, leaves it free 5 ms, takes it again, five
 * times; says in which free moment the waiting write got in (it holds the lock, or its row is
 * there), or that it never did. 295 + 5 ms: SQLite's handler, retrying every 100 ms by then,
 * meets each free moment at the same phase, so it hits one by chance about one time in twenty.
 */
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 0');
const pause = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(pause, 0, 0, ms);
const waiterIn = () => db.prepare("SELECT count(*) AS n FROM operators WHERE name = 'waiter'").get().n > 0;
db.exec('BEGIN IMMEDIATE');
console.log('holding');
for (let k = 0; k < 5; k++) {
  sleep(295);
  db.exec('COMMIT');
  sleep(5);
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    if (!String(error.code).startsWith('SQLITE_BUSY')) throw error;
    console.log('in during free moment ' + k);
    process.exit(0);
  }
  if (waiterIn()) {
    console.log('in during free moment ' + k);
    process.exit(0);
  }
}
db.exec('COMMIT');
console.log('never in');
`;

describe('SQLite: a write waiting for another process', function () {
  this.timeout(30000);
  let db: Database;
  let dataDir: string;
  sqlitePerTest((made) => ({ db, dataDir } = made));

  it('gets in during one of the 5 ms free moments the other process leaves', async () => {
    const holder = spawn(process.execPath, ['-e', HOLDER, path.join(dataDir, SQLITE_FILE_NAME)], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    holder.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => holder.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.startsWith('holding\n')) resolve();
      });
      void exited.then(() => reject(new Error(`the holder ended: ${out}${err}`)));
    });
    // Sent now (a query builder runs when it is awaited), to wait while the holder holds.
    const wrote = db
      .knex('operators')
      .insert({ name: 'waiter', password_hash: 'x', created_at: 1 })
      .then(() => 'written');
    expect(await exited, err).to.equal(0);
    expect(await wrote).to.equal('written');
    expect(out.split('\n')[1]).to.match(/^in during free moment [0-4]$/);
  });
});
