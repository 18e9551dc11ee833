import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import type { PropagationActivity } from '../../src/domain/records.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { createLead, openHarness, type Harness } from '../support/harness.js';
import { pgMessagesWhile } from '../support/pg-messages.js';
import { killWhileWaitingForLock } from '../support/pg-lock-kill.js';
import { linkPropagation, linkStatus } from '../support/records.js';

/**
 * A one-step unit on PostgreSQL (UnitOfWork.writeStep, the one-click unsubscribe) sent past
 * knex.transaction (sql/pg-step.ts): one message with its BEGIN and COMMIT, answered only once
 * COMMIT completed, and no connection of the pool ever left inside a transaction.
 */

const postgres = testEngines().find((e) => e.name === 'postgres');

(postgres ? describe : describe.skip)('PostgreSQL one-step units past knex.transaction', () => {
  let h: Harness;
  // One connection: what a step leaves on it, the next statement finds.
  let single: Database;
  let uow: UnitOfWork;

  before(async () => {
    h = await openHarness(postgres!);
    single = openDatabase({
      databaseUrl: h.url,
      dataDir: '',
      sqliteBusyTimeoutMs: 0,
      dbPoolMax: 1,
    });
    uow = new UnitOfWork(single);
  });
  after(async () => {
    await single.close();
    await h.drop();
  });

  afterEach(async () => {
    // No server process of the database is left inside a transaction (an aborted one included).
    const open = await h.db.knex.raw(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
    );
    expect((open as { rows: Array<{ n: number }> }).rows[0]!.n).to.equal(0);
  });

  /** The pool's connection: its server process, and whether it is outside any transaction. */
  const poolConnection = async () => {
    const result = await single.knex.raw(
      'SELECT pg_backend_pid() AS pid, now() = statement_timestamp() AS fresh',
    );
    return (result as { rows: Array<{ pid: number; fresh: boolean }> }).rows[0]!;
  };

  const stored = async (key: string) => ({
    status: await h.db.knex('email_status').where('email_key', key).first(),
    people: (await h.db.knex('leads').where('email_key', key).orderBy('id')).map(
      (p: { unsubscribed: boolean }) => p.unsubscribed,
    ),
  });

  const people = async (key: string, n: number) => {
    for (let i = 0; i < n; i++) await createLead(h.services, key);
  };

  const unsubscribe = (key: string, at: number, extra: Partial<PropagationActivity> = {}) =>
    uow.writeStep((r) =>
      r.leads.unsubscribeAddressOnce(linkStatus(key, at), { ...linkPropagation, ...extra }),
    );

  it('is one message, BEGIN to COMMIT, without knex.transaction', async () => {
    await people('one@step.example', 2);
    // The pool's first connection made (and knex's version check with it).
    await poolConnection();
    const knex = single.knex.client as unknown as { transaction: (...a: unknown[]) => unknown };
    const original = knex.transaction;
    let transactions = 0;
    knex.transaction = (...args: unknown[]) => {
      transactions++;
      return original.apply(knex, args);
    };
    let result;
    let sent;
    try {
      sent = await pgMessagesWhile(async () => (result = await unsubscribe('one@step.example', 1)));
    } finally {
      delete (knex as { transaction?: unknown }).transaction;
      expect(knex.transaction).to.equal(original);
    }
    expect(transactions).to.equal(0);
    expect(sent).to.have.length(1);
    expect(sent[0]).to.match(
      /^BEGIN; SELECT pg_advisory_xact_lock_shared\([^;]*\); SELECT changed, people, changed_at FROM unsubscribe_address_once\(.*\); COMMIT;$/,
    );
    expect(result).to.deep.equal({ changed: true, people: 2, changedAt: 1 });
    // Committed: another connection sees it.
    expect((await stored('one@step.example')).people).to.deep.equal([true, true]);
    expect(await unsubscribe('one@step.example', 2)).to.deep.equal({
      changed: false,
      people: 0,
      changedAt: 1,
    });
    expect((await poolConnection()).fresh).to.equal(true);
  });

  it('a failing call stores nothing and rolls its connection back into the pool', async () => {
    await people('fails@step.example', 2);
    const { pid } = await poolConnection();
    // An activity source longer than its column: the function fails at its last write, after
    // the status, its history and the followers' flags; PostgreSQL skips COMMIT.
    const error = await unsubscribe('fails@step.example', 3, { source: 'x'.repeat(300) }).then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error?.code).to.equal('22001');
    expect(await stored('fails@step.example')).to.deep.equal({
      status: undefined,
      people: [false, false],
    });
    // The same connection, outside any transaction (ROLLBACK was sent before it went back).
    expect(await poolConnection()).to.deep.equal({ pid, fresh: true });
    expect(await unsubscribe('fails@step.example', 4)).to.include({ changed: true, people: 2 });
  });

  it('fails as "database unavailable" when its connection dies under it, which is discarded', async () => {
    const key = 'lost@step.example';
    await people(key, 1);
    const { pid } = await poolConnection();
    // Another transaction holds the address's lock: the call waits inside the function.
    const { error, killed } = await killWhileWaitingForLock(
      h.db,
      h.url,
      key,
      () => unsubscribe(key, 5),
      "query LIKE 'BEGIN;%unsubscribe_address_once%'",
    );
    expect(killed).to.equal(1);
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    expect((await stored(key)).status).to.equal(undefined);
    // The pool hands out a new connection, outside any transaction, and the call goes through.
    const after = await poolConnection();
    expect(after.pid).to.not.equal(pid);
    expect(after.fresh).to.equal(true);
    expect(await unsubscribe(key, 6)).to.include({ changed: true, people: 1 });
  });

  it('refuses any statement but the one that ends it, sending nothing for it', async () => {
    const key = 'refused@step.example';
    await people(key, 1);
    for (const before of [
      (r: Parameters<Parameters<UnitOfWork['writeStep']>[0]>[0]) => r.emailStatus.get(key),
      (r: Parameters<Parameters<UnitOfWork['writeStep']>[0]>[0]) => r.lockEmailKeys([key]),
    ]) {
      let failed: unknown = null;
      const sent = await pgMessagesWhile(() =>
        uow
          .writeStep(async (r) => {
            await before(r);
            return r.leads.unsubscribeAddressOnce(linkStatus(key, 7), linkPropagation);
          })
          .catch((e: unknown) => (failed = e)),
      );
      expect(String(failed)).to.match(/must end its transaction/);
      expect(sent).to.deep.equal([]);
    }
    // After it: refused, and the unsubscribe, committed, stays.
    let failed: unknown = null;
    await uow
      .writeStep(async (r) => {
        await r.leads.unsubscribeAddressOnce(linkStatus(key, 8), linkPropagation);
        await r.emailStatus.get(key);
      })
      .catch((e: unknown) => (failed = e));
    expect(String(failed)).to.match(/after its transaction had ended/);
    expect((await stored(key)).people).to.deep.equal([true]);
    expect((await poolConnection()).fresh).to.equal(true);
  });

  it('writes hostile values in as text, each stored as it was given', async () => {
    const key = "o'neil?$$\\x');drop--table--leads;--@step.example";
    await people(key, 2);
    const reason = "why?\n-- not a comment */ /* $1 $$ E'\\' \u00e9\u{1F600} ''";
    const actor = "link ?'; COMMIT; DELETE FROM leads; --";
    const result = await uow.writeStep((r) =>
      r.leads.unsubscribeAddressOnce(
        { ...linkStatus(key, 9), reason },
        { ...linkPropagation, actor },
      ),
    );
    expect(result).to.deep.equal({ changed: true, people: 2, changedAt: 9 });
    const { status, people: flags } = await stored(key);
    expect(status).to.include({ email_key: key, reason, unsubscribed: true });
    expect(flags).to.deep.equal([true, true]);
    const actors = await h.db
      .knex('activity_log as a')
      .join('leads', 'leads.id', 'a.lead_id')
      .where('leads.email_key', key)
      .where('a.activity_type', 'Change Data Value')
      .pluck('a.actor');
    expect(actors).to.deep.equal([actor, actor]);
    // A value PostgreSQL cannot hold is refused before anything is sent.
    const sent = await pgMessagesWhile(() =>
      uow
        .writeStep((r) =>
          r.leads.unsubscribeAddressOnce(
            { ...linkStatus(key, 10), reason: 'a\0b' },
            linkPropagation,
          ),
        )
        .catch(() => undefined),
    );
    expect(sent).to.deep.equal([]);
  });
});
