/**
 * The batch's set-based statements (row-sets.ts) carry rows as a JSON array of arrays: every
 * value must arrive as a single-row statement would store it, rows in the order given, and a
 * value the column refuses must be refused, never cut.
 */
import { expect } from 'chai';
import { insertRows, queueCheckedRows, updateRows } from '../../src/data-access/batch/row-sets.js';
import {
  ACTIVITY_COLUMN_LIST,
  activityValues,
} from '../../src/data-access/sql/activity.repository.js';
import type { NewActivity } from '../../src/domain/records.js';
import { testEngines } from '../support/database.js';
import { openHarness, web, type Harness } from '../support/harness.js';

const AWKWARD = [
  '',
  "it's",
  '"quoted"',
  'back\\slash',
  'line\nbreak\ttab',
  'Zoë Ünal — 東京 🎉',
  '{"looks":"like json"}',
  '[1,2]',
  'null',
  ' padded ',
];

for (const engine of testEngines()) {
  describe(`the batch's set-based statements (${engine.name})`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(engine);
    });
    afterEach(() => h.drop());

    it('inserts every value as given, rows in their order', async () => {
      const activities: NewActivity[] = AWKWARD.map((text, i) => ({
        leadId: 1000 + i,
        activityType: 'Change Data Value',
        createdAt: 2 ** 52 + i,
        attributeName: text,
        oldValue: i % 2 === 0 ? null : text,
        newValue: text,
        reason: 'r',
        source: 'Web service API',
        extra: i % 3 === 0 ? [[text, text]] : undefined,
        actor: i % 2 === 0 ? 'x'.repeat(200) : null,
        causeLeadId: i % 2 === 0 ? null : i,
      }));
      await h.db.knex.transaction((trx) =>
        insertRows(trx, engine.name, 'activities', {
          columns: ACTIVITY_COLUMN_LIST,
          rows: activities.map(activityValues),
        }),
      );
      const rows = (await h.db
        .knex('activities')
        .select(...ACTIVITY_COLUMN_LIST)
        .orderBy('id')) as Array<Record<string, unknown>>;
      const stored = rows.map((r) => ACTIVITY_COLUMN_LIST.map((c) => r[c]));
      const want = activities.map(activityValues);
      // Integers come back as numbers from SQLite, as strings (bigint) from PostgreSQL.
      const norm = (rs: unknown[][]) =>
        rs.map((r) => r.map((v) => (typeof v === 'number' ? String(v) : v)));
      expect(norm(stored)).to.deep.equal(norm(want));
    });

    it('updates by key with every value as given, and counts the rows it changed', async () => {
      const ids: number[] = [];
      for (const [i] of AWKWARD.entries())
        ids.push(
          (await h.services.leads.sync({ email: `u${i}@example.com` }, { path: web })).leadId,
        );
      const set = {
        columns: ['id', 'first_name', 'lead_score', 'annual_revenue', 'do_not_call', 'city'],
        rows: ids.map((id, i) => [id, AWKWARD[i], i, i + 0.25, i % 2 === 0, i % 3 ? null : 'X']),
      };
      const count = await h.db.knex.transaction((trx) =>
        updateRows(trx, engine.name, 'leads', set),
      );
      expect(count).to.equal(ids.length);
      const rows = (await h.db
        .knex('leads')
        .select('id', 'email', 'first_name', 'lead_score', 'annual_revenue', 'do_not_call', 'city')
        .orderBy('id')) as Array<Record<string, unknown>>;
      expect(
        rows.map((r) => [
          Number(r.id),
          r.first_name,
          Number(r.lead_score),
          Number(r.annual_revenue),
          r.do_not_call === true || r.do_not_call === 1,
          r.city,
        ]),
      ).to.deep.equal(set.rows);
      // Columns the statement does not name keep their values.
      expect(rows.map((r) => r.email)).to.deep.equal(AWKWARD.map((_, i) => `u${i}@example.com`));
    });

    it('stores a value every row shares as given (PostgreSQL writes it into the text once, SQLite binds a text once)', async () => {
      const shared = [...AWKWARD, 'what?', "it's \\ back?", -7, 0, 2 ** 52 + 1, true, null, 0.5];
      const columns = ['email', 'first_name', 'lead_score', 'created_at', 'updated_at'];
      for (const [i, v] of shared.entries()) {
        const text = typeof v === 'string' ? v : null;
        const score = typeof v === 'number' && Number.isSafeInteger(v) && v < 2 ** 31 ? v : null;
        const time = typeof v === 'number' && Number.isSafeInteger(v) ? v : 1;
        await h.db.knex.transaction(async (trx) => {
          await insertRows(trx, engine.name, 'leads', {
            columns,
            rows: [0, 1, 2].map((j) => [`s${i}-${j}@example.com`, text, score, time, time]),
          });
          const ids = (await trx('leads')
            .where('email', 'like', `s${i}-%`)
            .pluck('id')) as number[];
          await updateRows(trx, engine.name, 'leads', {
            columns: ['id', 'last_name', 'do_not_call', 'annual_revenue'],
            rows: ids.map((id) => [
              id,
              text,
              typeof v === 'boolean' ? v : null,
              v === 0.5 ? v : null,
            ]),
          });
        });
        const rows = (await h.db
          .knex('leads')
          .where('email', 'like', `s${i}-%`)
          .select(
            'first_name',
            'last_name',
            'lead_score',
            'created_at',
            'do_not_call',
            'annual_revenue',
          )) as Array<Record<string, unknown>>;
        expect(rows).to.have.length(3);
        for (const r of rows)
          expect([
            r.first_name,
            r.last_name,
            r.lead_score === null ? null : Number(r.lead_score),
            Number(r.created_at),
            r.do_not_call === null ? null : r.do_not_call === true || r.do_not_call === 1,
            r.annual_revenue === null ? null : Number(r.annual_revenue),
          ]).to.deep.equal([
            text,
            text,
            score,
            time,
            typeof v === 'boolean' ? v : null,
            v === 0.5 ? 0.5 : null,
          ]);
      }
    });

    it('upserts on the key: the last row of each key wins, other keys are added', async () => {
      const status = (key: string, reason: string) => [key, true, reason, 'src', null, 1, 1];
      const cols = [
        'email_key',
        'unsubscribed',
        'reason',
        'source',
        'lead_id',
        'changed_at',
        'recorded_at',
      ];
      await h.db.knex.transaction(async (trx) => {
        await insertRows(trx, engine.name, 'email_status', {
          columns: cols,
          rows: [status('a@example.com', 'first'), status('b@example.com', "it's")],
        });
        await insertRows(
          trx,
          engine.name,
          'email_status',
          { columns: cols, rows: [status('a@example.com', 'second'), status('c@x.com', '')] },
          'email_key',
        );
      });
      const rows = (await h.db
        .knex('email_status')
        .select('email_key', 'reason')
        .orderBy('email_key')) as Array<{
        email_key: string;
        reason: string;
      }>;
      expect(rows.map((r) => [r.email_key, r.reason])).to.deep.equal([
        ['a@example.com', 'second'],
        ['b@example.com', "it's"],
        ['c@x.com', ''],
      ]);
    });

    it('a row the table refuses fails the transaction, which stores none of its rows', async () => {
      const activity = (type: string | null) =>
        activityValues({ leadId: 1, activityType: type!, createdAt: 1 });
      const write = h.db.knex.transaction(async (trx) => {
        await insertRows(trx, engine.name, 'activities', {
          columns: ACTIVITY_COLUMN_LIST,
          rows: [activity('New Lead'), activity(null), activity('New Lead')],
        });
        // A later write of the same transaction: it must not be stored either.
        await insertRows(trx, engine.name, 'activities', {
          columns: ACTIVITY_COLUMN_LIST,
          rows: [activity('Later')],
        });
      });
      await write.then(
        () => expect.fail('a row without an activity type was stored'),
        (error: { code?: string }) =>
          expect(error.code).to.equal(
            engine.name === 'postgres' ? '23502' : 'SQLITE_CONSTRAINT_NOTNULL',
          ),
      );
      const counted = (await h.db.knex('activities').count({ n: '*' })) as Array<{ n: unknown }>;
      expect(Number(counted[0]!.n)).to.equal(0);
    });

    if (engine.name === 'postgres') {
      it('queueCheckedRows: an UPDATE that finds fewer people than given fails, nothing stored', async () => {
        const ids: number[] = [];
        for (const e of ['q0@example.com', 'q1@example.com'])
          ids.push((await h.services.leads.sync({ email: e }, { path: web })).leadId);
        const update = {
          columns: ['id', 'first_name'],
          rows: [...ids, 999999].map((id) => [id, 'Q']),
        };
        const insert = {
          columns: ['email', 'email_key', 'first_name', 'created_at', 'updated_at'],
          rows: [['q2@example.com', 'q2@example.com', 'Q', 1, 1]],
        };
        const failed = h.db.knex.transaction((trx) =>
          queueCheckedRows(trx, 'leads', update, insert),
        );
        await failed.then(
          () => expect.fail('an UPDATE of a missing person was stored'),
          (error: { code?: string }) => expect(error.code).to.equal('SR002'),
        );
        const names = async () =>
          (await h.db.knex('leads').orderBy('email').pluck('first_name')) as unknown[];
        expect(await names()).to.deep.equal([null, null]);
        // Every person there: both statements go with COMMIT, and both are stored.
        await h.db.knex.transaction((trx) =>
          queueCheckedRows(trx, 'leads', { ...update, rows: update.rows.slice(0, 2) }, insert),
        );
        expect(await names()).to.deep.equal(['Q', 'Q', 'Q']);
      });

      it('refuses a value too long for its column instead of cutting it', async () => {
        const { leadId } = await h.services.leads.sync(
          { email: 'long@example.com' },
          { path: web },
        );
        const update = h.db.knex.transaction((trx) =>
          updateRows(trx, engine.name, 'leads', {
            columns: ['id', 'first_name'],
            rows: [[leadId, 'x'.repeat(256)]],
          }),
        );
        await update.then(
          () => expect.fail('a 256-character first name was stored'),
          (error: { code?: string }) => expect(error.code).to.equal('22001'),
        );
      });
    }
  });
}
