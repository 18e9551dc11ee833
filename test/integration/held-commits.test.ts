import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { MAX_HELD_STEPS } from '../../src/data-access/sqlite-thread/protocol.js';
import type { SqliteThreadConnection } from '../../src/data-access/sqlite-thread/connection.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { FINAL_STEP } from '../../src/domain/ports.js';
import { testEngines } from '../support/database.js';
import {
  expectNoViolations,
  leadAddresses,
  openHarness,
  type Harness,
} from '../support/harness.js';
import { linkPropagation, linkStatus, newLeadAt } from '../support/records.js';
import { historyCount } from '../support/writer-answers.js';

/**
 * Groups of final steps (StepOptions.final: the one-click unsubscribe, the guarded syncLead)
 * posted to the SQLite writer thread while it is busy: their COMMITs are held by the thread
 * and one COMMIT, one fsync, ends them all (sqlite-thread/held-commits.ts); every caller is
 * answered once it has run.
 */

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;

/** Keeps the writer thread busy for a while. */
const BUSY_READ =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500000) SELECT count(*) AS n FROM c';

/**
 * The transactions the WAL holds since it last started: its commit frames (a frame header's
 * second word is the database's size after a commit, 0 in any other frame), read up to the
 * first frame of an older generation (another salt). With synchronous=FULL, one fsync each.
 */
function walCommits(walFile: string): number {
  if (!fs.existsSync(walFile)) return 0;
  const wal = fs.readFileSync(walFile);
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const salts = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salts[0] || wal.readUInt32BE(at + 12) !== salts[1]) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}

describe('SQLite final groups posted behind each other share a COMMIT', () => {
  let h: Harness;
  let uow: UnitOfWork;
  let k: Knex;
  let wal: string;

  beforeEach(async () => {
    h = await openHarness(sqlite);
    uow = new UnitOfWork(h.db);
    k = h.db.knex;
    wal = `${path.join(h.dataDir, SQLITE_FILE_NAME)}-wal`;
  });
  afterEach(() => h.drop());

  /** How many times each address's unit ran. */
  const runs = new Map<string, number>();
  const finalUnsubscribe = (key: string) =>
    uow.writeStep((r) => {
      runs.set(key, (runs.get(key) ?? 0) + 1);
      return r.leads.unsubscribeAddressOnce(linkStatus(key, 1000), linkPropagation);
    }, FINAL_STEP);

  /**
   * `groups` of final units, each started once the one before it is posted, while the writer
   * thread runs a long read: they all reach it before it is done. Their settled results.
   */
  async function behindBusyWriter(
    groups: string[][],
    after?: () => Promise<unknown>,
  ): Promise<Array<PromiseSettledResult<unknown>>> {
    // Straight to the writer thread, past knex's pool (as writer-reads.ts posts).
    const thread = (k.client as unknown as { latestThread: SqliteThreadConnection }).latestThread;
    const busy = thread.readAll([{ sql: BUSY_READ, bindings: [] }]);
    const calls: Array<Promise<PromiseSettledResult<unknown>>> = [];
    const settled = (call: Promise<unknown>) =>
      call.then(
        (value): PromiseSettledResult<unknown> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseSettledResult<unknown> => ({ status: 'rejected', reason }),
      );
    // The read, and then each group, is posted within a few turns of this thread's event loop.
    const posted = () => new Promise((resolve) => setTimeout(resolve, 30));
    await posted();
    for (const group of groups) {
      calls.push(...group.map((key) => settled(finalUnsubscribe(key))));
      await posted();
    }
    if (after) calls.push(settled(after()));
    await busy;
    return Promise.all(calls);
  }

  it('groups posted while the writer is busy end in one COMMIT; each caller answered after it', async () => {
    runs.clear();
    const keys = await leadAddresses(h.services, 'held', 'held.example', 9);
    const before = walCommits(wal);
    const results = await behindBusyWriter([keys.slice(0, 3), keys.slice(3, 6), keys.slice(6)]);
    expect(results.map((r) => r.status)).to.deep.equal(keys.map(() => 'fulfilled'));
    // Three groups of the main thread, one transaction: one fsync.
    expect(walCommits(wal) - before).to.equal(1);
    expect(keys.map((key) => runs.get(key))).to.deep.equal(keys.map(() => 1));
    for (const key of keys) expect(await historyCount(k, key)).to.equal(1);
    await expectNoViolations(h.services);
  });

  it('any other transaction posted behind them runs after their COMMIT, in its own', async () => {
    const keys = await leadAddresses(h.services, 'other', 'held.example', 4);
    const before = walCommits(wal);
    const results = await behindBusyWriter([keys.slice(0, 2), keys.slice(2)], () =>
      uow.write((r) => r.leads.insert(newLeadAt('behind@held.example'))),
    );
    expect(results.map((r) => r.status)).to.deep.equal(
      keys.map(() => 'fulfilled').concat('fulfilled'),
    );
    expect(walCommits(wal) - before).to.equal(2);
    for (const key of keys) expect(await historyCount(k, key)).to.equal(1);
  });

  it(`holds at most MAX_HELD_STEPS (${MAX_HELD_STEPS}) steps under one COMMIT`, async () => {
    const keys = await leadAddresses(h.services, 'cap', 'held.example', MAX_HELD_STEPS + 4);
    const before = walCommits(wal);
    const results = await behindBusyWriter([
      keys.slice(0, MAX_HELD_STEPS - 2),
      keys.slice(MAX_HELD_STEPS - 2),
    ]);
    expect(results.every((r) => r.status === 'fulfilled')).to.equal(true);
    expect(walCommits(wal) - before).to.equal(2);
    for (const key of keys) expect(await historyCount(k, key)).to.equal(1);
  });

  it('a step of a later group that fails after writing rolls back every group held with it; they run again', async () => {
    runs.clear();
    const keys = await leadAddresses(h.services, 'spoil', 'held.example', 6);
    const bad = keys[4]!;
    // The person's update fails after the status, its history and the activities were written.
    await k.raw(
      `CREATE TRIGGER refuse_bad BEFORE UPDATE ON leads WHEN NEW.email_key = '${bad}'
       BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
    );
    const results = await behindBusyWriter([keys.slice(0, 3), keys.slice(3)]);
    expect(results.map((r) => r.status)).to.deep.equal(
      keys.map((key) => (key === bad ? 'rejected' : 'fulfilled')),
    );
    const reason = (results[4] as PromiseRejectedResult).reason as { code?: string };
    expect(reason.code).to.equal('SQLITE_CONSTRAINT_TRIGGER');
    // The first group too was rolled back with it, and ran again: each stored once.
    expect(keys.map((key) => runs.get(key))).to.deep.equal(
      keys.map((key) => (key === bad ? 1 : 2)),
    );
    for (const key of keys) expect(await historyCount(k, key)).to.equal(key === bad ? 0 : 1);
    await expectNoViolations(h.services);
  });
});
