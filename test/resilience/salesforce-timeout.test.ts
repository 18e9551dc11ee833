import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { testEngines } from '../support/database.js';
import { whileWriteHeld } from '../support/held-write.js';
import type { RawResponse } from '../support/service.js';
import { startTestService, type TestService } from '../support/service.js';
import { slowCommits } from '../support/slow-commits.js';
import {
  ORG_ID,
  PATH_SECRET,
  expectAck,
  expectFault,
  leadRecordId,
  listenerUrl,
  notificationId,
  notificationsXml,
  send,
  type SampleNotification,
} from '../salesforce/support.js';

/**
 * A Salesforce outbound message that outlasts REQUEST_TIMEOUT_MS: the answer tells the truth.
 * A fault means Salesforce retries; the notifications it answers for were not stored, then or
 * later, and the retry stores each of them once (notification ids are recorded). A write
 * already being committed at the deadline is answered with its outcome, the Ack included.
 */
/**
 * Short, for the tests' sake, but not so short that a plain retry storing six notifications
 * outlasts it on a loaded machine (with 1 s, five retries in a row did on PostgreSQL).
 */
const TIMEOUT_MS = 2000;

/** An opt-out of a new Lead, notification and record numbered `n`. */
const optOut = (n: number): SampleNotification => ({
  id: notificationId(n),
  type: 'Lead',
  recordId: leadRecordId(n),
  fields: { Email: `sf${n}@timeout.example`, HasOptedOutOfEmail: 'true', LastName: 'T' },
});

/**
 * While `run` runs, Salesforce record `recordId` is held by a transaction of the test (on
 * PostgreSQL the record's row lock, on a SQLite file the one writer), rolled back after.
 */
function holdingRecord(db: Database, recordId: string, run: () => Promise<void>): Promise<void> {
  return whileWriteHeld(
    db,
    (r) => r.salesforceNotifications.lockRecord(ORG_ID, recordId, 'Lead', Date.now()),
    run,
    { rollBack: true },
  );
}

for (const engine of testEngines()) {
  describe(`a Salesforce message past REQUEST_TIMEOUT_MS (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    let url: string;
    let next = 100;

    beforeEach(async () => {
      service = await startTestService(engine, {
        requestTimeoutMs: TIMEOUT_MS,
        dbAcquireTimeoutMs: TIMEOUT_MS / 2,
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
      });
      url = listenerUrl(service.base);
      // A fresh service's first writes can take longer than the short timeout.
      for (let i = 0; i < 3; i++) await send(url, notificationsXml([optOut(++next)]));
    });
    afterEach(() => service.stop());

    const db = () => service.running.database;
    /** Every write in flight now has ended (committed or rolled back). */
    const settled = () => new UnitOfWork(db()).settleWrites();
    /** Whether notification `n` is recorded, and the flags of the people its record made. */
    const stored = async (n: number) => ({
      recorded:
        (
          await db()
            .knex('salesforce_notifications')
            .where({ notification_id: notificationId(n) })
        ).length > 0,
      people: (
        await db()
          .knex('leads')
          .where({ foreign_sys_person_id: leadRecordId(n) })
          .select('*')
      ).map((l: { unsubscribed: unknown }) => Boolean(l.unsubscribed)),
    });
    /**
     * Salesforce's retries of `message` until one is acknowledged (at most 5), as it resends a
     * message answered with a fault: under load one retry storing several notifications can
     * itself outlast the short REQUEST_TIMEOUT_MS here (seen on both engines with 1 s). A retry stores
     * no more than it commits by its deadline, and the next skips what is recorded: what is
     * stored, and once, is checked after them.
     */
    const retried = async (message: string) => {
      let answer = await send(url, message);
      for (let i = 1; i < 5 && answer.status !== 200; i++) {
        expectFault(answer, 'Server', 10001);
        answer = await send(url, message);
      }
      expectAck(answer);
    };
    const timed = async (message: string) => {
      const began = Date.now();
      const answer: RawResponse = await send(url, message);
      return { answer, took: Date.now() - began };
    };

    it('that waited for the database is a fault at the deadline and stores nothing, then or later; the retry stores it once', async () => {
      const n = ++next;
      const message = notificationsXml([optOut(n)]);
      let late!: Awaited<ReturnType<typeof timed>>;
      await holdingRecord(db(), leadRecordId(n), async () => {
        late = await timed(message);
      });
      expectFault(late.answer, 'Server', 10001);
      // At the deadline, not when the record was free (the test frees it after the answer).
      expect(late.took).to.be.below(3 * TIMEOUT_MS);
      await settled();
      // Before: once the record was free the write went on and committed, under a fault.
      expect(await stored(n)).to.deep.equal({ recorded: false, people: [] });
      // Salesforce's retry of the same message.
      await retried(message);
      expect(await stored(n)).to.deep.equal({ recorded: true, people: [true] });
    });

    it('whose write was being committed is answered with the commit: the Ack, after the deadline', async () => {
      const n = ++next;
      let late!: Awaited<ReturnType<typeof timed>>;
      await slowCommits(db(), 2 * TIMEOUT_MS, async () => {
        late = await timed(notificationsXml([optOut(n)]));
      });
      // Before: a fault at the deadline, while the opt-out committed.
      expectAck(late.answer);
      expect(late.took).to.be.greaterThan(TIMEOUT_MS);
      expect(await stored(n)).to.deep.equal({ recorded: true, people: [true] });
    });

    it('of several notifications stores those committed before the deadline and no other; the retry stores the rest, each once', async () => {
      const numbers = Array.from({ length: 6 }, () => ++next);
      const message = notificationsXml(numbers.map(optOut));
      let late!: Awaited<ReturnType<typeof timed>>;
      // Each notification's COMMIT takes 40 % of the timeout: the deadline comes within them.
      await slowCommits(db(), (TIMEOUT_MS * 2) / 5, async () => {
        late = await timed(message);
      });
      expectFault(late.answer, 'Server', 10001);
      // Time for any notification still under way to commit, were it let (before, it was).
      await new Promise((resolve) => setTimeout(resolve, 2 * TIMEOUT_MS));
      await settled();
      const kept = await Promise.all(numbers.map(async (n) => (await stored(n)).recorded));
      // In order, those committed before the deadline (none, on a machine slow enough to
      // reach it within the first) and none after it (before: all of them, later).
      expect(kept).to.include(false);
      expect(kept.indexOf(false)).to.equal(kept.lastIndexOf(true) + 1);
      await retried(message);
      for (const n of numbers)
        expect(await stored(n), String(n)).to.deep.equal({ recorded: true, people: [true] });
      const rows = await db()
        .knex('salesforce_notifications')
        .whereIn('notification_id', numbers.map(notificationId));
      expect(rows).to.have.length(numbers.length);
    });
  });
}
