/**
 * A rolling restart of the three instances under load, the way docs/operations.md tells an
 * operator to do it: take one out of HAProxy (drain), stop it (SIGTERM: in-flight calls
 * finish), start the new one, put it back; then the next.
 */
import { expect } from 'chai';
import { startTopology, topologyUnavailable, type Topology } from './topology.js';
import { Workload } from './workload.js';

describe('topology: rolling restart of the instances under load', function () {
  this.timeout(240000);
  let topology: Topology | undefined;

  before(async function () {
    const why = topologyUnavailable();
    if (why) {
      if (process.env.CI) throw new Error(`topology unavailable in CI: ${why}`);
      return this.skip();
    }
    topology = await startTopology({ synchronous: true, readReplica: true });
  });
  after(async () => {
    await topology?.close();
  });

  it('loses no acknowledged call and fails none that a client would not retry', async () => {
    const t = topology!;
    const workload = new Workload(t.haproxy.url, 'rolling');
    await workload.seed();
    await workload.baseline(t.primaryUrl());
    const running = workload.run();
    const pids = t.instances.map((s) => s.pid);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      for (let i = 0; i < t.instances.length; i++) {
        await t.restartInstance(i);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      workload.stop();
      await running;
    }
    const report = workload.report();
    const verified = await workload.verify(t.primaryUrl());
    console.log(
      `      rolling restart: ${report.acknowledged} acknowledged, ${report.failures.length} failed attempts ` +
        JSON.stringify(report.failures.map((f) => f.kind)),
    );
    // Every instance really is a new process.
    expect(t.instances.map((s) => s.pid).filter((p) => pids.includes(p))).to.deep.equal([]);
    expect(report.unretryable, t.output()).to.deep.equal([]);
    expect(verified.lost).to.equal(0);
    expect(verified.violations).to.equal(0);
    expect(verified.duplicateCreates).to.deep.equal([]);
    expect(verified.extraStatusChanges).to.equal(0);
    expect(report.acknowledged).to.be.above(30);
  });
});
