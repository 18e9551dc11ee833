import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import sinon from 'sinon';
import type { Database } from '../../src/data-access/database.js';
import { readRowSet } from '../../src/data-access/sql/plain-reads.js';
import { LeadRepository } from '../../src/data-access/sql/lead.repository.js';
import { readOnThread } from '../../src/data-access/sqlite-thread/grouped-reads.js';
import { SQLITE_THREAD_EXITED } from '../../src/data-access/sqlite-thread/connection.js';
import { classifyDatabaseError } from '../../src/data-access/database-errors.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { createServices } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { BY_ID, BY_KEY, EDGE_KEY, EDGE_ROWS } from '../support/edge-rows.js';
import { failure } from '../support/records.js';
import { SLOW_QUERY } from '../support/slow-query.js';
import { threadPool } from '../support/sqlite-pool.js';

/**
 * Plain reads of one turn of the event loop go to one reader thread in one message
 * (sqlite-thread/grouped-reads.ts): each must end as it would have alone.
 */

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;

/** The messages posted to SQLite threads that carry grouped reads. */
const readMessages = (posted: sinon.SinonSpy) =>
  posted.getCalls().filter((c) => typeof c.args[0] === 'object' && 'reads' in c.args[0]);

describe('SQLite grouped plain reads', function () {
  this.timeout(60000);
  let db: Database;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    ({ db, drop } = await sqlite.create());
    for (const row of EDGE_ROWS) await db.knex('leads').insert(row);
  });
  afterEach(() => {
    sinon.restore();
    return drop();
  });

  it('go to one reader in one message, each with its own rows', async () => {
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const [byKey, first, second, none] = await Promise.all([
      readRowSet(db.readKnex, BY_KEY, [EDGE_KEY]),
      readRowSet(db.readKnex, BY_ID, [1]),
      readRowSet(db.readKnex, BY_ID, [2147483000]),
      readRowSet(db.readKnex, BY_ID, [5]),
    ]);
    const messages = readMessages(posted);
    expect(messages).to.have.length(1);
    expect(posted.callCount).to.equal(1);
    expect(messages[0]!.args[0].reads).to.have.length(4);
    expect(byKey!.rows.map((r) => r[byKey!.names.indexOf('id')])).to.deep.equal([2147483000, 1]);
    expect(first!.rows).to.have.length(1);
    expect(first!.rows[0]![first!.names.indexOf('partition')]).to.equal('Other');
    expect(second!.rows[0]![second!.names.indexOf('first_name')]).to.equal("O'Brien ✓ 𝄞");
    expect(none).to.deep.equal({ names: byKey!.names, rows: [] });
  });

  it('give the same records as the statement answered alone, value for value', async () => {
    const grouped = new LeadRepository(db.readKnex, 'sqlite');
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const found = await Promise.all([
      grouped.findByEmailKey(EDGE_KEY),
      grouped.findById(2147483000),
      grouped.findByForeignId('00Q-edge'),
      grouped.findByEmailKey(EDGE_KEY, false, 1),
      grouped.findById(2147483001),
    ]);
    expect(readMessages(posted), 'the grouped path is taken').to.have.length(1);
    // Inside a transaction (the writer thread) the same lookups are statements of their own.
    const alone = await db.knex.transaction(async (trx) => {
      const leads = new LeadRepository(trx, 'sqlite');
      return [
        await leads.findByEmailKey(EDGE_KEY),
        await leads.findById(2147483000),
        await leads.findByForeignId('00Q-edge'),
        await leads.findByEmailKey(EDGE_KEY, false, 1),
        await leads.findById(2147483001),
      ];
    });
    expect(found).to.deep.equal(alone);
    // Key order too (answers list columns in the order the record holds them).
    expect(JSON.stringify(found)).to.equal(JSON.stringify(alone));
    expect(found[1]).to.include({ id: 2147483000, changeSeq: Number.MAX_SAFE_INTEGER });
    expect(found[1]!.columns).to.include({ do_not_call: true, email_invalid: false });
    expect(found[4]).to.equal(null);
  });

  it("a re-subscribe by address reads its person and the address's status in one message", async () => {
    const services = createServices(db, { customFields: [], defaultPartition: 'Default' }, {});
    const web = ChangePaths.webService();
    const sync = (value: string) =>
      services.leads.sync(
        { email: 'back@grouped.example', attributes: [{ name: 'Unsubscribed', value }] },
        { path: web },
      );
    await services.leads.syncMany(
      [1, 2, 3].map(() => ({ email: 'back@grouped.example', attributes: [] })),
      { path: web, matchByEmail: false },
    );
    await sync('true');
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const answer = await sync('false');
    const messages = readMessages(posted);
    expect(messages).to.have.length(1);
    const [person, status] = (messages[0]!.args[0].reads as Array<{ sql: string }>).map(
      (r) => r.sql,
    );
    expect(person).to.match(/FROM leads WHERE/);
    expect(status).to.match(/FROM email_status WHERE/);
    // Nothing else is read before the step: the step and its COMMIT, on the writer.
    const statusReads = posted
      .getCalls()
      .filter((c) =>
        /^SELECT \* FROM email_status/.test((c.args[0] as { sql?: string }).sql ?? ''),
      );
    expect(statusReads).to.have.length(0);
    expect(answer.lead.unsubscribed).to.equal(false);
    const leads = await services.leads.find({ keyType: 'EMAIL', keyValue: 'back@grouped.example' });
    expect(leads.map((l) => l.unsubscribed)).to.deep.equal([false, false, false]);
  });

  it('a read that fails fails alone, with its code and its SQL; the others get their rows', async () => {
    const queryErrors: string[] = [];
    db.readKnex.on('query-error', (_e: Error, q: { sql: string }) => queryErrors.push(q.sql));
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const [before, bad, write, after] = await Promise.allSettled([
      readOnThread(db.readKnex, BY_ID.sqlite, [1])!,
      readOnThread(db.readKnex, 'SELECT * FROM no_such_table', [])!,
      readOnThread(db.readKnex, "UPDATE leads SET partition = 'x'", [])!,
      readOnThread(db.readKnex, BY_ID.sqlite, [2147483000])!,
    ]);
    expect(readMessages(posted)).to.have.length(1);
    expect(before.status).to.equal('fulfilled');
    expect(after.status).to.equal('fulfilled');
    if (after.status === 'fulfilled') expect(after.value.rows).to.have.length(1);
    expect(bad.status).to.equal('rejected');
    const error = (bad as PromiseRejectedResult).reason as Error & { code?: string };
    expect(error.code).to.equal('SQLITE_ERROR');
    expect(error.message).to.match(/^SELECT \* FROM no_such_table - .*no such table/);
    // Only reads: a write is refused, and nothing of it is stored.
    expect(write.status).to.equal('rejected');
    expect(queryErrors).to.have.length(2);
    expect((await db.knex('leads').where({ partition: 'x' })).length).to.equal(0);
  });

  it('see what is committed when they run, and nothing of a transaction still open', async () => {
    const id = 77;
    await db.knex.transaction(async (trx) => {
      await trx('leads').insert({ ...EDGE_ROWS[1], id, email_key: 'open@grouped.example' });
      const [during] = await Promise.all([
        readRowSet(db.readKnex, BY_ID, [id]),
        readRowSet(db.readKnex, BY_ID, [1]),
      ]);
      expect(during!.rows, 'not committed yet').to.deep.equal([]);
    });
    const [committed] = await Promise.all([
      readRowSet(db.readKnex, BY_ID, [id]),
      readRowSet(db.readKnex, BY_ID, [1]),
    ]);
    expect(committed!.rows, 'committed').to.have.length(1);
  });

  it('are not taken inside a transaction, nor on the writer (SQLITE_READ_THREADS=0)', async () => {
    expect(readOnThread(db.knex, BY_ID.sqlite, [1])).to.equal(null);
    await db.readKnex.transaction(async (trx) => {
      expect(readOnThread(trx, BY_ID.sqlite, [1])).to.equal(null);
    });
  });

  it('fail as "database unavailable" when their thread dies; a new thread reads them again', async () => {
    const pool = threadPool(db.readKnex);
    const leads = new LeadRepository(db.readKnex, 'sqlite');
    // The shapes are known to the main thread from the threads that answered these.
    await Promise.all([leads.findById(1), leads.findById(2147483000)]);
    // Both readers of the pool held; the reads then go to the one busy with a slow query.
    const [idle, busy] = [await pool.acquireConnection(), await pool.acquireConnection()];
    const slow = busy.run(SLOW_QUERY, []).catch((e: Error) => e);
    await pool.releaseConnection(busy);
    const posted = sinon.spy(Worker.prototype, 'postMessage');
    const inFlight = Promise.allSettled([
      readRowSet(db.readKnex, BY_ID, [1]),
      readRowSet(db.readKnex, BY_ID, [2147483000]),
    ]);
    while (readMessages(posted).length === 0) await new Promise((r) => setTimeout(r, 5));
    await busy.kill();
    const outcomes = await inFlight;
    expect(((await slow) as { code?: string }).code).to.equal(SQLITE_THREAD_EXITED);
    const errors = outcomes.map((o) => (o as PromiseRejectedResult).reason as Error);
    for (const error of errors) {
      expect((error as { code?: string }).code).to.equal(SQLITE_THREAD_EXITED);
      expect((classifyDatabaseError(error) as AppError).code).to.equal(
        ErrorCode.DATABASE_UNAVAILABLE,
      );
    }
    expect(errors[0]!.message.startsWith(`${BY_ID.sqlite} - `)).to.equal(true);
    expect(errors[0]).to.not.equal(errors[1]);
    await idle.kill();
    await pool.releaseConnection(idle);
    // New threads know no shape yet, and number them from 0 again: the rows are read under
    // the names the new thread sends, not those the dead one sent.
    const again = await Promise.all([leads.findById(1), leads.findByEmailKey(EDGE_KEY)]);
    expect(again[0]).to.include({ id: 1, partition: 'Other' });
    expect(again[1].map((l) => l.id)).to.deep.equal([2147483000, 1]);
    const other = await failure(readOnThread(db.readKnex, 'SELECT * FROM nowhere', [])!);
    expect(other.code).to.equal('SQLITE_ERROR');
  });
});
