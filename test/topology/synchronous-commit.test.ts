/**
 * With synchronous replication, a COMMIT waits for the standby. When that wait is cut short
 * (statement_timeout), PostgreSQL keeps the transaction committed on the primary alone and
 * answers COMMIT with a warning: the service must not acknowledge such a write.
 */
import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { migrateLatest } from '../../src/data-access/migrator.js';
import { createServices } from '../../src/domain/services.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { web } from '../support/harness.js';
import { privatePostgresUnavailable } from '../support/private-postgres.js';
import { createPostgresPair, runSql, type PostgresPair } from './postgres-pair.js';
import { createScratch, type Scratch } from './scratch.js';

describe('topology: a COMMIT the synchronous standby never confirmed', function () {
  this.timeout(120000);
  let scratch: Scratch | undefined;
  let pair: PostgresPair;
  let database: Database | undefined;

  before(async function () {
    const why = privatePostgresUnavailable();
    if (why) {
      if (process.env.CI) throw new Error(`private PostgreSQL unavailable in CI: ${why}`);
      return this.skip();
    }
    scratch = createScratch('synccommit');
    pair = await createPostgresPair(scratch, { synchronous: true });
    await runSql(pair.primary.url(), 'CREATE DATABASE du');
    database = openDatabase({
      databaseUrl: pair.primary.url('du'),
      dataDir: '',
      sqliteBusyTimeoutMs: 0,
      dbPoolMax: 2,
      dbStatementTimeoutMs: 1000,
    });
    await migrateLatest(database);
  });
  after(async () => {
    await database?.close();
    scratch?.cleanup();
  });

  it('is reported as "database unavailable", not as a success; the retry after the standby is back succeeds once', async () => {
    const services = createServices(database!, { customFields: [], defaultPartition: 'Default' });
    const unsubscribe = () =>
      services.leads.sync(
        { email: 'sync@example.com', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: web },
      );
    await services.leads.sync({ email: 'sync@example.com' }, { path: web });

    pair.standby.stop();
    const error = await unsubscribe().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);

    pair.standby.start();
    let retried;
    for (let i = 0; i < 50 && !retried; i++) {
      retried = await unsubscribe().catch(() => undefined);
      if (!retried) await new Promise((r) => setTimeout(r, 200));
    }
    expect(retried?.status).to.equal('UPDATED');
    const report = await services.durableStatus.explain('sync@example.com');
    expect(report.status?.unsubscribed).to.equal(true);
    expect(report.history).to.have.length(1);
  });
});
