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

type Wave<T> = (events: string[]) => Array<Promise<T>>;

/**
 * Units in three waves while COMMIT answers come `heldMs` late: the first wave, the second
 * once the first COMMIT is posted (its answer held back), the third 30 ms later in another
 * turn of the event loop. Tells what was posted and answered, and how each unit settled, in
 * wave order.
 */
async function inWaves<T>(
  heldMs: number,
  [first, second, third]: [Wave<T>, Wave<T>, Wave<T>],
): Promise<{ events: string[]; results: Array<PromiseSettledResult<T>> }> {
  let results: Array<PromiseSettledResult<T>> = [];
  const events = await withSlowWriterAnswers(heldMs, 'commits', async (seen) => {
    const ahead = first(seen);
    await firstCommitPosted(seen);
    const behind = second(seen);
    await pause(30);
    results = await Promise.allSettled([...ahead, ...behind, ...third(seen)]);
  });
  return { events, results };
}

const commitsPosted = (events: string[]) => events.filter((e) => e === 'commit posted').length;
const allChanged = (results: Array<PromiseSettledResult<{ changed: boolean }>>) =>
  results.every((r) => r.status === 'fulfilled' && r.value.changed);

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
  type Changed = Awaited<ReturnType<typeof unsubscribe>>;
  /** Keys 0-1 ahead, 2-3 behind the first COMMIT, the rest 30 ms later. */
  const waves = (keys: string[]): [Wave<Changed>, Wave<Changed>, Wave<Changed>] => [
    () => keys.slice(0, 2).map((key) => unsubscribe(key)),
    () => keys.slice(2, 4).map((key) => unsubscribe(key)),
    () => keys.slice(4).map((key) => unsubscribe(key)),
  ];

  it('share one COMMIT, posted after the one ahead is answered; callers after their own', async () => {
    const keys = await leadAddresses(h.services, 'late', 'late.example', 9);
    const [ahead, early, later] = [keys.slice(0, 3), keys.slice(3, 6), keys.slice(6)];
    const heard = (wave: string[]) => (seen: string[]) =>
      wave.map((key) => unsubscribe(key).then((r) => (seen.push(`answered ${key}`), r)));
    // Two waves in other turns of the event loop, while the first COMMIT is unanswered.
    const { events, results } = await inWaves(300, [heard(ahead), heard(early), heard(later)]);
    expect(allChanged(results)).to.equal(true);
    expect(commitsPosted(events)).to.equal(2);
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
    const { events, results } = await inWaves(300, [
      () => keys.slice(0, 2).map((key) => unsubscribe(key)),
      () => keys.slice(2, 4).map((key) => unsubscribe(key)),
      () => [unsubscribe(keys[4]!)],
    ]);
    expect(commitsPosted(events)).to.equal(2);
    expectRejectedAlone(results, 5, 3);
    for (const [i, key] of keys.entries())
      expect(await historyCount(k, key)).to.equal(i === 3 ? 0 : 1);
    await expectNoViolations(h.services);
  });

  it("a late unit past its call's deadline before its step is posted is withdrawn alone", async () => {
    const keys = await leadAddresses(h.services, 'deadline', 'late.example', 5);
    const deadline = new CallDeadline();
    const { events, results } = await inWaves(300, [
      () => keys.slice(0, 2).map((key) => unsubscribe(key)),
      () => {
        const second = keys.slice(2, 4).map((key) => unsubscribe(key));
        const timedOut = unsubscribe(keys[4]!, deadline);
        // Taken in, not posted yet: nothing of it is committing.
        expect(deadline.expire()).to.equal(true);
        return [...second, timedOut];
      },
      () => [],
    ]);
    expect(commitsPosted(events)).to.equal(2);
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
    const { events, results } = await inWaves(300, waves(keys));
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
    const released = pause(300).then(() => other.exec('COMMIT'));
    let results: Array<PromiseSettledResult<unknown>> = [];
    try {
      const waved = await inWaves(100, waves(keys));
      expect(commitsPosted(waved.events)).to.equal(2);
      results = [...waved.results, ...(await Promise.allSettled([released]))];
    } finally {
      other.close();
    }
    expect(results.map((r) => r.status)).to.deep.equal(results.map(() => 'fulfilled'));
    for (const key of keys) expect(await historyCount(k, key)).to.equal(1);
    await expectNoViolations(h.services);
  });

  it('late units past MAX_GROUP_UNITS form the next group, behind the full one', async () => {
    const keys = await leadAddresses(h.services, 'full', 'late.example', MAX_GROUP_UNITS + 12);
    const { events, results } = await inWaves(300, waves(keys));
    expect(allChanged(results)).to.equal(true);
    expect(commitsPosted(events)).to.equal(3);
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
    const { events, results } = await inWaves(300, waves(keys));
    // The first group, the spoiled one, and the ones its other units ran again in.
    expect(commitsPosted(events)).to.be.at.least(3);
    expectRejectedAlone(results, 6, 4, 'SQLITE_CONSTRAINT_TRIGGER');
    for (const [i, key] of keys.entries())
      expect(await historyCount(k, key)).to.equal(i === 4 ? 0 : 1);
    await expectNoViolations(h.services);
  });
});
