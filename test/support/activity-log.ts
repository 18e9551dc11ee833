import { createServices, type Services } from '../../src/compose.js';
import type { Database } from '../../src/data-access/database.js';
import {
  ActivityRepository,
  type NewActivity,
} from '../../src/data-access/sql/activity.repository.js';
import type { ActivityPage } from '../../src/domain/activity.service.js';

/** Services over `db` whose activity reads scan at most 1,000 rows at a time. */
export const servicesScanning1000 = (db: Database): Services =>
  createServices(db, { customFields: [], defaultPartition: 'Default', activityScanLimit: 1000 });

/**
 * Stores `count` First Name changes, the i-th of person `leadOf(i)` at 2026-01-01 plus i ms,
 * every `bounceEvery`-th (from the first) an Email Bounced instead; 500 to an insert.
 */
export async function storeFirstNameChanges(
  db: Database,
  count: number,
  leadOf: (i: number) => number,
  bounceEvery: number,
): Promise<void> {
  const batch: NewActivity[] = [];
  for (let i = 0; i < count; i++)
    batch.push({
      leadId: leadOf(i),
      activityType: i % bounceEvery === 0 ? 'Email Bounced' : 'Change Data Value',
      createdAt: Date.UTC(2026, 0, 1) + i,
      attributeName: 'First Name',
      newValue: `F${i}`,
    });
  const repo = new ActivityRepository(db.knex, db.engine);
  for (let i = 0; i < batch.length; i += 500) await repo.insert(batch.slice(i, i + 500));
}

/**
 * Reads page after page, each from the offset the one before it gave (none for the first),
 * until remainingCount 0 or `maxCalls` pages: each page's activity ids, then minus its
 * remainingCount.
 */
export async function idsPageByPage(
  read: (offset: string | undefined) => Promise<ActivityPage>,
  maxCalls: number,
): Promise<number[]> {
  const ids: number[] = [];
  let offset: string | undefined;
  for (let calls = 0; calls < maxCalls; calls++) {
    const page = await read(offset);
    ids.push(...page.activities.map((a) => a.id), -page.remainingCount);
    offset = page.newStartPosition.offset;
    if (page.remainingCount === 0) break;
  }
  return ids;
}

/**
 * Appends `count` Change Data Value activities (First Name changes) to a lead's log, in id
 * order, the n-th (from 1) created at `from` + n ms.
 */
export async function appendDataValues(
  db: Database,
  leadId: number,
  count: number,
  from = 1767225600000,
): Promise<void> {
  await db.knex.raw(
    `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${count})
     INSERT INTO activities (lead_id, activity_type, created_at, attribute_name, old_value,
       new_value, reason, source)
     SELECT ${leadId}, 'Change Data Value', ${from} + n, 'First Name', 'F' || n,
       'F' || (n + 1), 'Web service API', 'Web service API' FROM g`,
  );
}
