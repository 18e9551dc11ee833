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
import { privatePostgresUnavailable } from '../support/private-postgres.js';
import { pgBouncerUnavailable, startPgBouncer, type PgBouncer } from './pgbouncer.js';
import { createPostgresPair, runSql, type PostgresPair } from './postgres-pair.js';
import { createScratch, type Scratch } from './scratch.js';

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

  for (const route of ['directly', 'through PgBouncer'] as const) {
    it(`${route}: is reported as "database unavailable", not as a success; the retry once the standby is back changes nothing more`, async () => {
      const database = openDatabase({
        databaseUrl: route === 'directly' ? pair.primary.url('du') : bouncer.url('du'),
        dataDir: '',
        sqliteBusyTimeoutMs: 0,
        dbPoolMax: 2,
        dbStatementTimeoutMs: 1000,
      });
      opened.push(database);
      await migrateLatest(database);
      const services = createServices(database, { customFields: [], defaultPartition: 'Default' });
      const email = `sync-${route.length}@example.com`;
      const unsubscribe = () =>
        services.leads.sync(
          { email, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { path: web },
        );
      await services.leads.sync({ email }, { path: web });

      pair.standby.stop();
      let error: unknown;
      try {
        error = await unsubscribe().then(
          () => null,
          (e: unknown) => e,
        );
      } finally {
        pair.standby.start();
      }
      expect(error).to.be.instanceOf(AppError);
      expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
      // It had committed on the primary: the unconfirmed write is there.
      const committed = await services.durableStatus.explain(email);
      expect(committed.status?.unsubscribed).to.equal(true);

      let retried;
      for (let i = 0; i < 50 && !retried; i++) {
        retried = await unsubscribe().catch(() => undefined);
        if (!retried) await new Promise((r) => setTimeout(r, 200));
      }
      expect(retried?.status).to.equal('UPDATED');
      const report = await services.durableStatus.explain(email);
      expect(report.status?.unsubscribed).to.equal(true);
      expect(report.history).to.have.length(committed.history.length);
    });

    it(`${route}: a one-click unsubscribe (COMMIT in the same message as its write) is not acknowledged either`, async () => {
      const database = openDatabase({
        databaseUrl: route === 'directly' ? pair.primary.url('du') : bouncer.url('du'),
        dataDir: '',
        sqliteBusyTimeoutMs: 0,
        dbPoolMax: 2,
        dbStatementTimeoutMs: 1000,
      });
      opened.push(database);
      await migrateLatest(database);
      const services = createServices(database, { customFields: [], defaultPartition: 'Default' });
      const email = `click-${route.length}@example.com`;
      const click = () => services.links.unsubscribe({ email, linkId: 'l1', list: null });

      pair.standby.stop();
      let error: unknown;
      try {
        error = await click().then(
          () => null,
          (e: unknown) => e,
        );
      } finally {
        pair.standby.start();
      }
      expect(error).to.be.instanceOf(AppError);
      expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
      const committed = await services.durableStatus.explain(email);
      expect(committed.status?.unsubscribed).to.equal(true);

      let retried;
      for (let i = 0; i < 50 && !retried; i++) {
        retried = await click().catch(() => undefined);
        if (!retried) await new Promise((r) => setTimeout(r, 200));
      }
      // The retry finds it done and writes nothing more.
      expect(retried?.changed).to.equal(false);
      const report = await services.durableStatus.explain(email);
      expect(report.history).to.have.length(committed.history.length);
    });
  }
});
