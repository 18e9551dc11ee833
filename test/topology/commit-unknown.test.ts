/**
 * The connection breaks while COMMIT is on its way: PostgreSQL commits, the service never
 * hears back. Such a write must not be reported as a success (it is 20011, "try again"), and
 * the client's retry of the same call must leave the data as one call would.
 */
import net from 'node:net';
import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { migrateLatest } from '../../src/data-access/migrator.js';
import { createServices, type Services } from '../../src/compose.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import {
  createPrivatePostgres,
  privatePostgresUnavailable,
  type PrivatePostgres,
} from '../support/private-postgres.js';
import { web } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

/** A TCP relay to PostgreSQL that, when armed, cuts the client off right after a COMMIT. */
function commitCutter(target: number): Promise<{ port: number; arm(): void; close(): void }> {
  let armed = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (armed && chunk.includes('COMMIT')) {
        armed = false;
        // The COMMIT reaches the server; its answer never reaches the service. The server's
        // side is ended (FIN after the COMMIT), never reset: a reset could discard the COMMIT
        // before the server has read it.
        client.destroy();
        upstream.end();
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk);
    });
    const drop = () => {
      client.destroy();
      upstream.end();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', () => client.destroy()).on('close', () => client.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        arm: () => void (armed = true),
        close() {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

describe('topology: connection lost during COMMIT', function () {
  this.timeout(120000);
  let pg: PrivatePostgres | undefined;
  let cutter: Awaited<ReturnType<typeof commitCutter>> | undefined;
  let direct: Database | undefined;
  let relayed: Database | undefined;
  let truth: Services;
  let service: Services;

  before(async function () {
    const why = privatePostgresUnavailable();
    if (why) {
      if (process.env.CI) throw new Error(`private PostgreSQL unavailable in CI: ${why}`);
      return this.skip();
    }
    pg = await createPrivatePostgres();
    const open = (url: string) =>
      openDatabase({ databaseUrl: url, dataDir: '', sqliteBusyTimeoutMs: 0, dbPoolMax: 1 });
    direct = open(pg.url);
    await migrateLatest(direct);
    cutter = await commitCutter(Number(new URL(pg.url).port));
    const relayedUrl = new URL(pg.url);
    relayedUrl.port = String(cutter.port);
    relayed = open(relayedUrl.toString());
    const config = { customFields: [], defaultPartition: 'Default' };
    truth = createServices(direct, config);
    service = createServices(relayed, config);
  });
  after(async () => {
    await relayed?.close();
    await direct?.close();
    cutter?.close();
    pg?.destroy();
  });

  const unsubscribe = (email: string) =>
    service.leads.sync(
      { email, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
      { path: web },
    );

  it('answers "database unavailable", though the write committed; the retry changes nothing more', async () => {
    await service.leads.sync({ email: 'cut@example.com' }, { path: web });

    cutter!.arm();
    const error = await unsubscribe('cut@example.com').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    // The outcome was unknown to the service, not to PostgreSQL: it commits (as soon as the
    // server has read the COMMIT, which may be just after the service saw the cut).
    let committed = await truth.durableStatus.explain('cut@example.com');
    await waitFor(async () => {
      committed = await truth.durableStatus.explain('cut@example.com');
      return committed.status?.unsubscribed === true;
    });
    expect(committed.status?.unsubscribed).to.equal(true);

    const retried = await unsubscribe('cut@example.com');
    expect(retried.status).to.equal('UPDATED');
    const after = await truth.durableStatus.explain('cut@example.com');
    expect(after.history).to.have.length(committed.history.length);
    expect(after.leads.map((l) => l.unsubscribed)).to.deep.equal([true]);
  });

  it('a create cut off at COMMIT and retried makes one person', async () => {
    cutter!.arm();
    const error = await unsubscribe('new-cut@example.com').then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    await unsubscribe('new-cut@example.com');
    const report = await truth.durableStatus.explain('new-cut@example.com');
    expect(report.leads).to.have.length(1);
    expect(report.status?.unsubscribed).to.equal(true);
  });
  it('a batch (syncMultipleLeads, dedup on) cut off at COMMIT and retried makes each person and change once', async () => {
    const batch = [
      { email: 'batch-a@example.com', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
      { email: 'batch-b@example.com' },
      { email: 'batch-c@example.com', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
    ];
    const ctx = { path: web, matchByEmail: true };
    await service.leads.sync({ email: 'batch-c@example.com' }, { path: web });
    cutter!.arm();
    const error = await service.leads.syncMany(batch, ctx).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as AppError).code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    // What of it committed before the connection broke depends on where the cut fell (the
    // first test shows a committed write answered 20011); the retry must complete it once.
    const retried = await service.leads.syncMany(batch, ctx);
    expect(retried.every((r) => !(r instanceof AppError))).to.equal(true);
    for (const email of ['batch-a@example.com', 'batch-b@example.com', 'batch-c@example.com'])
      expect((await truth.durableStatus.explain(email)).leads, email).to.have.length(1);
    for (const email of ['batch-a@example.com', 'batch-c@example.com']) {
      const report = await truth.durableStatus.explain(email);
      expect(report.status?.unsubscribed, email).to.equal(true);
      expect(report.history, email).to.have.length(1);
    }
  });
});
