import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  activitiesOf,
  attr,
  createLead,
  expectNoViolations,
  openHarness,
  setFlag,
  web,
  type Harness,
} from '../support/harness.js';
import {
  expectAddressesSettled,
  hammer,
  noRetryLeads,
  RACE_ADDRESSES,
  seedRaceLeads,
  type HammerResult,
} from '../support/hammer.js';

const WORKER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../support/sqlite-hammer-worker.ts',
);

function runWorker(
  dataDir: string,
  count: number,
  seed: number,
  ids: readonly number[],
  onReady: () => void,
): Promise<HammerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER, dataDir, String(count), String(seed), ids.join(',')],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: path.resolve(path.dirname(WORKER), '../..') },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const before = out;
      out += chunk.toString();
      if (!before.includes('ready\n') && out.includes('ready\n')) onReady();
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) {
        reject(new Error(`worker exited ${code}: ${err || out}`));
        return;
      }
      resolve(JSON.parse(line) as HammerResult);
    });
  });
}

for (const engine of testEngines()) {
  describe(`durable rules under concurrency (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;

    beforeEach(async () => {
      h = await openHarness(engine);
    });
    afterEach(() => h.drop());

    it('200 parallel mixed operations over 4 shared addresses, through several instances, keep the invariant', async () => {
      // PostgreSQL: three pools. SQLite: two Database objects (two connections) on one file.
      const instances =
        engine.name === 'postgres'
          ? [h.openAnother(), h.openAnother(), h.openAnother()]
          : [h.openAnother(), h.openAnother()];
      const ids = await seedRaceLeads(h.services);

      const result = await hammer(instances, ids, 200, 20261126);

      expect(result.failures).to.deep.equal([]);
      expect(result.ok).to.equal(200);
      await expectAddressesSettled(h.services, RACE_ADDRESSES);
      // The hammer really wrote to every address.
      for (const address of RACE_ADDRESSES) {
        expect((await h.services.durableStatus.explain(address)).history.length).to.be.above(0);
      }
    });

    it('the last committed write wins entirely: leads, status and logs agree after each race', async () => {
      const [s1, s2, s3] = [h.openAnother(), h.openAnother(), h.openAnother()];
      const address = 'lww@example.com';
      const x = await createLead(h.services, address);
      const y = await createLead(h.services, 'LWW@example.com', { partition: 'East' });
      const z = await createLead(h.services, 'lww-elsewhere@example.com', { partition: 'West' });
      for (let round = 0; round < 12; round++) {
        // Start each round unsubscribed or subscribed, so either request can be the effective one.
        await setFlag(h.services, x, round % 2 === 0);
        const settled = await Promise.allSettled([
          s1.leads.setUnsubscribed(x, true, web),
          s2.leads.setUnsubscribed(y, false, web),
          s3.leads.changeEmail(z, round % 3 === 0 ? 'lww-elsewhere@example.com' : address, web),
        ]);
        expect(settled.map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled']);

        const report = await h.services.durableStatus.explain(address);
        const last = report.history[report.history.length - 1]!;
        // Whoever committed last set the status, and its intent is what everyone holds.
        expect(last.unsubscribed).to.equal(last.leadId === x);
        expect(report.status).to.include({ unsubscribed: last.unsubscribed, leadId: last.leadId });
        for (const lead of report.leads) {
          expect(lead.unsubscribed, `lead ${lead.id} round ${round}`).to.equal(last.unsubscribed);
          const newest = (await activitiesOf(h.services, lead.id)).find(
            (a) => attr(a, 'Attribute Name') === 'Unsubscribed',
          );
          if (newest) expect(attr(newest, 'New Value')).to.equal(String(lead.unsubscribed));
        }
        await expectNoViolations(h.services);
      }
    });

    if (engine.name === 'sqlite') {
      it('two OS processes hammering one SQLite file: no failed request, no SQLITE_BUSY, no violation', async () => {
        const ids = await seedRaceLeads(h.services);
        let ready!: () => void;
        const workerReady = new Promise<void>((r) => (ready = r));
        const worker = runWorker(h.dataDir, 150, 7, ids, ready);
        await Promise.race([workerReady, worker]);
        const mine = await hammer([noRetryLeads(h.db)], ids, 150, 8);
        const theirs = await worker;

        expect(mine.failures).to.deep.equal([]);
        expect(theirs.failures).to.deep.equal([]);
        expect(mine.ok + theirs.ok).to.equal(300);
        // The two processes really ran at the same time.
        expect(theirs.startedAt).to.be.below(mine.endedAt);
        expect(mine.startedAt).to.be.below(theirs.endedAt);
        await expectAddressesSettled(h.services, RACE_ADDRESSES);
      });
    }
  });
}
