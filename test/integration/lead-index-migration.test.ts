/**
 * 20261201000000_fewer_lead_index_entries: the unused (email_key, updated_at) index is gone and
 * the foreign id's unique index holds ids only; both ways over stored people, and the foreign id
 * stays unique while any number of people have none.
 */
import { expect } from 'chai';
import * as fewerEntries from '../../migrations/20261201000000_fewer_lead_index_entries.js';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';

/** The indexes of leads, each with its definition. */
async function leadIndexes(db: Database): Promise<Map<string, string>> {
  if (db.engine === 'sqlite') {
    const rows = (await db.knex.raw(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'leads'`,
    )) as Array<{ name: string; sql: string | null }>;
    return new Map(rows.map((r) => [r.name, r.sql ?? '']));
  }
  const r = (await db.knex.raw(
    `SELECT indexname AS name, indexdef AS sql FROM pg_indexes WHERE tablename = 'leads'`,
  )) as { rows: Array<{ name: string; sql: string }> };
  return new Map(r.rows.map((x) => [x.name, x.sql]));
}

const person = (i: number, foreignId: string | null) => ({
  email: `p${i}@example.com`,
  email_key: `p${i}@example.com`,
  foreign_sys_person_id: foreignId,
  created_at: 1,
  updated_at: 1,
});

async function expectDuplicateRefused(db: Database, foreignId: string): Promise<void> {
  let refused = false;
  try {
    await db.knex('leads').insert(person(999, foreignId));
  } catch {
    refused = true;
  }
  expect(refused, `a second person with foreign id ${foreignId}`).to.equal(true);
}

for (const engine of testEngines()) {
  describe(`fewer index entries per person (${engine.name})`, function () {
    this.timeout(60000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    before(async () => {
      made = await engine.create();
    });
    after(() => made?.drop());

    it('leaves leads without the (email_key, updated_at) index, the foreign id indexed only where it is set', async () => {
      const indexes = await leadIndexes(made.db);
      expect([...indexes.keys()]).to.not.include('leads_email_key_updated_idx');
      expect([...indexes.keys()]).to.include('leads_email_key_change_seq_idx');
      expect(indexes.get('leads_foreign_sys_person_id_unique')).to.match(
        /UNIQUE[\s\S]*WHERE[\s\S]*foreign_sys_person_id IS NOT NULL/i,
      );
    });

    it('rolls back and forth over stored people; the foreign id stays unique, absent ones many', async () => {
      const db = made.db;
      await db
        .knex('leads')
        .insert([person(1, 'SF-1'), person(2, 'SF-2'), person(3, null), person(4, null)]);
      await fewerEntries.down(db.knex);
      let indexes = await leadIndexes(db);
      expect([...indexes.keys()]).to.include('leads_email_key_updated_idx');
      expect(indexes.get('leads_foreign_sys_person_id_unique') ?? '').to.not.match(/WHERE/i);
      await expectDuplicateRefused(db, 'SF-1');

      await fewerEntries.up(db.knex);
      indexes = await leadIndexes(db);
      expect([...indexes.keys()]).to.not.include('leads_email_key_updated_idx');
      await expectDuplicateRefused(db, 'SF-2');
      await db.knex('leads').insert(person(5, null));
      const [row] = (await db.knex('leads').count({ n: '*' })) as Array<{ n: number | string }>;
      expect(Number(row!.n)).to.equal(5);
      const found = (await db
        .knex('leads')
        .where('foreign_sys_person_id', 'SF-2')
        .select('email')) as Array<{ email: string }>;
      expect(found.map((r) => r.email)).to.deep.equal(['p2@example.com']);
    });
  });
}
