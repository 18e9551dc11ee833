import { expect } from 'chai';
import pg from 'pg';
import { addressLockId } from '../../src/data-access/address-lock.js';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import type { PropagationActivity } from '../../src/domain/records.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { createLead, openHarness, type Harness } from '../support/harness.js';
import { pgMessagesWhile } from '../support/pg-messages.js';
import { killWhileWaitingForLock } from '../support/pg-lock-kill.js';
import { linkPropagation, linkStatus } from '../support/records.js';

/**
 * One-step units on PostgreSQL asked for while others are in flight share one transaction and
 * one message, each in a savepoint (sql/pg-step-group.ts): each is answered after the shared
 * COMMIT, a step that fails fails alone, and a group that loses its connection stores nothing.
 */

const postgres = testEngines().find((e) => e.name === 'postgres');

const STEP = /unsubscribe_address_once/;

(postgres ? describe : describe.skip)('PostgreSQL one-step units grouped', () => {
  let h: Harness;
  let db: Database;
  let uow: UnitOfWork;
  let run = 0;

  before(async () => {
    h = await openHarness(postgres!);
    db = openDatabase({ databaseUrl: h.url, dataDir: '', sqliteBusyTimeoutMs: 0, dbPoolMax: 4 });
    uow = new UnitOfWork(db);
  });
  after(async () => {
    await db.close();
    await h.drop();
  });

  afterEach(async () => {
    // No server process of the database is left inside a transaction (an aborted one included).
    const open = await h.db.knex.raw(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
    );
    expect((open as { rows: Array<{ n: number }> }).rows[0]!.n).to.equal(0);
  });

  /** `n` fresh addresses of one person each, in the order of their address locks. */
  const addresses = async (n: number) => {
    run++;
    const keys = Array.from({ length: n }, (_, i) => `g${run}-${i}@group.example`).sort((a, b) => {
      const x = addressLockId(a);
      const y = addressLockId(b);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    for (const key of keys) await createLead(h.services, key);
    return keys;
  };

  const unsubscribe = (key: string, at: number, extra: Partial<PropagationActivity> = {}) =>
    uow.writeStep((r) =>
      r.leads.unsubscribeAddressOnce(linkStatus(key, at), { ...linkPropagation, ...extra }),
    );

  const status = async (key: string) =>
    (await h.db.knex('email_status').where('email_key', key).first()) as
      { unsubscribed: boolean } | undefined;

  const flags = async (key: string) =>
    (await h.db.knex('leads').where('email_key', key).orderBy('id')).map(
      (p: { unsubscribed: boolean }) => p.unsubscribed,
    );

  it('sends steps asked for together as one transaction in one message, in lock order', async () => {
    const keys = await addresses(5);
    let results: unknown[] = [];
    // Asked for in reverse lock order: the message takes the locks in ascending order.
    const sent = await pgMessagesWhile(
      async () => (results = await Promise.all([...keys].reverse().map((k) => unsubscribe(k, 10)))),
    );
    const steps = sent.filter((t) => STEP.test(t));
    expect(steps).to.have.length(1);
    expect(steps[0]).to.match(
      // The call repeats in the group: prepared, with the floor lock (pg-step-forms.ts).
      /^BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; SELECT du_ensure_prepared\(.*\); EXECUTE du_f_[0-9a-f]{24}; SAVEPOINT step; EXECUTE .*; RELEASE step; COMMIT;$/,
    );
    expect(steps[0]!.match(/SAVEPOINT step;/g)).to.have.length(5);
    const order = keys.map((k) => steps[0]!.indexOf(`'${k}'`));
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    for (const r of results) expect(r).to.deep.equal({ changed: true, people: 1, changedAt: 10 });
    for (const k of keys) expect(await flags(k)).to.deep.equal([true]);
  });

  it('a step that fails fails alone, wherever it is in its group; the others are stored', async () => {
    for (let failing = 0; failing < 4; failing++) {
      const keys = await addresses(4);
      let outcomes: PromiseSettledResult<unknown>[] = [];
      const sent = await pgMessagesWhile(
        async () =>
          (outcomes = await Promise.allSettled(
            keys.map((k, i) =>
              // Longer than its column: fails at its last write, after the status and the flags.
              unsubscribe(k, 20, i === failing ? { source: 'x'.repeat(300) } : {}),
            ),
          )),
      );
      // One message for the four, then the rest after the failed one's savepoint is undone.
      const steps = sent.filter((t) => STEP.test(t) || /ROLLBACK TO SAVEPOINT/.test(t));
      expect(steps[0]!.match(/SAVEPOINT step;/g)).to.have.length(4);
      expect(steps[1]).to.match(/^ROLLBACK TO SAVEPOINT step; RELEASE step; .*COMMIT;$/);
      expect(steps).to.have.length(2);
      for (let i = 0; i < keys.length; i++) {
        const outcome = outcomes[i]!;
        if (i === failing) {
          expect(outcome.status).to.equal('rejected');
          const error = (outcome as PromiseRejectedResult).reason as Error & { code?: string };
          expect(error.code).to.equal('22001');
          expect(error.message).to.match(/unsubscribe_address_once/);
          expect(await status(keys[i]!)).to.equal(undefined);
          expect(await flags(keys[i]!)).to.deep.equal([false]);
        } else {
          expect(outcome).to.deep.equal({
            status: 'fulfilled',
            value: { changed: true, people: 1, changedAt: 20 },
          });
          expect(await flags(keys[i]!)).to.deep.equal([true]);
        }
      }
    }
  });

  it('a step that loses a deadlock is rolled back alone and run again; the others are stored', async () => {
    const [first, second] = await addresses(2);
    // Another transaction holds the second address's lock, and will want the first's.
    const other = new pg.Client({ connectionString: h.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(${addressLockId(second!)})`);
      let outcomes: unknown[] = [];
      const sent = await pgMessagesWhile(async () => {
        const both = Promise.all([unsubscribe(first!, 30), unsubscribe(second!, 30)]);
        // The group holds the first lock and waits for the second.
        for (let i = 0; i < 200; i++) {
          const waiting = await h.db.knex.raw(
            "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
          );
          if ((waiting as { rows: Array<{ n: number }> }).rows[0]!.n > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        // A cycle: the server aborts the group's waiting step (it waited first).
        await other.query(`SELECT pg_advisory_xact_lock(${addressLockId(first!)})`);
        await other.query('COMMIT');
        outcomes = await both;
      });
      expect(outcomes).to.deep.equal([
        { changed: true, people: 1, changedAt: 30 },
        { changed: true, people: 1, changedAt: 30 },
      ]);
      const steps = sent.filter((t) => STEP.test(t) || /ROLLBACK TO SAVEPOINT/.test(t));
      // Both together; the first committed alone; the second run again in a message of its own.
      expect(steps[0]!.match(/SAVEPOINT step;/g)).to.have.length(2);
      expect(steps[1]).to.equal('ROLLBACK TO SAVEPOINT step; RELEASE step; COMMIT;');
      expect(steps.slice(2)).to.have.length(1);
      expect(steps[2]).to.match(
        /^BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; SELECT du_ensure_prepared\(.*\); EXECUTE du_f_[0-9a-f]{24}; EXECUTE du_f_[0-9a-f]{24}\(.*'g\d+-\d@group\.example'.*\); COMMIT;$/,
      );
      expect(steps[2]).to.include(`'${second!}'`);
      expect(await flags(first!)).to.deep.equal([true]);
      expect(await flags(second!)).to.deep.equal([true]);
    } finally {
      await other.end();
    }
  });

  it('a group whose connection dies fails every step as "database unavailable", storing none', async () => {
    const [first, second] = await addresses(2);
    let outcomes: PromiseSettledResult<unknown>[] = [];
    // The group takes the first lock, then waits for the second, held by another unit.
    const { killed } = await killWhileWaitingForLock(
      h.db,
      h.url,
      second!,
      async () =>
        (outcomes = await Promise.allSettled([unsubscribe(first!, 40), unsubscribe(second!, 40)])),
      "query LIKE 'BEGIN; %SAVEPOINT step;%EXECUTE du\\_f\\_%'",
    );
    expect(killed).to.equal(1);
    for (const outcome of outcomes) {
      expect(outcome.status).to.equal('rejected');
      const error = (outcome as PromiseRejectedResult).reason as AppError;
      expect(error).to.be.instanceOf(AppError);
      expect(error.code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    }
    expect(await status(first!)).to.equal(undefined);
    expect(await status(second!)).to.equal(undefined);
    expect(await flags(first!)).to.deep.equal([false]);
    // The pool goes on with new connections.
    expect(await Promise.all([unsubscribe(first!, 41), unsubscribe(second!, 41)])).to.deep.equal([
      { changed: true, people: 1, changedAt: 41 },
      { changed: true, people: 1, changedAt: 41 },
    ]);
  });
});
