/**
 * DATABASE_URL reaching a server that takes no writes while the service runs: the old primary
 * back as a standby after a failover, or a failover script that pointed the pooler at a standby
 * still in recovery. PgBouncer's `du` is re-pointed at the streaming standby under a running
 * instance. A write there fails with 25006 (read_only_sql_transaction): the caller must get the
 * retryable 20011, never an internal error, and /readyz must take the instance's database for
 * what it is (503) until the pooler points at a primary again; then the retried opt-out holds.
 */
import { expect } from 'chai';
import { faultCode, rawCall } from '../support/service.js';
import { runSql } from './postgres-pair.js';
import { startTopology, topologyUnavailable, type Topology } from './topology.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const unsubscribeXml = (email: string) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList>` +
  '<attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute>' +
  '</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>';

/** /readyz of the instance once its one-second cache has passed. */
async function readinessNow(base: string): Promise<{ status: number; body: string }> {
  await sleep(1100);
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: await res.text() };
}

describe('topology: DATABASE_URL reaching a standby (read-only) under a running instance', function () {
  this.timeout(180000);
  let topology: Topology | undefined;

  before(async function () {
    const why = topologyUnavailable();
    if (why) {
      if (process.env.CI) throw new Error(`topology unavailable in CI: ${why}`);
      return this.skip();
    }
    topology = await startTopology({ synchronous: false, instances: 1 });
  });
  after(async () => {
    await topology?.close();
  });

  it('answers a write 20011 and /readyz 503 while the server is in recovery, and writes again once it is a primary', async () => {
    const t = topology!;
    const instance = t.instances[0]!;
    const first = await rawCall(instance.url, unsubscribeXml('before@example.com'));
    expect(first.status, first.body).to.equal(200);

    // The pooler now sends `du` to the standby, in recovery: reads work there, writes do not.
    await t.bouncer.repoint({ primaryPort: t.pair.standby.port, standbyPort: t.pair.standby.port });
    const refused = await rawCall(instance.url, unsubscribeXml('optout@example.com'));
    expect(refused.status, refused.body).to.equal(500);
    expect(faultCode(refused.body), refused.body).to.equal(20011);
    const notReady = await readinessNow(instance.base);
    expect(notReady.status, notReady.body).to.equal(503);
    expect(notReady.body).to.match(/takes no writes/);

    // Back on the primary: the client's retry is acknowledged and stored.
    await t.bouncer.repoint({ primaryPort: t.pair.primary.port, standbyPort: t.pair.standby.port });
    const retried = await rawCall(instance.url, unsubscribeXml('optout@example.com'));
    expect(retried.status, retried.body).to.equal(200);
    expect((await readinessNow(instance.base)).status).to.equal(200);
    const stored = await runSql(
      t.primaryUrl(),
      "SELECT count(*)::int AS n FROM email_status WHERE email_key = 'optout@example.com' AND unsubscribed",
    );
    expect(stored.rows[0].n).to.equal(1);
  });
});
