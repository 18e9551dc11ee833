/**
 * 20261202000200_type_index_without_data_values: on PostgreSQL the activities' (activity_type,
 * id) index leaves out Change Data Value (an unsubscribe reaching N people no longer writes N
 * entries in it); SQLite keeps it whole. Both ways over a stored log, whose change stream
 * (unfiltered, filtered on a rare type, on Change Data Value, on both, excluding a type) reads
 * the same before and after; a filter on a rare type still reads through the index.
 */
import { expect } from 'chai';
import * as typeIndex from '../../migrations/20261202000200_type_index_without_data_values.js';
import type { Database } from '../../src/data-access/database.js';
import type { Services } from '../../src/compose.js';
import type { ActivityTypeFilter } from '../../src/domain/activity.service.js';
import {
  idsPageByPage,
  servicesScanning1000,
  storeFirstNameChanges,
} from '../support/activity-log.js';
import { testEngines } from '../support/database.js';
import { createLead, setFlag } from '../support/harness.js';

/** The indexes of activities on (activity_type, id), by name, with their predicate if any. */
async function typeIndexes(db: Database): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (db.engine === 'sqlite') {
    const rows = (await db.knex.raw(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'activities'`,
    )) as Array<{ name: string; sql: string | null }>;
    for (const r of rows)
      if (/\(\s*`?activity_type`?\s*,\s*`?id`?\s*\)/.test(r.sql ?? ''))
        out.set(r.name, /WHERE (.*)$/i.exec(r.sql!)?.[1] ?? null);
    return out;
  }
  const r = (await db.knex.raw(
    `SELECT i.relname AS name, pg_get_expr(x.indpred, x.indrelid) AS predicate
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = 'activities'::regclass
       AND pg_get_indexdef(x.indexrelid) LIKE '%(activity_type, id)%'`,
  )) as { rows: Array<{ name: string; predicate: string | null }> };
  for (const row of r.rows) out.set(row.name, row.predicate);
  return out;
}

const FILTERS: Array<ActivityTypeFilter | undefined> = [
  undefined,
  { includeTypes: ['EmailBounced'] },
  { includeTypes: ['ChangeDataValue'] },
  { includeTypes: ['EmailBounced', 'ChangeDataValue'] },
  { excludeTypes: ['ChangeDataValue'] },
];

for (const engine of testEngines()) {
  describe(`the type index without Change Data Value (${engine.name})`, function () {
    this.timeout(60000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let s: Services;

    /** The whole stream under each filter, 9 at a time, as ids (and minus the counts left). */
    async function stream(): Promise<number[][]> {
      const all: number[][] = [];
      for (const filter of FILTERS)
        all.push(
          await idsPageByPage(
            (offset) =>
              s.activities.changes({ offset: offset ?? 'ID:0' }, { filter, batchSize: 9 }),
            2000,
          ),
        );
      return all;
    }

    before(async () => {
      made = await engine.create();
      s = servicesScanning1000(made.db);
      const lead = await createLead(s, 'typed@example.com');
      const shared: number[] = [];
      for (let i = 0; i < 4; i++) shared.push(await createLead(s, 'typed-shared@example.com'));
      await storeFirstNameChanges(made.db, 3000, () => lead, 500);
      // A propagation's activities among them.
      await setFlag(s, shared[0]!, true);
      await made.db.knex.raw('ANALYZE activities');
    });
    after(() => made?.drop());

    it(
      engine.name === 'postgres'
        ? 'indexes the types but Change Data Value'
        : 'keeps the whole type index (SQLite)',
      async () => {
        expect([...(await typeIndexes(made.db)).entries()]).to.deep.equal(
          engine.name === 'postgres'
            ? [
                [
                  'activities_type_but_data_value_idx',
                  "((activity_type)::text <> 'Change Data Value'::text)",
                ],
              ]
            : [['activities_type_idx', null]],
        );
      },
    );

    it('rolls back and forth over a stored log, whose stream reads the same each way', async () => {
      const before = await stream();
      expect(before[1]!.filter((id) => id > 0)).to.have.length(6);
      expect(before[2]!.filter((id) => id > 0)).to.have.length(3000 - 6 + 1 + 3); // and the unsubscribe's

      await typeIndex.down(made.db.knex);
      expect([...(await typeIndexes(made.db)).keys()]).to.deep.equal(['activities_type_idx']);
      expect(await stream()).to.deep.equal(before);

      await typeIndex.up(made.db.knex);
      const after = [...(await typeIndexes(made.db)).keys()];
      expect(after).to.deep.equal(
        engine.name === 'postgres'
          ? ['activities_type_but_data_value_idx']
          : ['activities_type_idx'],
      );
      expect(await stream()).to.deep.equal(before);
    });

    if (engine.name === 'postgres') {
      it('reads a filter on a rare type through the index', async () => {
        const plan = (await made.db.knex.raw(
          `EXPLAIN SELECT * FROM activities
           WHERE id > 0 AND activity_type IN ('Email Bounced') AND id <= 3000
           ORDER BY id LIMIT 100`,
        )) as { rows: Array<{ 'QUERY PLAN': string }> };
        expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).to.contain(
          'activities_type_but_data_value_idx',
        );
      });

      it('finishes a build interrupted half-way (an invalid index left behind) when run again', async () => {
        await typeIndex.down(made.db.knex);
        // What an interrupted CREATE INDEX CONCURRENTLY leaves: the index, marked invalid.
        await made.db.knex.raw(
          `CREATE INDEX activities_type_but_data_value_idx ON activities (activity_type, id)
           WHERE activity_type <> 'Change Data Value'`,
        );
        await made.db.knex.raw(
          `UPDATE pg_index SET indisvalid = false
           WHERE indexrelid = 'activities_type_but_data_value_idx'::regclass`,
        );
        await typeIndex.up(made.db.knex);
        const valid = (await made.db.knex.raw(
          `SELECT indisvalid FROM pg_index
           WHERE indexrelid = 'activities_type_but_data_value_idx'::regclass`,
        )) as { rows: Array<{ indisvalid: boolean }> };
        expect(valid.rows).to.deep.equal([{ indisvalid: true }]);
        expect([...(await typeIndexes(made.db)).keys()]).to.deep.equal([
          'activities_type_but_data_value_idx',
        ]);
      });
    }
  });
}
