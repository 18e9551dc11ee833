/**
 * Through PgBouncer in transaction pooling mode, with fewer server connections than clients,
 * so consecutive transactions of one client connection run on different servers: the
 * concurrency and stress tests must pass as they do on a direct connection, and nothing a
 * transaction does may stay behind on a server connection (settings, locks, prepared
 * statements) but the statements the service keeps prepared there on purpose (du_f_…, with
 * the session setting du.prepared that marks them: sql/pg-step-forms.ts).
 */
import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { postgresEngine, type TestEngine } from '../support/database.js';
import {
  expectAddressesSettled,
  hammer,
  RACE_ADDRESSES,
  seedRaceLeads,
} from '../support/hammer.js';
import { createServices } from '../../src/compose.js';
import { createLead, openHarness, web } from '../support/harness.js';
import { pgMessagesWhile } from '../support/pg-messages.js';
import { MOST_KEPT } from '../../src/data-access/sql/pg-step-forms.js';
import {
  createPrivatePostgres,
  privatePostgresUnavailable,
  type PrivatePostgres,
} from '../support/private-postgres.js';
import { runStress } from '../resilience/stress.js';
import { pgBouncerUnavailable, startPgBouncer, type PgBouncer } from './pgbouncer.js';
import { runSql } from './postgres-pair.js';
import { createScratch, type Scratch } from './scratch.js';

describe('topology: PgBouncer in transaction pooling mode', function () {
  this.timeout(300000);
  let pg: PrivatePostgres | undefined;
  let scratch: Scratch | undefined;
  let bouncer: PgBouncer;
  let engine: TestEngine;

  before(async function () {
    const why = privatePostgresUnavailable() ?? pgBouncerUnavailable();
    if (why) {
      if (process.env.CI) throw new Error(`PgBouncer topology unavailable in CI: ${why}`);
      return this.skip();
    }
    pg = await createPrivatePostgres();
    scratch = createScratch('pgbouncer');
    // Five server connections for every client of a database: transactions share them. The
    // server is never down here, so clients may queue for one as long as the lock holders of
    // the hot addresses keep them (the failover topology keeps the 5 s that sheds promptly).
    bouncer = await startPgBouncer(
      scratch,
      { primaryPort: Number(new URL(pg.url).port) },
      { poolSize: 5, queryWaitTimeout: 60 },
    );
    engine = postgresEngine(bouncer.url('postgres'));
  });
  after(() => {
    scratch?.cleanup();
    pg?.destroy();
  });

  it('200 parallel mixed operations through three pools keep the invariant', async () => {
    const h = await openHarness(engine);
    try {
      const instances = [h.openAnother(), h.openAnother(), h.openAnother()];
      const ids = await seedRaceLeads(h.services);
      const result = await hammer(instances, ids, 200, 20261130);
      expect(result.failures).to.deep.equal([]);
      expect(result.ok).to.equal(200);
      await expectAddressesSettled(h.services, RACE_ADDRESSES);
      // The server connections really were shared.
      const pools = await bouncer.admin('SHOW POOLS');
      const mine = pools.find((p) => p.database === new URL(h.url).pathname.slice(1));
      expect(Number(mine?.sv_active ?? 0) + Number(mine?.sv_idle ?? 0)).to.be.at.most(5);
    } finally {
      await h.drop();
    }
  });

  it('stress: three service processes, every acknowledged write present, no violation', async () => {
    const report = await runStress({ processes: 3, connections: 24, ops: 600, engine });
    expect(report.unexpected, report.unexpected.slice(0, 5).join('\n')).to.deep.equal([]);
    expect(report.violations).to.equal(0);
    expect(report.missingAcknowledged).to.deep.equal([]);
  });

  it('leaves on the server connections only the statements the service keeps prepared: no settings, no advisory locks', async () => {
    const h = await openHarness(engine);
    let database: Database | undefined;
    try {
      database = openDatabase({
        databaseUrl: h.url,
        dataDir: '',
        sqliteBusyTimeoutMs: 0,
        dbPoolMax: 8,
        dbStatementTimeoutMs: 1234,
      });
      const inside = await database.knex.transaction(async (trx) => {
        const r = (await trx.raw("SELECT current_setting('statement_timeout') AS t")) as {
          rows: Array<{ t: string }>;
        };
        return r.rows[0]!.t;
      });
      // Applied inside the transaction…
      expect(inside).to.equal('1234ms');
      const ids = await seedRaceLeads(h.services);
      await hammer([h.openAnother(), h.openAnother()], ids, 60, 7);
      // syncLead unsubscribes asked for together: their grouped transaction makes sure, in its
      // first message, that the server connection it landed on holds their statements
      // prepared, and keeps them there for the next transactions (sql/pg-step-forms.ts).
      const services = createServices(database, { customFields: [], defaultPartition: 'Default' });
      let preparedGroups = 0;
      for (let round = 0; round < 5 && preparedGroups === 0; round++) {
        const people: number[] = [];
        for (let i = 0; i < 6; i++) {
          const key = `forms-${round}-${i}@bouncer.example`;
          people.push(await createLead(h.services, key));
          await createLead(h.services, key);
        }
        const sent = await pgMessagesWhile(() =>
          Promise.all(
            people.map((id) =>
              services.leads.sync(
                { id, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
                { path: web },
              ),
            ),
          ),
        );
        preparedGroups += sent.filter((t) => /du_ensure_prepared.* EXECUTE du_f_/s.test(t)).length;
      }
      expect(preparedGroups).to.be.greaterThan(0);
      // …and on every server connection afterwards: the setting gone; of prepared statements,
      // only the service's own (du_f_…), at most MOST_KEPT per connection.
      const seen = new Set<string>();
      const others = new Set<number>();
      const kept: number[] = [];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          const r = (await database!.knex.raw(
            "SELECT current_setting('statement_timeout') AS t, (SELECT count(*) FILTER (WHERE name NOT LIKE 'du\\_f\\_%') FROM pg_prepared_statements) AS o, (SELECT count(*) FILTER (WHERE name LIKE 'du\\_f\\_%') FROM pg_prepared_statements) AS k, pg_sleep(0.05)",
          )) as { rows: Array<{ t: string; o: number; k: number }> };
          seen.add(r.rows[0]!.t);
          others.add(Number(r.rows[0]!.o));
          kept.push(Number(r.rows[0]!.k));
        }),
      );
      expect([...seen]).to.deep.equal(['0']);
      expect([...others]).to.deep.equal([0]);
      expect(Math.max(...kept))
        .to.be.greaterThan(0)
        .and.at.most(MOST_KEPT);
      const locks = await runSql(
        pg!.url,
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'",
      );
      expect(locks.rows[0].n).to.equal(0);
    } finally {
      await database?.close();
      await h.drop();
    }
  });
});
