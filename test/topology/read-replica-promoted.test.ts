/**
 * DATABASE_READ_URL reaching a server that left recovery but is not the primary: the standby
 * promoted while the old primary still takes the writes (a promotion without fencing, a drill),
 * or an old primary restarted as a primary while the pooler sends `du` to the new one. It no
 * longer replays anything, so "not in recovery" does not mean "holds everything": its reads must
 * go to the primary, whatever the lag bound.
 */
import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { migrateLatest } from '../../src/data-access/migrator.js';
import { ReadReplica } from '../../src/data-access/read-replica.js';
import { createServices, type Services } from '../../src/compose.js';
import { web } from '../support/harness.js';
import { privatePostgresUnavailable } from '../support/private-postgres.js';
import { SETTLE_MS, waitFor } from '../support/wait.js';
import { createPostgresPair, runSql, type PostgresPair } from './postgres-pair.js';
import { createScratch, type Scratch } from './scratch.js';

describe('topology: a read replica promoted beside a running primary', function () {
  this.timeout(120000);
  let scratch: Scratch | undefined;
  let pair: PostgresPair;
  const opened: Array<{ close(): Promise<void> }> = [];

  const open = (url: string): Database => {
    const db = openDatabase({
      databaseUrl: url,
      dataDir: '',
      sqliteBusyTimeoutMs: 0,
      dbPoolMax: 3,
      dbStatementTimeoutMs: 5000,
    });
    opened.push(db);
    return db;
  };
  const flag = (s: Services, email: string, value: boolean) =>
    s.leads.sync(
      { email, attributes: [{ name: 'Unsubscribed', value: String(value) }] },
      { path: web },
    );
  const readFlag = async (s: Services, email: string) =>
    (await s.leads.find({ keyType: 'EMAIL', keyValue: email }))[0]!.unsubscribed;

  before(async function () {
    const why = privatePostgresUnavailable();
    if (why) {
      if (process.env.CI) throw new Error(`private PostgreSQL unavailable in CI: ${why}`);
      return this.skip();
    }
    scratch = createScratch('promoted-replica');
    // Asynchronous: the primary goes on committing once its standby is promoted away.
    pair = await createPostgresPair(scratch, { synchronous: false });
    await runSql(pair.primary.url(), 'CREATE DATABASE du');
    await migrateLatest(open(pair.primary.url('du')));
  });
  after(async () => {
    for (const db of opened.reverse()) await db.close().catch(() => undefined);
    scratch?.cleanup();
  });

  it('stops serving reads from it: an opt-out made on the primary afterwards is read back', async () => {
    const primary = open(pair.primary.url('du'));
    const replica = new ReadReplica(primary, open(pair.standby.url('du')), {
      maxLagMs: 1000,
      probeMs: 50,
    }).start();
    opened.push({ close: () => replica.close() });
    const services = createServices(
      primary,
      { customFields: [], defaultPartition: 'Default' },
      { replica },
    );
    await flag(services, 'split@example.com', false);
    await waitFor(() => replica.usable(), SETTLE_MS, 25);
    expect(replica.usable()).to.equal(true);

    pair.promote();
    await flag(services, 'split@example.com', true);
    // Until a probe has seen the standby out of recovery (it then knows nothing of how much
    // it holds: no staleness, not the stale-by-lag a number would be, which would come anyway).
    await waitFor(() => replica.staleness() === null, SETTLE_MS, 25);
    const onPromoted = await runSql(
      pair.standby.url('du'),
      "SELECT unsubscribed FROM leads WHERE email = 'split@example.com'",
    );
    expect(onPromoted.rows[0].unsubscribed).to.equal(false);
    expect(await readFlag(services, 'split@example.com')).to.equal(true);
    expect(replica.usable()).to.equal(false);
  });
});
