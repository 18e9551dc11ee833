import { expect } from 'chai';
import { openDatabase } from '../../src/data-access/database.js';
import { migrateLatest } from '../../src/data-access/migrator.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { StaleRead } from '../../src/domain/ports.js';
import { createDomainServices } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { createLead, openHarness, type Harness } from '../support/harness.js';

/**
 * WriteScope.expect on SQLite, below the services: a check that does not hold fails its
 * one-step unit with StaleRead, and the unit's writes (queued before the statement it awaits)
 * are rolled back with it, whatever else its group commits. syncLead's use of it:
 * guarded-sync.test.ts.
 */

const config = { customFields: [], defaultPartition: 'Default' };

describe('guarded steps in a SQLite group (WriteScope.expect)', () => {
  const sqlite = testEngines().find((e) => e.name === 'sqlite')!;
  let h: Harness;
  let uow: UnitOfWork;

  beforeEach(async () => {
    h = await openHarness(sqlite);
    uow = new UnitOfWork(h.db);
  });
  afterEach(() => h.drop());

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
      await r.expect!({ lead: { id, changeSeq }, ...(latestOf ? { latestOf } : {}) });
      const status = {
        emailKey: key,
        unsubscribed: true,
        reason: 'test',
        source: 'test',
        leadId: id,
        changedAt: 1000,
      };
      await r.queueStatusAndPropagate!(status, id, activity);
      return r.updateLogged(id, { unsubscribed: true, columns: { unsubscribed: true } }, 1000, [
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
      ]);
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

  const stored = async (key: string) => ({
    status: await h.db.knex('email_status').where('email_key', key).count({ n: '*' }),
    history: await h.db.knex('email_status_history').where('email_key', key).count({ n: '*' }),
    flags: (
      await h.db.knex('leads').where('email_key', key).orderBy('id').pluck('unsubscribed')
    ).map(Number),
    activities: await h.db
      .knex('activities')
      .where('attribute_name', 'Unsubscribed')
      .whereIn('lead_id', h.db.knex('leads').where('email_key', key).select('id'))
      .count({ n: '*' }),
  });
  const none = { status: [{ n: 0 }], history: [{ n: 0 }], flags: [0, 0], activities: [{ n: 0 }] };
  const done = { status: [{ n: 1 }], history: [{ n: 1 }], flags: [1, 1], activities: [{ n: 2 }] };

  it('a check that fails fails its unit alone, with StaleRead, and leaves no trace', async () => {
    const all = await people(5);
    // The third was read before a change (its change_seq is behind); the fourth was read as
    // the latest of an address whose other holder is newer.
    const results = await Promise.allSettled(
      all.map((p, i) =>
        unsubscribe(p.id, p.key, i === 2 ? p.seq - 1 : p.seq, i === 3 ? p.key : undefined),
      ),
    );
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

  it('an in-memory database checks it in this process, with the same outcome', async () => {
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
          return r.updateLogged(id, { columns: { first_name: `seq${changeSeq}` } }, 1, []);
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
