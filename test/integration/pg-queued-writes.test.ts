import { expect } from 'chai';
import type { Repositories, UnitOfWork } from '../../src/data-access/unit-of-work.js';
import type { EmailStatusRecord } from '../../src/domain/records.js';
import { testEngines } from '../support/database.js';
import { createLead, flags, getLead, type Harness } from '../support/harness.js';
import { openUnitOfWork } from '../support/step-units.js';
import { failure, heldLead, testPropagation, testStatus } from '../support/records.js';
import { pgMessagesWhile } from '../support/pg-messages.js';

/**
 * PostgreSQL: queueStatusAndPropagate's statement is not a round trip of its own; it goes in
 * the message of the transaction's next statement, or of its COMMIT, and must behave as if it
 * had been awaited: its failure fails the transaction, a failure after it undoes it.
 */

const postgres = testEngines().find((e) => e.name === 'postgres');

(postgres ? describe : describe.skip)('PostgreSQL queued status writes', () => {
  let h: Harness;
  let uow: UnitOfWork;

  before(async () => ({ h, uow } = await openUnitOfWork(postgres!)));
  after(() => h.drop());

  const people = async (key: string) => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(await createLead(h.services, key));
    return ids;
  };
  const statusOfKey = async (key: string) =>
    (await h.services.durableStatus.explain(key)).status?.unsubscribed ?? null;
  /**
   * Locks `key` and queues its status, set by `id`. `tooLong`: with a source longer than
   * email_status.source holds (128 characters), so that the queued statement fails.
   */
  const lockAndQueue = async (r: Repositories, key: string, id: number, tooLong = false) => {
    await r.lockEmailKeys([key]);
    return r.queueStatusAndPropagate!(
      tooLong ? testStatus(key, id, 'x'.repeat(200)) : testStatus(key, id),
      tooLong ? null : id,
      testPropagation,
    );
  };

  it('go in the next statement’s message, run before it, and tell the count', async () => {
    const key = 'next@q.example';
    const ids = await people(key);
    let count: Promise<number> | null = null;
    let seen = null as EmailStatusRecord | null;
    const sent = await pgMessagesWhile(() =>
      uow.write(async (r) => {
        count = (await lockAndQueue(r, key, ids[0]!)).people;
        // Seen by the next statement: the queued one ran first, on the same connection.
        seen = await r.emailStatus.get(key);
      }),
    );
    expect(seen?.unsubscribed).to.equal(true);
    expect(sent).to.have.length(2);
    expect(sent[0]).to.match(/^BEGIN; SELECT pg_advisory_xact_lock.*; WITH s AS .*; SELECT /s);
    expect(sent[1]).to.equal('COMMIT;');
    expect(await count).to.equal(2);
    expect(await flags(h.services, ids)).to.deep.equal([false, true, true]);
    expect(await statusOfKey(key)).to.equal(true);
  });

  it('with no statement after them, go with COMMIT', async () => {
    const key = 'commit@q.example';
    const ids = await people(key);
    let count: Promise<number> | null = null;
    const sent = await pgMessagesWhile(() =>
      uow.write(async (r) => {
        count = (await lockAndQueue(r, key, ids[0]!)).people;
      }),
    );
    expect(sent).to.have.length(1);
    expect(sent[0]).to.match(/^BEGIN; SELECT pg_advisory_xact_lock.*; WITH s AS .*; COMMIT;$/s);
    expect(await count).to.equal(2);
    expect(await flags(h.services, ids)).to.deep.equal([false, true, true]);
  });

  it('failing in COMMIT’s message, leave no transaction open on the connection', async () => {
    const key = 'commit-fails@q.example';
    const ids = await people(key);
    const error = await failure(
      uow.write(async (r) => {
        // The write queued with COMMIT fails.
        await lockAndQueue(r, key, ids[0]!, true);
      }),
    );
    expect(error.code).to.equal('22001');
    // The failed write skipped the message's COMMIT: without a ROLLBACK the connection would
    // go back to the pool inside the aborted transaction.
    const open = (await h.db.knex.raw(
      `SELECT count(*) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    )) as { rows: Array<{ n: number }> };
    expect(Number(open.rows[0]!.n)).to.equal(0);
    expect(await statusOfKey(key)).to.equal(null);
  });

  it('a failure of theirs fails the transaction: nothing of it is stored', async () => {
    const key = 'fails@q.example';
    const ids = await people(key);
    const error = await failure(
      uow.write(async (r) => {
        // The queued statement fails.
        await lockAndQueue(r, key, ids[0]!, true);
        await r.updateLogged(
          heldLead(ids[0]!),
          { columns: { first_name: 'Changed' } },
          8,
          [],
          true,
        );
      }),
    );
    // The error PostgreSQL gave, as when the statement was awaited alone.
    expect(error.code).to.equal('22001');
    expect(await statusOfKey(key)).to.equal(null);
    expect(await flags(h.services, ids)).to.deep.equal([false, false, false]);
    const names = (await getLead(h.services, ids[0]!)).attributes.map((a) => a.value);
    expect(names).to.not.include('Changed');
  });

  it('a failure of the statement they go with undoes them', async () => {
    const key = 'after@q.example';
    const ids = await people(key);
    const error = await failure(
      uow.write(async (r) => {
        await lockAndQueue(r, key, ids[0]!);
        // activities.source holds 128 characters: the lead's write fails.
        await r.updateLogged(
          heldLead(ids[0]!),
          { columns: { first_name: 'Changed' } },
          8,
          [{ leadId: ids[0]!, activityType: 'x', createdAt: 8, source: 'y'.repeat(200) }],
          true,
        );
      }),
    );
    expect(error.code).to.equal('22001');
    expect(await statusOfKey(key)).to.equal(null);
    expect(await flags(h.services, ids)).to.deep.equal([false, false, false]);
  });

  it('are dropped when the work fails before anything is sent', async () => {
    const key = 'dropped@q.example';
    const ids = await people(key);
    const sent = await pgMessagesWhile(() =>
      uow
        .write(async (r) => {
          await lockAndQueue(r, key, ids[0]!);
          throw new Error('undo');
        })
        .catch(() => undefined),
    );
    expect(sent).to.deep.equal([]);
    expect(await statusOfKey(key)).to.equal(null);
  });

  it('fail after a statement that carried COMMIT, and the committed work stays', async () => {
    const key = 'late@q.example';
    const ids = await people(key);
    const error = await failure(
      uow.write(async (r) => {
        await r.lockEmailKeys([key]);
        await r.updateLogged(
          heldLead(ids[0]!),
          { columns: { first_name: 'Kept' } },
          8,
          [{ leadId: ids[0]!, activityType: 'x', createdAt: 8 }],
          true,
        );
        await r.queueStatusAndPropagate!(testStatus(key, ids[0]!), ids[0]!, testPropagation);
      }),
    );
    expect(error.message).to.match(/after its transaction had ended/);
    expect(await statusOfKey(key)).to.equal(null);
    const names = (await getLead(h.services, ids[0]!)).attributes.map((a) => a.value);
    expect(names).to.include('Kept');
  });
});
