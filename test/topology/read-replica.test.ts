/**
 * DATABASE_READ_URL: read-only operations on the streaming standby, within the staleness rule
 * (src/data-access/read-replica.ts): writes commit with remote_apply, so a synchronous standby
 * shows a write before it is acknowledged; reads go to the primary whenever the standby has
 * not replayed what the primary had DATABASE_READ_MAX_LAG_MS ago, or cannot be reached.
 */
import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { migrateLatest } from '../../src/data-access/migrator.js';
import { ReadReplica } from '../../src/data-access/read-replica.js';
import { createServices, type Services } from '../../src/compose.js';
import { web } from '../support/harness.js';
import { privatePostgresUnavailable } from '../support/private-postgres.js';
import { settle, SETTLE_MS, waitFor } from '../support/wait.js';
import { createPostgresPair, runSql, type PostgresPair } from './postgres-pair.js';
import { createScratch, type Scratch } from './scratch.js';

const CONFIG = { customFields: [], defaultPartition: 'Default' };

describe('topology: reads from the standby (DATABASE_READ_URL)', function () {
  this.timeout(120000);
  let scratch: Scratch | undefined;
  let pair: PostgresPair;
  const opened: Array<{ close(): Promise<void> }> = [];

  const open = (url: string, commitVisibleOnStandby = false): Database => {
    const db = openDatabase({
      databaseUrl: url,
      dataDir: '',
      sqliteBusyTimeoutMs: 0,
      dbPoolMax: 3,
      dbStatementTimeoutMs: 5000,
      commitVisibleOnStandby,
    });
    opened.push(db);
    return db;
  };
  /** One service instance: its primary pool and its replica, as main.ts composes them. */
  const instance = (maxLagMs: number, commitVisibleOnStandby = true) => {
    const primary = open(pair.primary.url('du'), commitVisibleOnStandby);
    const replica = new ReadReplica(primary, open(pair.standby.url('du')), {
      maxLagMs,
      probeMs: 50,
    }).start();
    opened.push({ close: () => replica.close() });
    return { replica, services: createServices(primary, CONFIG, { replica }) };
  };
  const until = async (what: () => boolean) => {
    await waitFor(what, SETTLE_MS, 25);
    expect(what()).to.equal(true);
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
    scratch = createScratch('replica');
    pair = await createPostgresPair(scratch, { synchronous: true });
    await runSql(pair.primary.url(), 'CREATE DATABASE du');
    const db = open(pair.primary.url('du'));
    await migrateLatest(db);
  });
  after(async () => {
    for (const db of opened.reverse()) await db.close().catch(() => undefined);
    scratch?.cleanup();
  });

  it('serves reads from the standby, and a write on one instance is read back at once on another', async () => {
    const a = instance(1000);
    const b = instance(1000);
    await until(() => a.replica.usable() && b.replica.usable());
    await flag(a.services, 'ryw@example.com', false);
    // The standby applies each commit 150 ms late: a read there right after a write would
    // miss it, unless the write waited for the standby to apply it (remote_apply).
    const delay = (ms: number) =>
      runSql(pair.standby.url(), `ALTER SYSTEM SET recovery_min_apply_delay = ${ms}`).then(() =>
        runSql(pair.standby.url(), 'SELECT pg_reload_conf()'),
      );
    await delay(150);
    // Statements each instance sends its standby pool (the probe's are not counted).
    let onStandby = 0;
    for (const x of [a, b])
      x.replica.database.knex.on('query', (q: { sql: string }) => {
        if (/\bleads\b/.test(q.sql)) onStandby++;
      });
    try {
      for (let i = 0; i < 16; i++) {
        const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
        await flag(writer.services, 'ryw@example.com', i % 3 !== 0);
        expect(await readFlag(reader.services, 'ryw@example.com'), `round ${i}`).to.equal(
          i % 3 !== 0,
        );
      }
    } finally {
      await delay(0);
    }
    // Every read went to the standby.
    expect(onStandby).to.be.at.least(16);
  });

  it('reads go to the primary while the standby lags more than the bound, and back once it catches up', async () => {
    // Writes here wait for the standby's flush only, so they go on while its replay is paused.
    const c = instance(300, false);
    await until(() => c.replica.usable());
    const onStandby = async () =>
      (
        await runSql(
          pair.standby.url('du'),
          "SELECT unsubscribed FROM leads WHERE email = 'lag@example.com'",
        )
      ).rows as Array<{ unsubscribed: boolean }>;
    await flag(c.services, 'lag@example.com', false);
    // Acknowledged once the standby has flushed it, replayed a moment later: its replay paused
    // before then, the standby would hold no such person at all.
    await settle(
      'the standby replaying the new person',
      async () => (await onStandby()).length > 0,
    );
    await runSql(pair.standby.url(), 'SELECT pg_wal_replay_pause()');
    try {
      await flag(c.services, 'lag@example.com', true);
      await until(() => !c.replica.usable());
      expect(c.replica.staleness() ?? Infinity).to.be.above(300);
      // The standby still holds the old value; the answer is the primary's.
      expect(await onStandby()).to.deep.equal([{ unsubscribed: false }]);
      expect(await readFlag(c.services, 'lag@example.com')).to.equal(true);
    } finally {
      await runSql(pair.standby.url(), 'SELECT pg_wal_replay_resume()');
    }
    await until(() => c.replica.usable());
  });

  it('reads go to the primary when the standby cannot be reached', async () => {
    const d = instance(1000);
    await until(() => d.replica.usable());
    pair.standby.stop();
    try {
      expect(await readFlag(d.services, 'lag@example.com')).to.equal(true);
      await until(() => !d.replica.usable());
    } finally {
      pair.standby.start();
    }
  });
});
