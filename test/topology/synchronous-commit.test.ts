/**
 * With synchronous replication, a COMMIT waits for the standby, and statement_timeout does not
 * bound that wait. The service cancels a COMMIT still waiting after DB_STATEMENT_TIMEOUT_MS;
 * PostgreSQL then keeps the transaction committed on the primary alone and answers with a
 * warning: the service must not acknowledge such a write. Directly and through PgBouncer
 * (which relays the cancel request).
 */
import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { migrateLatest } from '../../src/data-access/migrator.js';
import { createServices } from '../../src/compose.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { web } from '../support/harness.js';
import { SETTLE_MS, waitFor } from '../support/wait.js';
import { privatePostgresUnavailable } from '../support/private-postgres.js';
import { pgBouncerUnavailable, startPgBouncer, type PgBouncer } from './pgbouncer.js';
import { createPostgresPair, runSql, type PostgresPair } from './postgres-pair.js';
import { createScratch, type Scratch } from './scratch.js';

type Route = 'directly' | 'through PgBouncer';

describe('topology: a COMMIT the synchronous standby never confirmed', function () {
  this.timeout(120000);
  let scratch: Scratch | undefined;
  let pair: PostgresPair;
  let bouncer: PgBouncer;
  const opened: Database[] = [];

  before(async function () {
    const why = privatePostgresUnavailable() ?? pgBouncerUnavailable();
    if (why) {
      if (process.env.CI) throw new Error(`topology unavailable in CI: ${why}`);
      return this.skip();
    }
    scratch = createScratch('synccommit');
    pair = await createPostgresPair(scratch, { synchronous: true });
    await runSql(pair.primary.url(), 'CREATE DATABASE du');
    bouncer = await startPgBouncer(scratch, { primaryPort: pair.primary.port });
  });
  after(async () => {
    for (const db of opened) await db.close();
    scratch?.cleanup();
  });

  /** The services over the `du` database, reached directly or through PgBouncer, migrated. */
  async function servicesThrough(route: Route) {
    const database = openDatabase({
      databaseUrl: route === 'directly' ? pair.primary.url('du') : bouncer.url('du'),
      dataDir: '',
      sqliteBusyTimeoutMs: 0,
      dbPoolMax: 2,
      dbStatementTimeoutMs: 1000,
    });
    opened.push(database);
    await migrateLatest(database);
    return createServices(database, { customFields: [], defaultPartition: 'Default' });
  }

  /** What `write` fails with while the standby is stopped (null: it succeeded). */
  async function failureWithoutStandby(write: () => Promise<unknown>): Promise<unknown> {
    pair.standby.stop();
    try {
      return await write().then(
        () => null,
        (e: unknown) => e,
      );
    } finally {
      pair.standby.start();
    }
  }

  /** What `write` answers once the standby is back and it succeeds (undefined: not in time). */
  async function onceStandbyIsBack<T>(write: () => Promise<T>): Promise<T | undefined> {
    let done: T | undefined;
    await waitFor(
      async () => (done = await write().catch(() => undefined)) !== undefined,
      SETTLE_MS,
      200,
    );
    return done;
  }

  for (const route of ['directly', 'through PgBouncer'] as const) {
    it(`${route}: is reported as "database unavailable", not as a success; the retry once the standby is back changes nothing more`, async () => {
      const services = await servicesThrough(route);
      const email = `sync-${route.length}@example.com`;
      const unsubscribe = () =>
        services.leads.sync(
          { email, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { path: web },
        );
      await services.leads.sync({ email }, { path: web });

      const error = await failureWithoutStandby(unsubscribe);
      expect(error).to.be.instanceOf(AppError);
      expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
      // It had committed on the primary: the unconfirmed write is there.
      const committed = await services.durableStatus.explain(email);
      expect(committed.status?.unsubscribed).to.equal(true);

      const retried = await onceStandbyIsBack(unsubscribe);
      expect(retried?.status).to.equal('UPDATED');
      const report = await services.durableStatus.explain(email);
      expect(report.status?.unsubscribed).to.equal(true);
      expect(report.history).to.have.length(committed.history.length);
    });

    it(`${route}: a one-click unsubscribe (COMMIT in the same message as its write) is not acknowledged either`, async () => {
      const services = await servicesThrough(route);
      const email = `click-${route.length}@example.com`;
      const click = () => services.links.unsubscribe({ email, linkId: 'l1', list: null });

      const error = await failureWithoutStandby(click);
      expect(error).to.be.instanceOf(AppError);
      expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
      const committed = await services.durableStatus.explain(email);
      expect(committed.status?.unsubscribed).to.equal(true);

      // The retry finds it done and writes nothing more.
      const retried = await onceStandbyIsBack(click);
      expect(retried?.changed).to.equal(false);
      const report = await services.durableStatus.explain(email);
      expect(report.history).to.have.length(committed.history.length);
    });
  }
});
