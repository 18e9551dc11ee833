/**
 * /readyz on a full volume: on the embedded database every write fails once the volume of
 * DATA_DIR is full, so the instance is not ready below READY_MIN_FREE_MB free (its reason in
 * the body, the free space in du_data_dir_free_bytes). Shown on a small tmpfs where the test
 * may mount one (root), filled and emptied while the service runs; and on any machine by a
 * floor above the real free space. On PostgreSQL the server's disk is not ours to look at.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { eventually, serveAtInfo, type Spawned } from './support.js';

const MIB = 1024 * 1024;

async function readyz(base: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls /readyz until its status is `status` (a look is kept 5 s at most); the last answer. */
async function readyzBecomes(base: string, status: number) {
  let last = await readyz(base);
  for (let waited = 0; last.status !== status && waited < 20000; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    last = await readyz(base);
  }
  return last;
}

for (const engine of testEngines()) {
  describe(`/readyz and READY_MIN_FREE_MB above the free space (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    // 1 TiB: more than this machine's test volume has free.
    before(async () => {
      service = await startTestService(engine, { readyMinFreeMb: 1048576 });
    });
    after(() => service.stop());

    it(
      engine.name === 'sqlite'
        ? 'is not ready, saying how much is free and the floor'
        : 'is ready: the server disk is not looked at',
      async () => {
        const r = await readyz(service.base);
        if (engine.name !== 'sqlite') {
          expect(r).to.deep.equal({ status: 200, body: { status: 'ready', engine: 'postgres' } });
          return;
        }
        expect(r.status).to.equal(503);
        expect(r.body.status).to.equal('not ready');
        expect(r.body.reason).to.match(
          /^the database volume has \d+ MiB free, under READY_MIN_FREE_MB \(1048576\)$/,
        );
        // Writes are not refused for it: the floor says when to stop sending, not what to store.
        expect((await fetch(`${service.base}/healthz`)).status).to.equal(200);
      },
    );
  });
}

describe('/readyz on a small volume filled while the service runs (sqlite)', function () {
  this.timeout(90000);
  let dir: string;
  let mounted = false;
  let serving: Spawned | undefined;
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-free-space-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m,mode=0700', 'tmpfs', dir], {
        stdio: 'ignore',
      });
      mounted = true;
    } catch {
      console.log('      (skipped: cannot mount a tmpfs here; the floor above covers the check)');
      this.skip();
    }
  });
  after(async () => {
    if (serving && serving.child.exitCode === null && serving.child.signalCode === null) {
      serving.child.kill('SIGTERM');
      await serving.exited;
    }
    if (mounted) execFileSync('umount', [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is not ready under the floor, with the reason and the metric, and ready again once emptied', async () => {
    serving = serveAtInfo({
      DATABASE_URL: '',
      DATA_DIR: path.join(dir, 'data'),
      READY_MIN_FREE_MB: '64',
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    });
    const port = await serving.port;
    const base = `http://127.0.0.1:${port}`;
    const banner = () => /Metrics:\s+http:\/\/\S+:\d+\/metrics/.test(serving!.output());
    expect(await eventually(banner)).to.equal(true);
    const metricsUrl = /Metrics:\s+(http:\/\/\S+:\d+\/metrics)/.exec(serving.output())![1]!;
    const freeMetric = async () => {
      const text = await (await fetch(metricsUrl)).text();
      return Number(/^du_data_dir_free_bytes (\S+)$/m.exec(text)![1]);
    };
    expect((await readyzBecomes(base, 200)).status).to.equal(200);
    expect(await freeMetric()).to.be.above(64 * MIB);

    // Filled to 16 MiB free: the database itself still writes, the floor is crossed.
    const filler = path.join(dir, 'filler');
    const room = fs.statfsSync(dir);
    fs.writeFileSync(filler, Buffer.alloc(room.bavail * room.bsize - 16 * MIB));
    const full = await readyzBecomes(base, 503);
    expect(full.status).to.equal(503);
    expect(full.body.reason).to.match(
      /^the database volume has 1[0-9] MiB free, under READY_MIN_FREE_MB \(64\)$/,
    );
    expect(await freeMetric()).to.be.below(64 * MIB);

    fs.rmSync(filler);
    expect(await readyzBecomes(base, 200)).to.deep.equal({
      status: 200,
      body: { status: 'ready', engine: 'sqlite' },
    });
  });
});
