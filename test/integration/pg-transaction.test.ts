import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { createDomainServices, type Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { createLead, flags, openHarness, web, type Harness } from '../support/harness.js';
import { pgMessagesWhile } from '../support/pg-messages.js';
import { killWhileWaitingForLock } from '../support/pg-lock-kill.js';
import { failure, heldLead, testPropagation, testStatus } from '../support/records.js';

/**
 * A write unit of several statements on PostgreSQL (UnitOfWork.write: a sync that unsubscribes
 * an address) runs past knex.transaction (sql/pg-transaction.ts): the same messages, its
 * repositories' query builders and fixed statements on one pooled connection, its failures
 * rolled back, retried or reported as before, and no connection of the pool ever left inside a
 * transaction. Every test here also checks that knex.transaction was never called.
 */

const postgres = testEngines().find((e) => e.name === 'postgres');

(postgres ? describe : describe.skip)('PostgreSQL write units past knex.transaction', () => {
  let h: Harness;
  // One connection: what a unit leaves on it, the next statement finds.
  let single: Database;
  let uow: UnitOfWork;
  let services: Services;
  let transactions = 0;
  let original: (...args: unknown[]) => unknown;

  before(async () => {
    h = await openHarness(postgres!);
    single = openDatabase({
      databaseUrl: h.url,
      dataDir: '',
      sqliteBusyTimeoutMs: 0,
      dbPoolMax: 1,
      dbAcquireTimeoutMs: 1500,
    });
    uow = new UnitOfWork(single);
    // The locked path's units: a sync checked against its read is one step (pg-step.ts), and
    // tested with the steps.
    const locked = Object.create(uow, { guardedSteps: { value: false } }) as UnitOfWork;
    services = createDomainServices(locked, { customFields: [], defaultPartition: 'Default' });
  });
  after(async () => {
    await single.close();
    await h.drop();
  });

  /** The pool client's knex.transaction, counted for the test. */
  const client = () => single.knex.client as unknown as Record<string, unknown>;
  beforeEach(() => {
    transactions = 0;
    original = client().transaction as typeof original;
    client().transaction = (...args: unknown[]) => {
      transactions++;
      return original.apply(single.knex.client, args);
    };
  });

  afterEach(() => {
    delete client().transaction;
    expect(client().transaction).to.equal(original);
  });

  /**
   * Each test's end: knex.transaction never called, and no server process of the database
   * left inside a transaction (an aborted one included).
   */
  const settled = async () => {
    expect(transactions, 'knex.transaction calls').to.equal(0);
    const open = await h.db.knex.raw(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
    );
    expect((open as { rows: Array<{ n: number }> }).rows[0]!.n, 'idle in transaction').to.equal(0);
  };

  /** The pool's connection: its server process, and whether it is outside any transaction. */
  const poolConnection = async () => {
    const result = await single.knex.raw(
      'SELECT pg_backend_pid() AS pid, now() = statement_timestamp() AS fresh',
    );
    return (result as { rows: Array<{ pid: number; fresh: boolean }> }).rows[0]!;
  };

  const people = async (key: string, n: number) => {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(await createLead(h.services, key));
    return ids;
  };
  const statusOfKey = async (key: string) =>
    (await h.services.durableStatus.explain(key)).status?.unsubscribed ?? null;
  const unsubscribe = (key: string, value = true) =>
    services.leads.sync(
      { email: key, attributes: [{ name: 'Unsubscribed', value: String(value) }] },
      { path: web },
    );

  it('a sync that unsubscribes an address sends its three messages and commits', async () => {
    const ids = await people('sync@tx.example', 3);
    await poolConnection();
    const sent = await pgMessagesWhile(() => unsubscribe('sync@tx.example'));
    expect(sent).to.have.length(3);
    expect(sent[1]).to.match(
      /^BEGIN; SELECT pg_advisory_xact_lock_shared\([^;]*\); SELECT pg_advisory_xact_lock\(k\) .*; SELECT \* FROM leads/,
    );
    expect(sent[2]).to.match(/; COMMIT;$/);
    expect(await flags(h.services, ids)).to.deep.equal([true, true, true]);
    expect(await statusOfKey('sync@tx.example')).to.equal(true);
    expect((await poolConnection()).fresh).to.equal(true);
    await settled();
  });

  it("runs the repositories' query builders on the unit's connection, with knex's events", async () => {
    const ids = await people('builder@tx.example', 2);
    const seen: string[] = [];
    const listen = (q: { sql: string }) => seen.push(q.sql);
    single.knex.on('query', listen);
    let found;
    try {
      found = await uow.write(async (r) => {
        await r.lockEmailKeys(['builder@tx.example']);
        // A query builder (whereIn), then a fixed statement that carries COMMIT.
        const leads = await r.leads.findByIds(ids);
        await r.updateLogged(heldLead(ids[0]!), { columns: { first_name: 'B' } }, 9, [], true);
        return leads.map((l) => l.id);
      });
    } finally {
      single.knex.off('query', listen);
    }
    expect(found).to.deep.equal(ids);
    expect(seen[0]).to.equal('BEGIN;');
    expect(seen[1]).to.match(/ from "leads" where "id" in \(\$1, \$2\)/);
    expect(seen.at(-1)).to.equal('COMMIT;');
    expect((await poolConnection()).fresh).to.equal(true);
    await settled();
  });

  it('a failing unit stores nothing and rolls its connection back into the pool', async () => {
    const ids = await people('fails@tx.example', 2);
    const { pid } = await poolConnection();
    const error = await failure(
      uow.write(async (r) => {
        await r.lockEmailKeys(['fails@tx.example']);
        await r.updateLogged(heldLead(ids[0]!), { columns: { first_name: 'Gone' } }, 9, []);
        throw new Error('the work failed');
      }),
    );
    expect(error.message).to.equal('the work failed');
    const names = await h.db.knex('leads').whereIn('id', ids).pluck('first_name');
    expect(names).to.not.include('Gone');
    // The same connection, outside any transaction (ROLLBACK was sent before it went back).
    expect(await poolConnection()).to.deep.equal({ pid, fresh: true });
    await settled();
  });

  it('a queued write that fails in COMMIT’s message is rolled back before the connection goes back', async () => {
    const key = 'commit@tx.example';
    const ids = await people(key, 2);
    const { pid } = await poolConnection();
    let error = null as unknown as { code?: string };
    const sent = await pgMessagesWhile(async () => {
      error = await failure(
        uow.write(async (r) => {
          await r.lockEmailKeys([key]);
          await r.leads.findByIds(ids);
          // email_status.source holds 128 characters; nothing follows: it goes with COMMIT.
          await r.queueStatusAndPropagate!(
            testStatus(key, ids[0]!, 'x'.repeat(200)),
            null,
            testPropagation,
          );
        }),
      );
    });
    expect(error.code).to.equal('22001');
    // One ROLLBACK after the failed message: the unit's own costs no second round trip.
    expect(sent[sent.length - 2]).to.match(/; COMMIT;$/);
    expect(sent.filter((m) => m === 'ROLLBACK')).to.deep.equal(['ROLLBACK']);
    expect(sent[sent.length - 1]).to.equal('ROLLBACK');
    expect(await statusOfKey(key)).to.equal(null);
    expect(await poolConnection()).to.deep.equal({ pid, fresh: true });
    await settled();
  });

  it('a statement of a unit after its end is refused, not run in the next unit', async () => {
    const key = 'late@tx.example';
    const ids = await people(key, 1);
    let late!: Promise<Error>;
    await uow.write(async (r) => {
      await r.lockEmailKeys([key]);
      await r.leads.findByIds(ids);
      // Not awaited: it starts once the unit is over.
      late = failure(
        new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
          r.updateLogged(heldLead(ids[0]!), { columns: { first_name: 'Stray' } }, 9, []),
        ),
      );
    });
    const sent = await pgMessagesWhile(() =>
      uow.write(async (r) => {
        await r.lockEmailKeys([key]);
        await r.leads.findByIds(ids);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await r.updateLogged(heldLead(ids[0]!), { columns: { last_name: 'Next' } }, 10, [], true);
      }),
    );
    expect((await late).message).to.match(/already complete/);
    expect(sent.join('\n')).to.not.include('Stray');
    const lead = await h.db.knex('leads').where('id', ids[0]!).first();
    expect(lead).to.include({ last_name: 'Next' });
    expect(lead.first_name).to.not.equal('Stray');
    await settled();
  });

  it('a deadlock between two units is retried, and both are stored', async () => {
    const ids = await people('dead@tx.example', 2);
    const two = new UnitOfWork(h.db);
    let attempts = 0;
    let meet!: () => void;
    const met = new Promise<void>((resolve) => (meet = resolve));
    let arrived = 0;
    const barrier = async () => {
      if (++arrived === 2) meet();
      await met;
    };
    // Each updates one lead, waits for the other, then updates the other's: one of them is
    // chosen by PostgreSQL's deadlock detector (40P01), rolled back and run again.
    const unit = (uowOf: UnitOfWork, first: number, second: number, name: string) =>
      uowOf.write(async (r) => {
        attempts++;
        await r.updateLogged(heldLead(first), { columns: { first_name: name } }, 9, []);
        await barrier();
        await r.updateLogged(heldLead(second), { columns: { last_name: name } }, 9, [], true);
      });
    // `two` runs on h.db's pool: count its knex.transaction calls too.
    const other = h.db.knex.client as unknown as Record<string, unknown>;
    const otherOriginal = other.transaction as (...args: unknown[]) => unknown;
    other.transaction = (...args: unknown[]) => {
      transactions++;
      return otherOriginal.apply(h.db.knex.client, args);
    };
    try {
      await Promise.all([unit(uow, ids[0]!, ids[1]!, 'A'), unit(two, ids[1]!, ids[0]!, 'B')]);
    } finally {
      delete other.transaction;
    }
    expect(attempts).to.equal(3);
    const rows = await h.db.knex('leads').whereIn('id', ids).orderBy('id');
    const names = rows.map((l: { first_name: string; last_name: string }) => [
      l.first_name,
      l.last_name,
    ]);
    // Each unit's two columns, whichever of them was run again.
    expect(names).to.deep.equal([
      ['A', 'B'],
      ['B', 'A'],
    ]);
    await settled();
  });

  it('fails as "database unavailable" when its connection dies mid-unit; the next call gets a new one', async () => {
    const key = 'lost@tx.example';
    await people(key, 1);
    const { pid } = await poolConnection();
    // Another unit holds the address's lock: the call waits for it, inside its transaction.
    const { error, killed } = await killWhileWaitingForLock(
      h.db,
      h.url,
      key,
      () => unsubscribe(key),
      'pid = $1 AND wait_event_type = $2',
      [pid, 'Lock'],
    );
    expect(killed).to.equal(1);
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    expect(await statusOfKey(key)).to.equal(null);
    const after = await poolConnection();
    expect(after.pid).to.not.equal(pid);
    expect(after.fresh).to.equal(true);
    expect((await unsubscribe(key)).status).to.equal('UPDATED');
    expect(await statusOfKey(key)).to.equal(true);
    await settled();
  });

  it('a unit waiting past the acquire timeout for the only connection gets 20024', async () => {
    const key = 'busy@tx.example';
    await people(key, 1);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const inside = new Promise<void>((resolve) => (started = resolve));
    const holder = uow.write(async (r) => {
      await r.emailStatus.get(key);
      started();
      await held;
    });
    await inside;
    try {
      const error = await failure(uow.write((r) => r.emailStatus.get(key)));
      expect(error).to.be.instanceOf(AppError);
      expect((error as AppError).code).to.equal(ErrorCode.CONCURRENCY_LIMIT_EXCEEDED);
    } finally {
      release();
      await holder;
    }
    expect((await poolConnection()).fresh).to.equal(true);
    await settled();
  });
});
