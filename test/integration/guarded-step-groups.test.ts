import { expect } from 'chai';
import { openDatabase } from '../../src/data-access/database.js';
import { migrateLatest } from '../../src/data-access/migrator.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { StaleRead } from '../../src/domain/ports.js';
import { createDomainServices } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { createLead, openHarness, type Harness } from '../support/harness.js';
import { pgMessagesWhile } from '../support/pg-messages.js';
import { heldLead } from '../support/records.js';
import { addressLockId } from '../../src/data-access/address-lock.js';

/**
 * WriteScope.expect below the services: a check that does not hold fails its one-step unit
 * with StaleRead, and the unit's writes (queued before the statement it awaits) are rolled
 * back with it, whatever else its group commits: on a SQLite file the writer thread's group,
 * on PostgreSQL the process's grouped transaction, where the check runs under the address's
 * lock in the step's savepoint (sql/pg-step.ts). syncLead's use of it: guarded-sync.test.ts.
 */

const config = { customFields: [], defaultPartition: 'Default' };

for (const engine of testEngines())
  describe(`guarded steps in a group, WriteScope.expect (${engine.name})`, () => {
    let h: Harness;
    let uow: UnitOfWork;

    beforeEach(async () => {
      h = await openHarness(engine);
      uow = new UnitOfWork(h.db);
    });
    afterEach(() => h.drop());

    /** The messages sent to PostgreSQL while `run` runs (none on SQLite). */
    const messagesWhile = async (run: () => Promise<unknown>): Promise<string[]> => {
      if (engine.name !== 'postgres') {
        await run();
        return [];
      }
      return pgMessagesWhile(run);
    };

    const activity = {
      attributeName: 'Unsubscribed',
      reason: 'propagated',
      source: 'test',
      actor: null,
    };

    /** How many times the units below ran (a failed check must not make the others run again). */
    let runs = 0;

    /** One unit: the check, then a master status and the person's update with its activity. */
    const unsubscribe = (id: number, key: string, changeSeq: number, latestOf?: string) =>
      uow.writeStep(async (r) => {
        runs++;
        await r.expect!({
          lead: { id, changeSeq },
          address: key,
          ...(latestOf ? { latestOf } : {}),
        });
        const status = {
          emailKey: key,
          unsubscribed: true,
          reason: 'test',
          source: 'test',
          leadId: id,
          changedAt: 1000,
        };
        await r.queueStatusAndPropagate!(status, id, activity);
        return r.updateLogged(
          heldLead(id),
          { unsubscribed: true, columns: { unsubscribed: true } },
          1000,
          [
            {
              leadId: id,
              activityType: 'Change Data Value',
              createdAt: 1000,
              attributeName: 'Unsubscribed',
              oldValue: 'false',
              newValue: 'true',
              reason: 'test',
              source: 'test',
            },
          ],
          true,
        );
      });

    const people = async (n: number) => {
      runs = 0;
      const out: Array<{ id: number; key: string; seq: number }> = [];
      for (let i = 0; i < n; i++) {
        const key = `group${i}@guard.example`;
        const id = await createLead(h.services, key);
        await createLead(h.services, key); // a second holder, who follows
        const row = (await h.db.knex('leads').where('id', id).first()) as { change_seq: unknown };
        out.push({ id, key, seq: Number(row.change_seq) });
      }
      return out;
    };

    const count = async (query: Promise<unknown>) =>
      Number(((await query) as Array<{ n: number | string }>)[0]!.n);
    const stored = async (key: string) => ({
      status: await count(h.db.knex('email_status').where('email_key', key).count({ n: '*' })),
      history: await count(
        h.db.knex('email_status_history').where('email_key', key).count({ n: '*' }),
      ),
      flags: (
        await h.db.knex('leads').where('email_key', key).orderBy('id').pluck('unsubscribed')
      ).map(Number),
      activities: await count(
        h.db
          .knex('activity_log')
          .where('attribute_name', 'Unsubscribed')
          .whereIn('lead_id', h.db.knex('leads').where('email_key', key).select('id'))
          .count({ n: '*' }),
      ),
    });
    const none = { status: 0, history: 0, flags: [0, 0], activities: 0 };
    const done = { status: 1, history: 1, flags: [1, 1], activities: 2 };

    it('a check that fails fails its unit alone, with StaleRead, and leaves no trace', async () => {
      const all = await people(5);
      // The third was read before a change (its change_seq is behind); the fourth was read as
      // the latest of an address whose other holder is newer.
      let results: Array<PromiseSettledResult<unknown>> = [];
      const sent = await messagesWhile(async () => {
        results = await Promise.allSettled(
          all.map((p, i) =>
            unsubscribe(p.id, p.key, i === 2 ? p.seq - 1 : p.seq, i === 3 ? p.key : undefined),
          ),
        );
      });
      expect(results.map((r) => r.status)).to.deep.equal([
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
        'fulfilled',
      ]);
      for (const i of [2, 3])
        expect((results[i] as PromiseRejectedResult).reason).to.be.instanceOf(StaleRead);
      // Checked first, the failed ones had written nothing: the group went on, none ran again.
      expect(runs).to.equal(all.length);
      for (const [i, p] of all.entries())
        expect(await stored(p.key)).to.deep.equal(i === 2 || i === 3 ? none : done);
      if (engine.name !== 'postgres') return;
      // PostgreSQL: one transaction, in the order of the address locks; each failed check
      // rolled back to its savepoint, the steps after it sent again with the group's COMMIT.
      expect(sent.filter((m) => m.startsWith('BEGIN;'))).to.have.length(1);
      const first = sent.find((m) => m.startsWith('BEGIN;'))!;
      const locks = [...first.matchAll(/pg_advisory_xact_lock\((-?\d+)\)/g)].map((m) =>
        BigInt(m[1]!),
      );
      const inLockOrder = all
        .map((p) => addressLockId(p.key))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(locks).to.deep.equal(inLockOrder);
      expect(sent.at(-1)).to.match(/COMMIT;$/);
      expect(sent.filter((m) => m.includes('ROLLBACK TO SAVEPOINT step'))).to.have.length(2);
    });

    it('alone in its transaction, a failed check stores nothing either', async () => {
      const [p] = await people(1);
      let caught: unknown;
      await unsubscribe(p!.id, p!.key, p!.seq + 1).catch((e: unknown) => (caught = e));
      expect(caught).to.be.instanceOf(StaleRead);
      expect(await stored(p!.key)).to.deep.equal(none);
      await unsubscribe(p!.id, p!.key, p!.seq);
      expect(await stored(p!.key)).to.deep.equal(done);
    });

    it('PostgreSQL: a person without an address, or a check of another address, is StaleRead at once, nothing sent', async function () {
      if (engine.name !== 'postgres') this.skip();
      const [p] = await people(1);
      for (const expected of [
        { lead: { id: p!.id, changeSeq: p!.seq }, address: null },
        {
          lead: { id: p!.id, changeSeq: p!.seq },
          address: p!.key,
          latestOf: 'other@guard.example',
        },
      ]) {
        let caught: unknown;
        const sent = await messagesWhile(() =>
          uow
            .writeStep(async (r) => {
              await r.expect!(expected);
              return r.updateLogged(heldLead(p!.id), { columns: { first_name: 'x' } }, 1, [], true);
            })
            .catch((e: unknown) => (caught = e)),
        );
        expect(caught).to.be.instanceOf(StaleRead);
        expect(sent).to.deep.equal([]);
      }
      expect(await stored(p!.key)).to.deep.equal(none);
    });

    it('an in-memory database checks it in this process, with the same outcome', async function () {
      if (engine.name !== 'sqlite') this.skip();
      const memory = openDatabase({
        databaseUrl: '',
        dataDir: ':memory:',
        sqliteBusyTimeoutMs: 0,
        dbPoolMax: 1,
      });
      try {
        await migrateLatest(memory);
        const services = createDomainServices(new UnitOfWork(memory), config);
        const id = await createLead(services, 'memory@guard.example');
        const seq = Number(
          ((await memory.knex('leads').where('id', id).first()) as { change_seq: unknown })
            .change_seq,
        );
        const check = (changeSeq: number) =>
          new UnitOfWork(memory).writeStep(async (r) => {
            await r.expect!({ lead: { id, changeSeq } });
            return r.updateLogged(
              heldLead(id),
              { columns: { first_name: `seq${changeSeq}` } },
              1,
              [],
            );
          });
        let caught: unknown;
        await check(seq + 1).catch((e: unknown) => (caught = e));
        expect(caught).to.be.instanceOf(StaleRead);
        expect((await check(seq))?.columns.first_name).to.equal(`seq${seq}`);
      } finally {
        await memory.close();
      }
    });
  });
