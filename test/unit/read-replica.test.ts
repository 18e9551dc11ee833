import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Database } from '../../src/data-access/database.js';
import { parseLsn, ReadReplica } from '../../src/data-access/read-replica.js';
import { Metrics } from '../../src/metrics.js';

/** A database whose only statement answers with the row `answer()` gives (or throws). */
function fakeDatabase(answer: () => Record<string, unknown>): Database {
  return {
    engine: 'postgres',
    location: 'fake',
    knex: { raw: () => Promise.resolve({ rows: [answer()] }) },
    close: () => Promise.resolve(),
  } as unknown as Database;
}

describe('read replica staleness', () => {
  it('orders WAL positions as PostgreSQL does', () => {
    expect(parseLsn('0/16B3748') < parseLsn('0/16B3750')).to.equal(true);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).to.equal(true);
    expect(() => parseLsn('nonsense')).to.throw(/WAL position/);
  });

  it('is the age of the newest primary position the standby has replayed', async () => {
    let now = 1000;
    let primary = '0/100';
    let replayed = '0/100';
    let standbyDown = false;
    const replica = new ReadReplica(
      fakeDatabase(() => ({ lsn: primary })),
      fakeDatabase(() => {
        if (standbyDown) throw new Error('connect ECONNREFUSED');
        return { recovering: true, lsn: replayed };
      }),
      { maxLagMs: 500 },
      () => now,
    );
    expect(replica.usable()).to.equal(false); // no probe yet
    await replica.probe();
    expect(replica.staleness()).to.equal(0);
    expect(replica.usable()).to.equal(true);

    // The primary writes on; the standby stops replaying at 0/100.
    for (const lsn of ['0/200', '0/300', '0/400']) {
      now += 200;
      primary = lsn;
      await replica.probe();
    }
    expect(replica.staleness()).to.equal(600);
    expect(replica.usable()).to.equal(false);

    // It catches up to what the primary had at 1400 (0/300), not yet to 0/400.
    replayed = '0/300';
    now += 200;
    primary = '0/500';
    await replica.probe();
    expect(replica.staleness()).to.equal(400);
    expect(replica.usable()).to.equal(true);

    standbyDown = true;
    await replica.probe();
    expect(replica.usable()).to.equal(false);
  });
});

describe('read replica out of recovery', () => {
  const STARTED = '1796428800.123456';
  const replicaOf = (standbyStarted: string) =>
    new ReadReplica(
      fakeDatabase(() => ({ lsn: '0/900', started: STARTED })),
      fakeDatabase(() => ({ recovering: false, lsn: '0/100', started: standbyStarted })),
      { maxLagMs: 500 },
    );

  it('is used when it is the primary itself (after a failover both URLs reach the new primary)', async () => {
    const replica = replicaOf(STARTED);
    await replica.probe();
    expect(replica.usable()).to.equal(true);
  });

  it('is not used when it is another server: promoted beside a primary still writing, it replays nothing more', async () => {
    const replica = replicaOf('1796428807.654321');
    await replica.probe();
    expect(replica.staleness()).to.equal(null);
    expect(replica.usable()).to.equal(false);
  });
});

describe('read replica metrics', () => {
  it('exposes the staleness, and -1 while it is unknown', async () => {
    let staleness: number | null = 250;
    const metrics = new Metrics();
    metrics.watchReadReplica({ staleness: () => staleness });
    expect(await metrics.registry.metrics()).to.match(/^du_read_replica_staleness_seconds 0\.25$/m);
    staleness = null;
    expect(await metrics.registry.metrics()).to.match(/^du_read_replica_staleness_seconds -1$/m);
  });
});

describe('read replica settings', () => {
  it('DATABASE_READ_URL without DATABASE_URL stops the start with a message naming both', () => {
    expect(() => loadConfig({ DATABASE_READ_URL: 'postgres://standby/du' })).to.throw(
      ConfigError,
      /DATABASE_READ_URL needs DATABASE_URL/,
    );
    expect(
      loadConfig({
        DATABASE_URL: 'postgres://primary/du',
        DATABASE_READ_URL: 'postgres://standby/du',
      }).databaseReadUrl,
    ).to.equal('postgres://standby/du');
  });
});
