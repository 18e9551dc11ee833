import { expect } from 'chai';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { fromRow, fromValues } from '../../src/data-access/lead-row.js';
import { readRowSet } from '../../src/data-access/sql/plain-reads.js';
import { LeadRepository } from '../../src/data-access/sql/lead.repository.js';
import { fixedSql, runStatement } from '../../src/data-access/sql/statement.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { BY_ID, BY_KEY, EDGE_KEY, EDGE_ROWS } from '../support/edge-rows.js';
import { createLead, openHarness, type Harness } from '../support/harness.js';
import { watchPgMessages } from '../support/pg-messages.js';
import { whileWriteHeld } from '../support/held-write.js';

for (const engine of testEngines()) {
  describe(`plain reads past knex's query path (${engine.name})`, () => {
    let h: Harness;

    before(async () => {
      h = await openHarness(engine);
    });
    after(() => h.drop());

    if (engine.name === 'sqlite') {
      it('are taken on SQLite by the reader threads alone (sqlite-grouped-reads.test.ts)', async () => {
        const id = await createLead(h.services, 'sqlite@direct.example');
        expect(await readRowSet(h.db.knex, BY_ID, [id])).to.equal(null);
        const set = await readRowSet(h.db.readKnex, BY_ID, [id]);
        expect(set!.rows[0]![set!.names.indexOf('email_key')]).to.equal('sqlite@direct.example');
        const lead = await new LeadRepository(h.db.readKnex, 'sqlite').findById(id);
        expect(lead?.emailKey).to.equal('sqlite@direct.example');
      });
      return;
    }

    before(async () => {
      for (const row of EDGE_ROWS) await h.db.knex('leads').insert(row);
    });

    it('give the same records as the statement through knex, value for value', async () => {
      const leads = new LeadRepository(h.db.knex, 'postgres');
      const old = (await runStatement(h.db.knex, BY_KEY, [EDGE_KEY])).rows;
      expect(old).to.have.length(2);
      const direct = await readRowSet(h.db.knex, BY_KEY, [EDGE_KEY]);
      expect(direct, 'the direct path is taken').to.not.equal(null);
      // Every value as pg's own rows hold it: int8 as numbers, booleans, floats, nulls.
      direct!.rows.forEach((values, r) =>
        direct!.names.forEach((name, i) => expect(values[i], name).to.deep.equal(old[r]![name])),
      );
      expect(direct!.names).to.deep.equal(Object.keys(old[0]!));
      const expected = old.map(fromRow);
      const found = await leads.findByEmailKey(EDGE_KEY);
      expect(found).to.deep.equal(expected);
      // Key order too (answers list columns in the order the record holds them).
      expect(JSON.stringify(found)).to.equal(JSON.stringify(expected));
      expect(found[0]).to.include({
        id: 2147483000,
        changeSeq: Number.MAX_SAFE_INTEGER,
        updatedAt: 4102444800000,
        unsubscribed: true,
      });
      expect(found[0]!.columns).to.include({
        do_not_call: true,
        email_invalid: false,
        annual_revenue: 1234.5678,
        number_of_employees: 2147483647,
        company: null,
      });
      expect(found[1]!.columns).to.include({ do_not_call: null, email_invalid: null });
      expect(await leads.findById(2147483000)).to.deep.equal(expected[0]);
      expect(await leads.findById(1)).to.deep.equal(expected[1]);
      expect(await leads.findByForeignId('00Q-edge')).to.deep.equal(expected[0]);
      expect(await leads.findLatestByEmailKey(EDGE_KEY)).to.deep.equal(expected[0]);
      expect(await leads.findByEmailKey(EDGE_KEY, false, 1)).to.deep.equal([expected[0]]);
      expect(await leads.findById(2147483001)).to.equal(null);
      expect(await leads.findByEmailKey('nobody@direct.example')).to.deep.equal([]);
    });

    it('map values as fromRow maps the same row', () => {
      const names = ['id', 'first_name', 'do_not_call', 'unsubscribed', 'custom_attributes'];
      const values = [7, null, 1, '1', ''];
      const row = Object.fromEntries(names.map((n, i) => [n, values[i]]));
      expect(JSON.stringify(fromValues(names, values))).to.equal(JSON.stringify(fromRow(row)));
    });

    it('are not taken inside a transaction, nor for a value that cannot be written in', async () => {
      await h.db.knex.transaction(async (trx) => {
        expect(await readRowSet(trx, BY_ID, [1])).to.equal(null);
      });
      expect(await readRowSet(h.db.knex, BY_KEY, ['nul\0'])).to.equal(null);
    });

    it('are seen by knex query listeners, on the database that ran them', async () => {
      const seen: string[] = [];
      const listen = (q: { sql: string }) => seen.push(q.sql);
      h.db.knex.on('query', listen);
      try {
        await new LeadRepository(h.db.knex, 'postgres').findById(1);
      } finally {
        h.db.knex.off('query', listen);
      }
      expect(seen).to.deep.equal(['SELECT * FROM leads WHERE id = 1']);
    });

    describe('asked for in the same turn of the event loop', () => {
      /** Counts the messages pg's clients are given (one per query or submittable). */
      function countMessages(): { count: () => number; restore: () => void } {
        const watch = watchPgMessages();
        return { count: () => watch.texts.length, restore: watch.restore };
      }
      const ids = (set: { rows: readonly unknown[][] } | null) => set!.rows.map((r) => r[0]);
      const BY_ID_ONLY = fixedSql('SELECT id FROM leads WHERE id = ?');

      it('go together as one message, each with its own rows', async () => {
        const messages = countMessages();
        try {
          const first = readRowSet(h.db.knex, BY_ID_ONLY, [1]);
          const others = [
            readRowSet(h.db.knex, BY_ID_ONLY, [2147483000]),
            // A text ending in a comment does not hide the statement after it.
            readRowSet(
              h.db.knex,
              fixedSql('SELECT id FROM leads WHERE id = ? -- one'),
              [2147483000],
            ),
            readRowSet(h.db.knex, BY_ID_ONLY, [1]),
            readRowSet(h.db.knex, BY_ID_ONLY, [424242]),
          ];
          expect(ids(await first)).to.deep.equal([1]);
          expect((await Promise.all(others)).map(ids)).to.deep.equal([
            [2147483000],
            [2147483000],
            [1],
            [],
          ]);
          expect(messages.count(), 'the five together').to.equal(1);
        } finally {
          messages.restore();
        }
      });

      it('end as alone when one of them fails: its own error, the others their rows', async () => {
        const errors: string[] = [];
        const listen = (e: Error) => errors.push(e.message);
        h.db.knex.on('query-error', listen);
        try {
          const first = readRowSet(h.db.knex, BY_ID_ONLY, [1]);
          const [before, failing, after] = await Promise.allSettled([
            readRowSet(h.db.knex, BY_ID_ONLY, [2147483000]),
            readRowSet(h.db.knex, fixedSql('SELECT 1 / (id - ?) FROM leads WHERE id = 1'), [1]),
            readRowSet(h.db.knex, BY_ID_ONLY, [1]),
          ]);
          expect(ids(await first)).to.deep.equal([1]);
          expect(before.status === 'fulfilled' && ids(before.value)).to.deep.equal([2147483000]);
          expect(failing.status).to.equal('rejected');
          const reason = (failing as PromiseRejectedResult).reason as Error & { code?: string };
          expect(reason.code).to.equal('22012');
          expect(reason.message).to.match(
            /^SELECT 1 \/ \(id - 1\) FROM leads WHERE id = 1 - division/,
          );
          expect(after.status === 'fulfilled' && ids(after.value)).to.deep.equal([1]);
        } finally {
          h.db.knex.off('query-error', listen);
        }
        expect(errors).to.have.length(1);
      });
    });

    describe('on a pool of one connection', () => {
      let db: Database;
      let uow: UnitOfWork;
      before(() => {
        db = openDatabase({
          databaseUrl: h.url,
          dataDir: '',
          sqliteBusyTimeoutMs: 0,
          dbPoolMax: 1,
          dbAcquireTimeoutMs: 400,
        });
        uow = new UnitOfWork(db);
      });
      after(() => db.close());

      it('fail a bad statement with its error and give the connection back', async () => {
        const errors: string[] = [];
        const listen = (e: Error) => errors.push(e.message);
        db.knex.on('query-error', listen);
        try {
          for (let i = 0; i < 3; i++)
            await readRowSet(db.knex, fixedSql('SELECT * FROM no_such_table'), []).then(
              () => expect.fail('the read should fail'),
              (error: Error & { code?: string }) => {
                expect(error.code).to.equal('42P01');
                expect(error.message).to.match(/^SELECT \* FROM no_such_table - relation/);
              },
            );
        } finally {
          db.knex.off('query-error', listen);
        }
        expect(errors).to.have.length(3);
        // The only connection went back to the pool each time.
        const lead = await uow.read((r) => r.leads.findById(1));
        expect(lead?.partition).to.equal('Other');
      });

      it('wait for the pool as any statement: every connection busy is 20024', async () => {
        // The only connection is held by a write.
        await whileWriteHeld(
          db,
          (r) => r.leads.findById(1, true),
          async () => {
            await uow
              .read((r) => r.leads.findById(1))
              .then(
                () => expect.fail('the read should not get a connection'),
                (error: unknown) =>
                  expect((error as AppError).code).to.equal(ErrorCode.CONCURRENCY_LIMIT_EXCEEDED),
              );
          },
        );
        expect((await uow.read((r) => r.leads.findById(1)))?.id).to.equal(1);
      });

      it('wait for the pool together: every connection busy is 20024 for each of them', async () => {
        // The only connection is held by a write.
        await whileWriteHeld(
          db,
          (r) => r.leads.findById(1, true),
          async () => {
            // They wait as one message.
            const outcomes = await Promise.allSettled(
              [1, 2147483000, 1].map((id) => uow.read((r) => r.leads.findById(id))),
            );
            for (const outcome of outcomes) {
              expect(outcome.status).to.equal('rejected');
              const reason = (outcome as PromiseRejectedResult).reason as AppError;
              expect(reason.code).to.equal(ErrorCode.CONCURRENCY_LIMIT_EXCEEDED);
            }
          },
        );
        const found = await Promise.all(
          [1, 2147483000].map((id) => uow.read((r) => r.leads.findById(id))),
        );
        expect(found.map((l) => l?.id)).to.deep.equal([1, 2147483000]);
      });

      it('fail as "database unavailable" when the connection dies under the read, then recover', async () => {
        const killer = new pg.Client({ connectionString: h.url });
        await killer.connect();
        try {
          const slow = uow
            .read(() =>
              readRowSet(db.knex, fixedSql('SELECT id, pg_sleep(5) FROM leads WHERE id = ?'), [1]),
            )
            .then(
              () => null,
              (error: unknown) => error,
            );
          // Wait until the read runs, then end its server process.
          for (let i = 0; i < 100; i++) {
            const { rowCount } = await killer.query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()",
            );
            if (rowCount) break;
            await new Promise((r) => setTimeout(r, 20));
          }
          const error = await slow;
          expect(error).to.be.instanceOf(AppError);
          expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
        } finally {
          await killer.end();
        }
        let lead = null;
        for (let i = 0; i < 20 && !lead; i++)
          lead = await uow.read((r) => r.leads.findById(1)).catch(() => null);
        expect(lead?.id).to.equal(1);
      });

      it('fail a row whose value cannot be parsed after the statement ends, and go on', async () => {
        const CIRCLE = pg.types.builtins.CIRCLE;
        const original = pg.types.getTypeParser(CIRCLE, 'text');
        pg.types.setTypeParser(CIRCLE, () => {
          throw new Error('unreadable circle');
        });
        try {
          // With a read sent in the same message, which keeps its rows.
          const [circles, ids] = await Promise.allSettled([
            readRowSet(db.knex, fixedSql('SELECT circle(point(1, 2), 3) AS c FROM leads'), []),
            readRowSet(db.knex, fixedSql('SELECT id FROM leads WHERE id = ?'), [1]),
          ]);
          expect(circles.status).to.equal('rejected');
          const reason = (circles as PromiseRejectedResult).reason as Error;
          expect(reason.message).to.match(/unreadable circle$/);
          expect(ids).to.deep.equal({ status: 'fulfilled', value: { names: ['id'], rows: [[1]] } });
        } finally {
          pg.types.setTypeParser(CIRCLE, original);
        }
        const set = await readRowSet(
          db.knex,
          fixedSql('SELECT circle(point(1, 2), 3) AS c, 3 AS n'),
          [],
        );
        expect(set).to.deep.equal({ names: ['c', 'n'], rows: [[{ x: 1, y: 2, radius: 3 }, 3]] });
      });
    });
  });
}
