/**
 * Test data. People are created through the SOAP API (syncMultipleLeads, as an import would);
 * long activity histories, which would take hundreds of thousands of calls, are written through
 * the service's own ActivityRepository on a second connection to the same database.
 */
import {
  ActivityRepository,
  type NewActivity,
} from '../../src/data-access/sql/activity.repository.js';
import { analyze, openDatabase, type Database } from '../../src/data-access/database.js';
import { call, syncMultipleLeads, syncedIds } from './soap.js';

export interface SeedPerson {
  email: string;
  attrs?: Record<string, string>;
}

/**
 * The n-th person of the pool getLead and the no-change syncLead read: the benchmark seeds the
 * pool with these fields and the allocation count seeds the same, so both measure one shape.
 */
export const readPoolPerson = (n: number): SeedPerson => ({
  email: `get-${n}@bench.example`,
  attrs: {
    FirstName: `First${n}`,
    LastName: 'Bench',
    Company: 'Bench Corp',
    City: 'Springfield',
    Title: 'Engineer',
  },
});

/** Creates people (dedupEnabled false: every record a new person), 300 per call; their ids. */
export async function createPeople(url: string, people: readonly SeedPerson[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < people.length; i += 300) {
    const r = await call(
      url,
      'syncMultipleLeads',
      syncMultipleLeads(people.slice(i, i + 300), false),
    );
    ids.push(...syncedIds(r.body));
  }
  if (ids.length !== people.length) throw new Error('seeding created fewer people than asked');
  return ids;
}

/** A direct connection to the service's database, for bulk activity history. */
export function openSeedDatabase(env: Record<string, string>): Database {
  return openDatabase({
    databaseUrl: env.DATABASE_URL ?? '',
    dataDir: env.DATA_DIR ?? '',
    sqliteBusyTimeoutMs: 30000,
    dbPoolMax: 2,
  });
}

// Rows per insert: SQLite builds a multi-row insert as a compound SELECT (at most 500 terms).
const CHUNK = 400;

/** Appends `count` Change Data Value activities to each of `leadIds`, spread round-robin. */
export async function addActivities(
  db: Database,
  leadIds: readonly number[],
  count: number,
): Promise<void> {
  const repo = new ActivityRepository(db.knex, db.engine);
  const now = Date.now() - count;
  let batch: NewActivity[] = [];
  for (let i = 0; i < count; i++) {
    batch.push({
      leadId: leadIds[i % leadIds.length]!,
      activityType: 'Change Data Value',
      createdAt: now + i,
      attributeName: 'First Name',
      oldValue: `F${i}`,
      newValue: `F${i + 1}`,
      reason: 'Web service API',
      source: 'Web service API',
    });
    if (batch.length === CHUNK) {
      await repo.insert(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await repo.insert(batch);
}

/**
 * The database as one in service has it after a bulk load or a burst of changes: planner
 * statistics, and on PostgreSQL the dead row versions of earlier updates cleared and the
 * visibility map set, as autovacuum does (on by default; docs/operations.md#postgresql). A
 * server run with autovacuum off, as a test machine's may be, would otherwise carry every
 * scenario's dead versions into the next, which no database in service does. `vacuum: false`
 * only analyses, as the benchmark did before its fortieth round (for comparing with it).
 */
export async function refreshStatistics(
  db: Database,
  options: { vacuum?: boolean } = {},
): Promise<void> {
  if (db.engine === 'postgres' && options.vacuum !== false) {
    // A statement of its own: VACUUM cannot run inside a transaction block.
    await db.knex.raw('VACUUM (ANALYZE)');
    return;
  }
  await analyze(db);
}
