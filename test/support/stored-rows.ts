import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';

type Row = Record<string, unknown>;

/** A person's row as a migration finds it stored (created and updated at 1, change_seq = id). */
export const personRow = (id: number, email: string, key: string, unsubscribed: boolean) => ({
  id,
  email,
  email_key: key,
  unsubscribed,
  created_at: 1,
  updated_at: 1,
  change_seq: id,
});

/** A master status row, recorded when it changed (`at`), set by person `lead`. */
export const statusRow = (
  key: string,
  unsubscribed: boolean,
  at: number,
  reason: string,
  source: string,
  lead: number,
) => ({
  email_key: key,
  unsubscribed,
  reason,
  source,
  lead_id: lead,
  changed_at: at,
  recorded_at: at,
});

/** Stores `people`, and `statuses` each as a master status and its history's one entry. */
export async function storePeopleAndStatuses(
  db: Database,
  people: readonly Row[],
  statuses: readonly Row[],
): Promise<void> {
  await db.knex('leads').insert(people);
  await db.knex('email_status').insert(statuses);
  await db.knex('email_status_history').insert(statuses);
}

/** The master status row of `key`, if any. */
export async function statusRowOf(db: Database, key: string): Promise<Row | undefined> {
  return (await db.knex('email_status').where('email_key', key).first()) as Row | undefined;
}

/**
 * Stores `count` opted-out master statuses, `name`0@example.com on (reason asked, source test,
 * changed at 2026-01-01), 200 to an insert.
 */
export async function storeOptOuts(db: Database, count: number, name: string): Promise<void> {
  const at = Date.UTC(2026, 0, 1);
  const rows = Array.from({ length: count }, (_, i) => ({
    email_key: `${name}${i}@example.com`,
    unsubscribed: true,
    reason: 'asked',
    source: 'test',
    changed_at: at,
  }));
  await db.knex.batchInsert('email_status', rows, 200);
}

/** Each person's id, stored key and flag, by id. */
export async function keysAndFlags(db: Database): Promise<Array<[number, string, boolean]>> {
  const rows = (await db.knex('leads').orderBy('id')) as Row[];
  return rows.map((r) => [Number(r.id), String(r.email_key), Boolean(r.unsubscribed)]);
}

/** Every person agrees with the master status of its key (the spec's invariant). */
export async function expectInvariant(db: Database): Promise<void> {
  const statuses = new Map(
    ((await db.knex('email_status')) as Row[]).map((r) => [r.email_key, Boolean(r.unsubscribed)]),
  );
  for (const [id, key, flag] of await keysAndFlags(db))
    expect(flag, `person ${id} <${key}>`).to.equal(statuses.get(key) ?? false);
}

/** The activities a re-keying migration logged ("Email key migration"), by person. */
export async function migrationActivities(db: Database): Promise<Row[]> {
  return (await db
    .knex('activities')
    .where('reason', 'Email key migration')
    .orderBy('lead_id')) as Row[];
}
