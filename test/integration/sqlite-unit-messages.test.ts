import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import sinon from 'sinon';
import type { Database } from '../../src/data-access/database.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { createServices } from '../../src/compose.js';
import { newLeadAt } from '../support/records.js';
import { sqliteWithTakenOperator } from '../support/sqlite-messages.js';

/**
 * The messages the services' writes send to the SQLite threads: reads to a reader, each guarded
 * step with its BEGIN in one message, and in a group commit each unit with the RELEASE of the
 * one before.
 */

describe('SQLite thread messages: units of work', function () {
  this.timeout(60000);
  let db: Database;

  afterEach(() => sinon.restore());
  sqliteWithTakenOperator((made) => ({ db } = made));

  it('a batch by address is three messages: its reads to a reader, its check and writes with BEGIN, then COMMIT', async () => {
    const services = createServices(db, { customFields: [], defaultPartition: 'Default' }, {});
    const web = ChangePaths.webService();
    const people = (name: string) =>
      Array.from({ length: 300 }, (_, p) => ({
        email: `p${p}@batch.example`,
        attributes: [{ name: 'FirstName', value: `${name}${p}` }],
      }));
    await services.leads.syncMany(people('A'), { path: web });
    await services.leads.setUnsubscribed(1, true, web);
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const results = await services.leads.syncMany(people('B'), { path: web });
    // To a reader thread: the address counts, the people, their statuses and the highest id
    // and change_seq. To the writer: BEGIN, the check that none of it moved, the UPDATE and
    // the activities (batch-checked.ts); then COMMIT.
    expect(posted.callCount).to.equal(3);
    const sent = posted.getCalls().map((c) => c.args[0] as { sql: string; unless?: unknown });
    expect(sent[0]!.unless).to.equal(undefined);
    expect(sent[1]!.unless).to.not.equal(undefined);
    expect(sent[2]!.sql).to.match(/^COMMIT/i);
    expect(results.map((r) => (r as { status: string }).status)).to.deep.equal(
      Array<string>(300).fill('UPDATED'),
    );
    const rows = (await db
      .knex('leads')
      .select('id', 'first_name', 'unsubscribed', 'change_seq')
      .orderBy('id')) as Array<{
      id: number;
      first_name: string;
      unsubscribed: number;
      change_seq: number;
    }>;
    expect(rows.map((r) => r.first_name)).to.deep.equal(
      people('B').map((p) => p.attributes[0]!.value),
    );
    // The unsubscribed address's status was read with the people: its person stays so.
    expect(rows.map((r) => r.unsubscribed)).to.deep.equal([1, ...Array<number>(299).fill(0)]);
    // Each change took the next change_seq above the highest before the batch, in order.
    const seqs = rows.map((r) => r.change_seq);
    expect(seqs.slice(1).every((v, i) => v === seqs[i]! + 1)).to.equal(true);
    expect(await db.knex('activities').where('new_value', 'B7').count({ n: '*' })).to.deep.equal([
      { n: 1 },
    ]);
  });

  it("a person's unsubscribe sends its master status and propagation with its own update, and counts who followed", async () => {
    const followed: number[] = [];
    const services = createServices(
      db,
      { customFields: [], defaultPartition: 'Default' },
      { onPropagation: (people) => followed.push(people) },
    );
    const web = ChangePaths.webService();
    const results = await services.leads.syncMany(
      Array.from({ length: 4 }, (_, p) => ({
        email: 'shared@x.example',
        attributes: [{ name: 'FirstName', value: `P${p}` }],
      })),
      { path: web, matchByEmail: false },
    );
    const id = (results[0] as { leadId: number }).leadId;
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    await services.leads.setUnsubscribed(id, true, web);
    // The lead's read (a reader thread); then one guarded step: BEGIN, the check of that
    // read, the status, its history, the propagation, the lead's update and its activity;
    // COMMIT.
    expect(posted.callCount).to.equal(3);
    expect(followed).to.deep.equal([3]);
    const leads = await db
      .knex('leads')
      .where('email_key', 'shared@x.example')
      .pluck('unsubscribed');
    expect(leads.map(Number)).to.deep.equal([1, 1, 1, 1]);
  });

  it('in a group commit, each unit whose statements all answered is one message: its RELEASE goes with the next', async () => {
    const uow = new UnitOfWork(db);
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const ids = await Promise.all(
      ['one', 'two', 'three'].map((name) =>
        uow.write((repos) => repos.leads.insert(newLeadAt(`${name}@x.example`))),
      ),
    );
    // BEGIN, SAVEPOINT, the first insert; RELEASE, SAVEPOINT, the second; …; RELEASE, COMMIT.
    expect(posted.callCount).to.equal(4);
    expect(ids).to.have.length(3);
    expect(await db.knex('leads').pluck('email').orderBy('id')).to.deep.equal([
      'one@x.example',
      'two@x.example',
      'three@x.example',
    ]);
  });

  it('in a group commit, a unit whose queued activity insert fails is undone alone', async () => {
    const uow = new UnitOfWork(db);
    const sync = (email: string, activityType: string | null) =>
      uow.write(async (repos) => {
        const leadId = await repos.leads.insert(newLeadAt(email));
        // The activity is queued: it goes with the unit's RELEASE (or the COMMIT).
        await repos.activities.insert([{ leadId, activityType: activityType!, createdAt: 1 }]);
      });
    const outcomes = await Promise.allSettled([
      sync('one@x.example', 'New Lead'),
      sync('two@x.example', null),
      sync('three@x.example', 'New Lead'),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (outcomes[1] as PromiseRejectedResult).reason as { code?: string };
    expect(refused.code).to.equal('SQLITE_CONSTRAINT_NOTNULL');
    const stored = await db.knex('leads').select('email', 'id').orderBy('id');
    expect(stored.map((r: { email: string }) => r.email)).to.deep.equal([
      'one@x.example',
      'three@x.example',
    ]);
    const logged = await db.knex('activities').pluck('lead_id').orderBy('id');
    expect(logged).to.deep.equal(stored.map((r: { id: number }) => r.id));
  });
});
