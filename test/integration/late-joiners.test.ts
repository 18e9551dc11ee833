import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { MAX_GROUP_UNITS } from '../../src/data-access/sqlite-group-writer.js';
import { CallDeadline, FINAL_STEP } from '../../src/domain/ports.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { expectNoViolations, leadAddresses, type Harness } from '../support/harness.js';
import { linkPropagation, linkStatus } from '../support/records.js';
import { expectRejectedAlone, openUnitOfWork, refuseWrites } from '../support/step-units.js';
import { historyCount, withSlowWriterAnswers } from '../support/writer-answers.js';

/**
 * Final steps on a SQLite file that come while the COMMIT ahead of them is unanswered (the
 * writer thread in its fsync) join one group, whatever turn of the event loop they come in:
 * one COMMIT for them all, posted once the one ahead is answered, and each caller answered
 * only after that COMMIT.
 */

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Until the first COMMIT is posted (its answer is held back): later units come behind it. */
const firstCommitPosted = async (events: string[]) => {
  while (!events.includes('commit posted')) await pause(2);
};

describe('SQLite final steps that come behind an unanswered COMMIT', () => {
  let h: Harness;
  let uow: UnitOfWork;
  let k: Knex;

  beforeEach(async () => ({ h, uow, k } = await openUnitOfWork(sqlite)));
  afterEach(() => h.drop());

  const unsubscribe = (key: string, deadline?: CallDeadline) =>
    uow.writeStep(
      (r) => r.leads.unsubscribeAddressOnce(linkStatus(key, 1000), linkPropagation),
      deadline ? { ...FINAL_STEP, deadline } : FINAL_STEP,
    );

  it('share one COMMIT, posted after the one ahead is answered; callers after their own', async () => {
    const keys = await leadAddresses(h.services, 'late', 'late.example', 9);
    const [ahead, early, later] = [keys.slice(0, 3), keys.slice(3, 6), keys.slice(6)];
    const events = await withSlowWriterAnswers(300, 'commits', async (seen) => {
      const call = (key: string) => unsubscribe(key).then((r) => (seen.push(`answered ${key}`), r));
      const first = ahead.map(call);
      // Two waves in other turns of the event loop, while the first COMMIT is unanswered.
      await firstCommitPosted(seen);
      const second = early.map(call);
      await pause(30);
      const third = later.map(call);
      const results = await Promise.all([...first, ...second, ...third]);
      expect(results.every((r) => r.changed)).to.equal(true);
    });
    const commits = events.filter((e) => e === 'commit posted').length;
    expect(commits).to.equal(2);
    const secondCommit = events.lastIndexOf('commit posted');
    const firstAnswer = events.indexOf('commit answered');
    const secondAnswer = events.lastIndexOf('commit answered');
    expect(secondCommit).to.be.above(firstAnswer);
    // Both waves' steps went behind the first COMMIT, before its answer.
    expect(events.slice(events.indexOf('commit posted') + 1, firstAnswer)).to.deep.equal(
      [...early, ...later].map(() => 'step posted'),
    );
    for (const key of ahead) expect(events.indexOf(`answered ${key}`)).to.be.above(firstAnswer);
    for (const key of [...early, ...later])
      expect(events.indexOf(`answered ${key}`)).to.be.above(secondAnswer);
    for (const key of keys) expect(await historyCount(k, key)).to.equal(1);
    await expectNoViolations(h.services);
  });

  it('a late unit refused by the database fails alone; the group commits the others', async () => {
    const keys = await leadAddresses(h.services, 'refused', 'late.example', 5);
    await refuseWrites(k, 'INSERT ON email_status', keys[3]!);
    let results: Array<PromiseSettledResult<unknown>> = [];
    const events = await withSlowWriterAnswers(300, 'commits', async (seen) => {
      const first = keys.slice(0, 2).map((key) => unsubscribe(key));
      await firstCommitPosted(seen);
      const second = keys.slice(2, 4).map((key) => unsubscribe(key));
      await pause(30);
      results = await Promise.allSettled([...first, ...second, unsubscribe(keys[4]!)]);
    });
    expect(events.filter((e) => e === 'commit posted').length).to.equal(2);
    expectRejectedAlone(results, 5, 3);
    for (const [i, key] of keys.entries())
      expect(await historyCount(k, key)).to.equal(i === 3 ? 0 : 1);
    await expectNoViolations(h.services);
  });

  it("a late unit past its call's deadline before its step is posted is withdrawn alone", async () => {
    const keys = await leadAddresses(h.services, 'deadline', 'late.example', 5);
    const deadline = new CallDeadline();
    let results: Array<PromiseSettledResult<unknown>> = [];
    const events = await withSlowWriterAnswers(300, 'commits', async (seen) => {
      const first = keys.slice(0, 2).map((key) => unsubscribe(key));
      await firstCommitPosted(seen);
      const second = keys.slice(2, 4).map((key) => unsubscribe(key));
      const timedOut = unsubscribe(keys[4]!, deadline);
      // Taken in, not posted yet: nothing of it is committing.
      expect(deadline.expire()).to.equal(true);
      await pause(30);
      results = await Promise.allSettled([...first, ...second, timedOut]);
    });
    expect(events.filter((e) => e === 'commit posted').length).to.equal(2);
    expectRejectedAlone(results, 5, 4);
    const error = (results[4] as PromiseRejectedResult).reason as unknown;
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).code).to.equal(ErrorCode.INTERNAL);
    for (const [i, key] of keys.entries())
      expect(await historyCount(k, key)).to.equal(i === 4 ? 0 : 1);
  });

  it('the COMMIT ahead failing stores nothing of its group; the late group behind it commits', async () => {
    const keys = await leadAddresses(h.services, 'ahead-fails', 'late.example', 6);
    // The first group's COMMIT fails: a deferred reference its unit leaves dangling is checked
    // only then (SQLite leaves the transaction open, and the writer rolls it back).
    await k.raw(
      'CREATE TABLE commit_trap (lead_id integer REFERENCES leads (id) DEFERRABLE INITIALLY DEFERRED)',
    );
    await k.raw(
      `CREATE TRIGGER trap_commit AFTER INSERT ON email_status WHEN NEW.email_key = '${keys[0]}'
       BEGIN INSERT INTO commit_trap VALUES (-1); END`,
    );
    let results: Array<PromiseSettledResult<{ changed: boolean }>> = [];
    const events = await withSlowWriterAnswers(300, 'commits', async (seen) => {
      const first = keys.slice(0, 2).map((key) => unsubscribe(key));
      await firstCommitPosted(seen);
      const second = keys.slice(2, 4).map((key) => unsubscribe(key));
      await pause(30);
      const third = keys.slice(4).map((key) => unsubscribe(key));
      results = await Promise.allSettled([...first, ...second, ...third]);
    });
    // The later units' steps all went behind the failing COMMIT, before its answer.
    const firstAnswer = events.indexOf('commit answered');
    expect(events.slice(events.indexOf('commit posted') + 1, firstAnswer)).to.deep.equal(
      keys.slice(2).map(() => 'step posted'),
    );
    expect(results[0]!.status).to.equal('rejected');
    expect(await historyCount(k, keys[0]!)).to.equal(0);
    // Behind it, every unit (late ones included) stored once and answered so.
    for (const [i, key] of keys.entries()) {
      if (i === 0) continue;
      const stored = await historyCount(k, key);
      expect(stored, key).to.equal(results[i]!.status === 'fulfilled' ? 1 : 0);
      if (i >= 2) expect(results[i]!.status, key).to.equal('fulfilled');
    }
    await k.raw('DROP TRIGGER trap_commit');
    await expectNoViolations(h.services);
  });

  it('another process holding the write lock: the groups wait their turn and all commit', async () => {
    const keys = await leadAddresses(h.services, 'locked', 'late.example', 6);
    // As a CLI command would: the file's write lock, held for less than the busy timeout.
    const other = new BetterSqlite3(h.db.location);
    other.exec('BEGIN IMMEDIATE');
    let results: Array<PromiseSettledResult<unknown>> = [];
    try {
      const events = await withSlowWriterAnswers(100, 'commits', async (seen) => {
        const first = keys.slice(0, 2).map((key) => unsubscribe(key));
        const released = pause(300).then(() => other.exec('COMMIT'));
        await firstCommitPosted(seen);
        const second = keys.slice(2, 4).map((key) => unsubscribe(key));
        await pause(30);
        const third = keys.slice(4).map((key) => unsubscribe(key));
        results = await Promise.allSettled([...first, ...second, ...third, released]);
      });
      expect(events.filter((e) => e === 'commit posted').length).to.equal(2);
    } finally {
      other.close();
    }
    expect(results.map((r) => r.status)).to.deep.equal(results.map(() => 'fulfilled'));
    for (const key of keys) expect(await historyCount(k, key)).to.equal(1);
    await expectNoViolations(h.services);
  });

  it('late units past MAX_GROUP_UNITS form the next group, behind the full one', async () => {
    const keys = await leadAddresses(h.services, 'full', 'late.example', MAX_GROUP_UNITS + 12);
    const events = await withSlowWriterAnswers(300, 'commits', async (seen) => {
      const first = keys.slice(0, 2).map((key) => unsubscribe(key));
      await firstCommitPosted(seen);
      const second = keys.slice(2, 4).map((key) => unsubscribe(key));
      await pause(30);
      const third = keys.slice(4).map((key) => unsubscribe(key));
      const results = await Promise.all([...first, ...second, ...third]);
      expect(results.every((r) => r.changed)).to.equal(true);
    });
    expect(events.filter((e) => e === 'commit posted').length).to.equal(3);
    // Behind the first COMMIT: the second group, filled by late units to the most it may hold.
    const firstAnswer = events.indexOf('commit answered');
    expect(events.slice(events.indexOf('commit posted') + 1, firstAnswer)).to.deep.equal(
      Array.from({ length: MAX_GROUP_UNITS }, () => 'step posted'),
    );
    for (const key of keys) expect(await historyCount(k, key)).to.equal(1);
    await expectNoViolations(h.services);
  });

  it('a late unit that fails after writing rolls its group back; the others run again', async () => {
    const keys = await leadAddresses(h.services, 'spoiled', 'late.example', 6);
    // The person's update fails after the status, its history and the activities were written.
    await refuseWrites(k, 'UPDATE ON leads', keys[4]!);
    let results: Array<PromiseSettledResult<unknown>> = [];
    const events = await withSlowWriterAnswers(300, 'commits', async (seen) => {
      const first = keys.slice(0, 2).map((key) => unsubscribe(key));
      await firstCommitPosted(seen);
      const second = keys.slice(2, 4).map((key) => unsubscribe(key));
      await pause(30);
      const third = keys.slice(4).map((key) => unsubscribe(key));
      results = await Promise.allSettled([...first, ...second, ...third]);
    });
    // The first group, the spoiled one, and the ones its other units ran again in.
    expect(events.filter((e) => e === 'commit posted').length).to.be.at.least(3);
    expectRejectedAlone(results, 6, 4, 'SQLITE_CONSTRAINT_TRIGGER');
    for (const [i, key] of keys.entries())
      expect(await historyCount(k, key)).to.equal(i === 4 ? 0 : 1);
    await expectNoViolations(h.services);
  });
});
