import { expect } from 'chai';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import type { ActivityView } from '../../src/domain/activity.service.js';
import type { NewActivity } from '../../src/domain/records.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { createLead, harnessPerSuite, type Harness } from '../support/harness.js';
import { nextActivityIdAt, PAST_32_BITS } from '../support/activity-ids.js';

/**
 * getLeadChanges pages by activity id. On PostgreSQL ids come from a sequence and writers
 * commit in any order: a writer holding id 100 may commit after one holding 101. A reader that
 * served 101 and moved its position past it would never see 100 (a mirrored opt-out lost).
 * SQLite has one writer: the second waits for the first, and ids follow commits.
 *
 * Each case runs twice: on a fresh log, and on one whose ids are past the 32-bit range (the
 * writers' floor lock splits a 64-bit floor over its two 32-bit keys).
 */

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let waited = 0; waited < ms && !done; waited += 10) await settle(10);
  return done;
}

for (const engine of testEngines())
  for (const firstId of [1, PAST_32_BITS])
    describe(`change stream: writers committing out of id order (${engine.name}, ids from ${firstId})`, () => {
      let h: Harness;
      let s: Services;
      harnessPerSuite(engine, (opened) => {
        h = opened;
        s = opened.services;
      });
      before(async () => {
        if (firstId > 1) await nextActivityIdAt(h.db, firstId);
      });

      const activity = (leadId: number, reason: string): NewActivity => ({
        leadId,
        activityType: 'Change Data Value',
        createdAt: h.clock.now(),
        attributeName: 'Unsubscribed',
        oldValue: 'false',
        newValue: 'true',
        reason,
        source: 'test',
      });

      /** The stream from `offset` until it answers nothing more: every page, in order. */
      async function drain(offset: string): Promise<{ seen: ActivityView[]; offset: string }> {
        const seen: ActivityView[] = [];
        for (;;) {
          const page = await s.activities.changes({ offset }, { batchSize: 1000 });
          seen.push(...page.activities);
          offset = page.newStartPosition.offset;
          if (page.returnCount === 0 || page.remainingCount === 0) return { seen, offset };
        }
      }

      /**
       * Writer A takes the lower id and stays open; writer B takes the next one. Returns whether
       * B committed while A was open (PostgreSQL; on SQLite B waits for A, the one writer), and
       * `commitA`, which lets A commit and waits for both.
       */
      async function outOfOrder(leadId: number) {
        const uow = new UnitOfWork(h.db);
        let releaseA!: () => void;
        const gateA = new Promise<void>((r) => (releaseA = r));
        let aHasId!: () => void;
        const aStarted = new Promise<void>((r) => (aHasId = r));
        const a = uow.write(async (repos) => {
          await repos.activities.insert([activity(leadId, 'A, committed last')]);
          // A read of the unit sends the queued insert: A holds its id from here.
          await repos.activities.countAfter(0, {});
          aHasId();
          await gateA;
        });
        await aStarted;
        const b = uow.write(async (repos) => {
          await repos.activities.insert([activity(leadId, 'B, committed first')]);
        });
        const bFirst = await settlesWithin(b, 500);
        const commitA = async () => {
          releaseA();
          await Promise.all([a, b]);
        };
        return { bFirst, commitA };
      }

      /**
       * Writer A takes the lower id and stays open; writer B takes the next one and commits;
       * the reader polls; A commits; the reader polls again from the position it was given.
       */
      async function race(filter?: { includeTypes: string[] }) {
        const leadId = await createLead(s, `race-${filter ? 'f' : 'p'}@example.com`);
        const start = (await drain('ID:0')).offset;
        const { bFirst, commitA } = await outOfOrder(leadId);
        const page = (o: string) =>
          filter
            ? s.activities.changes({ offset: o }, { batchSize: 1000, filter })
            : s.activities.changes({ offset: o }, { batchSize: 1000 });
        const first = await page(start);
        await commitA();
        const second = await page(first.newStartPosition.offset);
        const third = await page(second.newStartPosition.offset);
        const written = [...first.activities, ...second.activities, ...third.activities].filter(
          (x) => x.leadId === leadId && x.activityType === 'Change Data Value',
        );
        const reasons = written.map((x) => x.attributes.find(([n]) => n === 'Reason')?.[1]);
        return { bFirst, reasons, first, ids: written.map((x) => x.id) };
      }

      it('a reader polling between the two commits loses neither activity', async () => {
        const { bFirst, reasons, ids } = await race();
        expect(bFirst).to.equal(engine.name === 'postgres');
        for (const id of ids) expect(id).to.be.at.least(firstId);
        expect(reasons).to.have.members(['A, committed last', 'B, committed first']);
        expect(reasons).to.have.length(2);
      });

      it('so does a reader filtering by activity type (its window stops there too)', async () => {
        const { reasons, first } = await race({ includeTypes: ['ChangeDataValue'] });
        expect(reasons).to.have.members(['A, committed last', 'B, committed first']);
        expect(reasons).to.have.length(2);
        // The filtered page's position never passes the id A holds.
        expect(first.newStartPosition.offset).to.match(/^ID:\d+$/);
      });

      it('a poller racing many writers (some rolled back) sees every committed activity once', async () => {
        const leadId = await createLead(s, 'race-many@example.com');
        let offset = (await drain('ID:0')).offset;
        const uow = new UnitOfWork(h.db);
        const seen: string[] = [];
        let writing = true;
        const poller = (async () => {
          while (writing) {
            const page = await s.activities.changes({ offset }, { batchSize: 1000 });
            seen.push(
              ...page.activities
                .filter((x) => x.leadId === leadId)
                .map((x) => x.attributes.find(([n]) => n === 'Reason')?.[1] ?? ''),
            );
            offset = page.newStartPosition.offset;
            await settle(3);
          }
        })();
        const committed: string[] = [];
        await Promise.all(
          Array.from({ length: 24 }, async (_, w) => {
            // Spread starts and hold times: commits land out of id order.
            await settle((w * 7) % 40);
            const reason = `writer ${w}`;
            const rollBack = w % 5 === 4;
            try {
              await uow.write(async (repos) => {
                await repos.activities.insert([activity(leadId, reason)]);
                await repos.activities.countAfter(0, {});
                await settle(((w * 13) % 9) * 10);
                if (rollBack) throw new Error('rolled back on purpose');
              });
              committed.push(reason);
            } catch (error) {
              if (!rollBack) throw error;
            }
          }),
        );
        writing = false;
        await poller;
        const rest = await drain(offset);
        seen.push(
          ...rest.seen
            .filter((x) => x.leadId === leadId)
            .map((x) => x.attributes.find(([n]) => n === 'Reason')?.[1] ?? ''),
        );
        expect([...seen].sort()).to.deep.equal([...committed].sort());
      });

      it('a stream started by time does not begin past an id still being written', async () => {
        const leadId = await createLead(s, 'race-t@example.com');
        const since = h.clock.t;
        const { commitA } = await outOfOrder(leadId);
        const first = await s.activities.changes(
          { oldestCreatedAt: new Date(since) },
          { batchSize: 1000 },
        );
        await commitA();
        const rest = await drain(first.newStartPosition.offset);
        const reasons = [...first.activities, ...rest.seen]
          .filter((x) => x.leadId === leadId)
          .map((x) => x.attributes.find(([n]) => n === 'Reason')?.[1]);
        expect(reasons).to.have.members(['A, committed last', 'B, committed first']);
      });
    });
