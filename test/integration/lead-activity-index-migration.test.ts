/**
 * 20261202000100_one_lead_activity_index: a lead's activities are indexed once, by (lead_id, id,
 * activity_type), where (lead_id, id) and (lead_id, activity_type, id) each took an entry per
 * activity; both ways over a stored log, whose pages (unfiltered, filtered on one type and on
 * several) read the same before and after.
 */
import { expect } from 'chai';
import * as oneIndex from '../../migrations/20261202000100_one_lead_activity_index.js';
import type { Database } from '../../src/data-access/database.js';
import type { Services } from '../../src/compose.js';
import type { ActivityTypeFilter } from '../../src/domain/activity.service.js';
import {
  idsPageByPage,
  servicesScanning1000,
  storeFirstNameChanges,
} from '../support/activity-log.js';
import { testEngines } from '../support/database.js';
import { createLead, idKey } from '../support/harness.js';

/**
 * The columns of each index of activities that starts with lead_id, by index name: every
 * activity's (a partial one, of the few activities of other types than Change Data Value,
 * is another migration's).
 */
async function leadIndexes(db: Database): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (db.engine === 'sqlite') {
    const list = (await db.knex.raw(`PRAGMA index_list('activities')`)) as Array<{
      name: string;
      partial: number;
    }>;
    for (const { name } of list.filter((i) => !i.partial)) {
      const cols = (await db.knex.raw(`PRAGMA index_info('${name}')`)) as Array<{ name: string }>;
      out.set(
        name,
        cols.map((c) => c.name),
      );
    }
  } else {
    const r = (await db.knex.raw(
      `SELECT i.relname AS name, array_agg(a.attname::text ORDER BY k.n) AS cols
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
       WHERE t.relname = 'activities' AND x.indpred IS NULL
       GROUP BY i.relname`,
    )) as { rows: Array<{ name: string; cols: string[] }> };
    for (const row of r.rows) out.set(row.name, row.cols);
  }
  for (const [name, cols] of out) if (cols[0] !== 'lead_id') out.delete(name);
  return out;
}

const FILTERS: Array<ActivityTypeFilter | undefined> = [
  undefined,
  { includeTypes: ['EmailBounced'] },
  { includeTypes: ['EmailBounced', 'NewLead'] },
  { excludeTypes: ['ChangeDataValue'] },
];

for (const engine of testEngines()) {
  describe(`one index of a lead's activities (${engine.name})`, function () {
    this.timeout(60000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let s: Services;
    let lead: number;

    /** Every page of the lead's log under each filter, 7 at a time, as ids. */
    async function pages(): Promise<number[][]> {
      const all: number[][] = [];
      for (const filter of FILTERS)
        all.push(
          await idsPageByPage(
            (offset) =>
              s.activities.listForLead(idKey(lead), {
                filter,
                batchSize: 7,
                ...(offset ? { start: { offset } } : {}),
              }),
            100,
          ),
        );
      return all;
    }

    before(async () => {
      made = await engine.create();
      s = servicesScanning1000(made.db);
      lead = await createLead(s, 'log@example.com');
      const other = await createLead(s, 'other@example.com');
      // The lead's log interleaved with another's, a bounce now and then.
      await storeFirstNameChanges(made.db, 1500, (i) => (i % 2 === 0 ? lead : other), 250);
    });
    after(() => made?.drop());

    it('indexes a lead activities once, by lead, id and type', async () => {
      expect([...(await leadIndexes(made.db)).entries()]).to.deep.equal([
        ['activities_lead_id_type_idx', ['lead_id', 'id', 'activity_type']],
      ]);
    });

    it('rolls back and forth over a stored log, which reads the same each way', async () => {
      const before = await pages();
      expect(before[0]!.length).to.be.above(750); // every activity of the lead, and the counts
      expect(before[1]!.filter((id) => id > 0)).to.have.length(6);

      await oneIndex.down(made.db.knex);
      expect([...(await leadIndexes(made.db)).keys()].sort()).to.deep.equal([
        'activities_lead_idx',
        'activities_lead_type_idx',
      ]);
      expect(await pages()).to.deep.equal(before);

      await oneIndex.up(made.db.knex);
      expect([...(await leadIndexes(made.db)).keys()]).to.deep.equal([
        'activities_lead_id_type_idx',
      ]);
      expect(await pages()).to.deep.equal(before);
    });

    if (engine.name === 'postgres')
      it('finishes a build interrupted half-way (an invalid index left behind) when run again', async () => {
        await oneIndex.down(made.db.knex);
        // What an interrupted CREATE INDEX CONCURRENTLY leaves: the index, marked invalid.
        await made.db.knex.raw(
          'CREATE INDEX activities_lead_id_type_idx ON activities (lead_id, id, activity_type)',
        );
        await made.db.knex.raw(
          `UPDATE pg_index SET indisvalid = false
           WHERE indexrelid = 'activities_lead_id_type_idx'::regclass`,
        );
        await oneIndex.up(made.db.knex);
        const valid = (await made.db.knex.raw(
          `SELECT indisvalid FROM pg_index WHERE indexrelid = 'activities_lead_id_type_idx'::regclass`,
        )) as { rows: Array<{ indisvalid: boolean }> };
        expect(valid.rows).to.deep.equal([{ indisvalid: true }]);
        expect([...(await leadIndexes(made.db)).keys()]).to.deep.equal([
          'activities_lead_id_type_idx',
        ]);
      });
  });
}
