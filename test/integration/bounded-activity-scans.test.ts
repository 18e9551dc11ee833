/**
 * A filtered getLeadChanges reads at most ACTIVITY_SCAN_LIMIT activities past its first match,
 * whatever the filter: one that matches little over a long log must not read all of it in one
 * call (on SQLite that blocks every other request meanwhile); the first match itself is sought
 * through an index (filtered-changes-pages.test.ts). getLeadActivity under a type
 * filter alone, or bounded by dates, and getLeadChanges bounded by dates alone read no window:
 * their pages never come back empty before a match (filtered-activity-pages.test.ts,
 * dated-activity-pages.test.ts).
 */
import { expect } from 'chai';
import {
  ActivityRepository,
  type NewActivity,
} from '../../src/data-access/sql/activity.repository.js';
import type { Database } from '../../src/data-access/database.js';
import { createServices, type Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { createLead, idKey } from '../support/harness.js';

const SCAN = 1000;
const CHANGES = 3500;

async function indexNames(db: Database): Promise<string[]> {
  if (db.engine === 'sqlite') {
    const rows = (await db.knex.raw(`PRAGMA index_list('activities')`)) as Array<{ name: string }>;
    return rows.map((r) => r.name);
  }
  const r = (await db.knex.raw(
    `SELECT indexname AS name FROM pg_indexes WHERE tablename = 'activities'`,
  )) as { rows: Array<{ name: string }> };
  return r.rows.map((x) => x.name);
}

for (const engine of testEngines()) {
  describe(`bounded activity scans (${engine.name})`, function () {
    this.timeout(60000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let s: Services;
    let lead: number;
    let sparse: number[];

    before(async () => {
      made = await engine.create();
      s = createServices(made.db, {
        customFields: [],
        defaultPartition: 'Default',
        activityScanLimit: SCAN,
      });
      lead = await createLead(s, 'busy@example.com');
      // CHANGES data-value changes, and a few "Email Bounced" far apart: a filter on those
      // matches once in a while, one on "Visit Webpage" never.
      const batch: NewActivity[] = [];
      for (let i = 0; i < CHANGES; i++) {
        const bounce = i % 1300 === 1299;
        batch.push({
          leadId: lead,
          activityType: bounce ? 'Email Bounced' : 'Change Data Value',
          createdAt: Date.UTC(2026, 0, 1) + i,
          attributeName: 'First Name',
          newValue: `F${i}`,
        });
      }
      const repo = new ActivityRepository(made.db.knex, made.db.engine);
      for (let i = 0; i < batch.length; i += 500) await repo.insert(batch.slice(i, i + 500));
      sparse = (
        (await made.db
          .knex('activities')
          .where('activity_type', 'Email Bounced')
          .orderBy('id')) as Array<{
          id: number;
        }>
      ).map((r) => Number(r.id));
      expect(sparse).to.have.length(2);
    });
    after(() => made?.drop());

    it('has indexes for the type filters (type with id; lead, id and type)', async () => {
      const names = await indexNames(made.db);
      // PostgreSQL's leaves out Change Data Value (migration 20261202000200).
      const byType =
        engine.name === 'postgres' ? 'activities_type_but_data_value_idx' : 'activities_type_idx';
      expect(names).to.include.members([byType, 'activities_lead_id_type_idx']);
    });

    it('getLeadChanges with a filter matching nothing answers so at once: remainingCount 0, not a window', async () => {
      // Its first match is sought through the type index (filtered-changes-pages.test.ts):
      // there is none, so there is no window to read and nothing to continue from.
      const first = await s.activities.changes(
        { offset: 'ID:0' },
        { filter: { includeTypes: ['VisitWebpage'] } },
      );
      expect([first.returnCount, first.remainingCount]).to.deep.equal([0, 0]);
      // From where it leaves off (the settled ids' end on PostgreSQL), still nothing.
      const next = await s.activities.changes(
        { offset: first.newStartPosition.offset },
        { filter: { includeTypes: ['VisitWebpage'] } },
      );
      expect([next.returnCount, next.remainingCount]).to.deep.equal([0, 0]);
    });

    it('getLeadChanges with a sparse filter loses nothing across continuations', async () => {
      const found: number[] = [];
      let position = 'ID:0';
      for (let calls = 0; calls < 20; calls++) {
        const page = await s.activities.changes(
          { offset: position },
          { filter: { includeTypes: ['EmailBounced'] } },
        );
        found.push(...page.activities.map((a) => a.id));
        position = page.newStartPosition.offset;
        if (page.remainingCount === 0) break;
      }
      expect(found).to.deep.equal(sparse);
    });

    it('getLeadActivity under a type filter answers at once, never an empty page before a match', async () => {
      // Type filters read no window: a filter matching nothing answers so, at once.
      const none = await s.activities.listForLead(idKey(lead), {
        filter: { includeTypes: ['VisitWebpage'] },
      });
      expect([none.returnCount, none.remainingCount]).to.deep.equal([0, 0]);
      // The bounces lie more than SCAN activities apart and below: found page after page.
      const found: number[] = [];
      let position: string | undefined;
      for (let calls = 0; calls < 20; calls++) {
        const page = await s.activities.listForLead(idKey(lead), {
          filter: { excludeTypes: ['ChangeDataValue', 'NewLead'] },
          batchSize: 1,
          ...(position ? { start: { offset: position } } : {}),
        });
        expect(page.returnCount).to.equal(1);
        found.push(...page.activities.map((a) => a.id));
        position = page.newStartPosition.offset;
        if (page.remainingCount === 0) break;
      }
      expect(found).to.deep.equal([...sparse].reverse());
    });

    it('getLeadActivity bounded by dates reads no window: nothing within them is remainingCount 0 at once', async () => {
      const none = await s.activities.listForLead(idKey(lead), {
        start: { latestCreatedAt: new Date(Date.UTC(2025, 0, 1)) },
      });
      expect([none.returnCount, none.remainingCount]).to.deep.equal([0, 0]);
      // The lead's first ten changes, below thousands of later ones: the first page.
      const first = await s.activities.listForLead(idKey(lead), {
        start: { latestCreatedAt: new Date(Date.UTC(2026, 0, 1) + 9) },
      });
      expect([first.returnCount, first.remainingCount]).to.deep.equal([10, 0]);
    });

    it('unfiltered pages are unchanged: full batches, capped counts', async () => {
      const page = await s.activities.changes({ offset: 'ID:0' }, { batchSize: 100 });
      expect(page.returnCount).to.equal(100);
      expect(page.remainingCount).to.equal(CHANGES + 1 - 100);
    });
  });
}
