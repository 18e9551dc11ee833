/**
 * getLeadActivity bounded by dates (oldestCreatedAt, latestCreatedAt, activityCreatedAt
 * without an offset) and getLeadChanges bounded by latestCreatedAt: a page is never empty
 * while an activity within the dates remains, and its remainingCount is 0 exactly when none
 * does. Talend's Marketo components, and other clients, stop at the first empty page: a page
 * that read a window of ACTIVITY_SCAN_LIMIT activities outside the dates came back empty with
 * remainingCount 1, and they read nothing further. Ids need not follow times (an imported
 * activity is older than its id), so the dates can leave out long runs of the log anywhere.
 * A page's cost does not grow with the lead's history: at 100,000 activities a date-bounded
 * page of 100 costs less than twice what it does at 150.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { createServices, type Services } from '../../src/compose.js';
import type { StreamStart } from '../../src/domain/activity.service.js';
import { appendDataValues } from '../support/activity-log.js';
import { testEngines } from '../support/database.js';
import { createLead, idKey } from '../support/harness.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

/** The lead's activities within [oldest, latest], newest first, as stored. */
async function within(
  db: Database,
  leadId: number,
  oldest: number,
  latest: number,
): Promise<number[]> {
  const rows = (await db
    .knex('activities')
    .where('lead_id', leadId)
    .andWhere('created_at', '>=', oldest)
    .andWhere('created_at', '<=', latest)
    .orderBy('id', 'desc')
    .select('id')) as Array<{ id: number | string }>;
  return rows.map((r) => Number(r.id));
}

interface Read {
  ids: number[];
  remaining: number[];
}

/**
 * getLeadActivity as a client reads it that passes newStartPosition back whole and stops at
 * remainingCount 0 or at the first empty page.
 */
async function clientRead(
  s: Services,
  lead: number,
  first: StreamStart,
  batchSize: number,
): Promise<Read> {
  const read: Read = { ids: [], remaining: [] };
  let start: StreamStart = first;
  for (let calls = 0; calls < 1000; calls++) {
    const page = await s.activities.listForLead(idKey(lead), { start, batchSize });
    read.remaining.push(page.remainingCount);
    if (page.returnCount === 0) return read;
    read.ids.push(...page.activities.map((a) => a.id));
    if (page.remainingCount === 0) return read;
    start = page.newStartPosition;
  }
  throw new Error('paging never ended');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const engine of testEngines()) {
  describe(`date-bounded activity pages (${engine.name})`, function () {
    this.timeout(300000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let s: Services;

    before(async () => {
      made = await engine.create();
      s = createServices(made.db, {
        customFields: [],
        defaultPartition: 'Default',
        activityScanLimit: 1000,
      });
    });
    after(() => made?.drop());

    it('getLeadActivity by latestCreatedAt reads every activity at or before it past a long newer run', async () => {
      const lead = await createLead(s, 'older-below@dates.example');
      await appendDataValues(made.db, lead, 30, T0);
      await appendDataValues(made.db, lead, 1700, T0 + 10 * DAY);
      const latest = T0 + DAY;
      const expected = await within(made.db, lead, 0, latest);
      expect(expected).to.have.length(30);
      // activityCreatedAt bounds every page, not the first alone: newStartPosition carries it
      // (as latestCreatedAt) beside the offset, so the pages after the first keep to it too
      // instead of reading on below without it (the New Lead, created now, among them).
      for (const [start, wanted] of [
        [{ latestCreatedAt: new Date(latest) }, expected],
        [{ activityCreatedAt: new Date(latest) }, expected],
      ] as const) {
        for (const batchSize of [7, 100]) {
          const read = await clientRead(s, lead, start, batchSize);
          expect(read.ids, `${Object.keys(start)[0]}, pages of ${batchSize}`).to.deep.equal(
            batchSize > expected.length ? expected : wanted,
          );
          expect(read.remaining[read.remaining.length - 1]).to.equal(0);
        }
      }
    });

    it('getLeadActivity by oldestCreatedAt reads every activity since it across long older runs, and ends with remainingCount 0', async () => {
      const lead = await createLead(s, 'imported-between@dates.example');
      // Recent activities, then a long run imported with old dates, then recent ones again.
      await appendDataValues(made.db, lead, 20, T0 + 10 * DAY);
      await appendDataValues(made.db, lead, 1700, T0);
      await appendDataValues(made.db, lead, 20, T0 + 20 * DAY);
      await appendDataValues(made.db, lead, 1700, T0);
      const oldest = T0 + 5 * DAY;
      const expected = await within(made.db, lead, oldest, Number.MAX_SAFE_INTEGER);
      expect(expected).to.have.length(40 + 1); // and its New Lead, created now

      for (const batchSize of [20, 100]) {
        const read = await clientRead(s, lead, { oldestCreatedAt: new Date(oldest) }, batchSize);
        expect(read.ids, `pages of ${batchSize}`).to.deep.equal(expected);
        // remainingCount 0 on the page that holds the last of them, above 0 before it.
        expect(read.remaining[read.remaining.length - 1]).to.equal(0);
        expect(read.remaining.slice(0, -1).every((r) => r > 0)).to.equal(true);
      }
      // Nothing within the dates: one empty page, remainingCount 0.
      const none = await s.activities.listForLead(idKey(lead), {
        start: { oldestCreatedAt: new Date(Date.UTC(2100, 0, 1)) },
      });
      expect([none.returnCount, none.remainingCount]).to.deep.equal([0, 0]);
    });

    it('getLeadChanges by latestCreatedAt reads every activity at or before it past a long newer run, and ends with remainingCount 0', async () => {
      const own = await engine.create();
      try {
        const t = createServices(own.db, {
          customFields: [],
          defaultPartition: 'Default',
          activityScanLimit: 1000,
        });
        const lead = await createLead(t, 'stream@dates.example');
        // The New Lead activity is created now, after latest.
        await appendDataValues(own.db, lead, 1700, T0 + 10 * DAY);
        await appendDataValues(own.db, lead, 15, T0);
        await appendDataValues(own.db, lead, 1700, T0 + 10 * DAY);
        await appendDataValues(own.db, lead, 15, T0);
        await appendDataValues(own.db, lead, 2500, T0 + 10 * DAY);
        const latest = T0 + DAY;
        const expected = (await within(own.db, lead, 0, latest)).reverse();
        expect(expected).to.have.length(30);
        for (const batchSize of [10, 1000]) {
          const read: number[] = [];
          const remaining: number[] = [];
          let start: StreamStart = { offset: 'ID:0', latestCreatedAt: new Date(latest) };
          for (let calls = 0; calls < 100; calls++) {
            const page = await t.activities.changes(start, { batchSize });
            remaining.push(page.remainingCount);
            if (page.returnCount === 0) break;
            read.push(...page.activities.map((a) => a.id));
            if (page.remainingCount === 0) break;
            start = page.newStartPosition;
          }
          expect(read, `pages of ${batchSize}`).to.deep.equal(expected);
          expect(remaining[remaining.length - 1]).to.equal(0);
        }
      } finally {
        await own.drop();
      }
    });

    it('a date-bounded getLeadActivity page of 100 costs about the same at 150 and at 100,000 activities', async () => {
      // The default ACTIVITY_SCAN_LIMIT (20,000).
      const defaults = createServices(made.db, { customFields: [], defaultPartition: 'Default' });
      const large = await createLead(defaults, 'hundred-thousand@dates.example');
      await appendDataValues(made.db, large, 99_999, T0 + 100 * DAY);
      // 150 in the small one, so that both pages hold 100: the pages compared differ in the
      // history behind them only, not in what they carry (49 rows against 100 once doubled the
      // time of the large one's page on a loaded PostgreSQL).
      const small = await createLead(defaults, 'hundred@dates.example');
      await appendDataValues(made.db, small, 150, T0 + 200 * DAY);
      // As autovacuum would within a minute.
      if (engine.name === 'postgres') await made.db.knex.raw('ANALYZE');
      // Each lead's page: the dates leave out its newest 50 activities and hold all the rest.
      const bounds = async (lead: number) => {
        const ids = await within(made.db, lead, 0, Number.MAX_SAFE_INTEGER);
        const [row] = (await made.db.knex('activities').where('id', ids[50]!)) as Array<{
          created_at: number | string;
        }>;
        return {
          oldestCreatedAt: new Date(T0),
          latestCreatedAt: new Date(Number(row!.created_at)),
        };
      };
      const starts = new Map([
        [small, await bounds(small)],
        [large, await bounds(large)],
      ]);
      // Each lead's New Lead, created now, is past its dates: a full page of 100 for both.
      const sizes = new Map([
        [small, 100],
        [large, 100],
      ]);
      const timed = async (lead: number) => {
        const started = process.hrtime.bigint();
        const page = await defaults.activities.listForLead(idKey(lead), {
          start: starts.get(lead)!,
          batchSize: 100,
        });
        const elapsed = Number(process.hrtime.bigint() - started);
        expect(page.returnCount).to.equal(sizes.get(lead));
        return elapsed;
      };
      const runs: [number[], number[]] = [[], []];
      for (let i = 0; i < 24; i++) {
        const atSmall = await timed(small);
        const atLarge = await timed(large);
        if (i >= 3) {
          runs[0].push(atSmall);
          runs[1].push(atLarge);
        }
      }
      const [atSmall, atLarge] = [median(runs[0]), median(runs[1])];
      expect(atLarge / atSmall, `${atSmall} ns at 150, ${atLarge} ns at 100,000`).to.be.below(2);
    });
  });
}
