/**
 * The benchmark's quick mode, as CI runs it: it must start the service and both ceilings, drive
 * every scenario and produce figures. Speeds are the benchmark's business (docs/benchmarks.md),
 * never asserted here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { processesFor } from '../../bench/ceilings/cluster.js';
import { runBenchmark } from '../../bench/run.js';

describe('benchmark, quick mode', function () {
  // About a minute per engine on a small machine.
  this.timeout(600000);

  it('runs every scenario against the service and both ceilings and writes figures', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-bench-test-'));
    const jsonFile = path.join(dir, 'benchmarks.json');
    try {
      const report = await runBenchmark({ quick: true, jsonFile, log: () => undefined });
      const written = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as typeof report;
      expect(written.engines.map((e) => e.engine)).to.deep.equal(
        report.engines.map((e) => e.engine),
      );
      expect(report.engines.length).to.be.greaterThan(0);
      for (const engine of report.engines) {
        // The service and the ceilings ran the engine's number of processes, and the report
        // says so.
        expect(engine.processes).to.equal(processesFor(engine.engine as 'sqlite' | 'postgres'));
        expect(engine.scenarios.map((s) => s.name)).to.deep.equal([
          'getLead',
          'syncLeadNoChange',
          'syncLeadUnsubscribe',
          'getLeadActivity',
          'syncMultipleLeads',
          'oneClick',
        ]);
        for (const s of engine.scenarios) {
          for (const target of ['bare', 'soapEcho', 'service'] as const) {
            expect(s.targets[target].rps, `${engine.engine} ${s.name} ${target}`).to.be.greaterThan(
              0,
            );
            expect(
              s.targets[target].p50,
              `${engine.engine} ${s.name} ${target} p50`,
            ).to.be.at.least(0);
            expect(
              s.targets[target].p99,
              `${engine.engine} ${s.name} ${target} p99`,
            ).to.be.greaterThan(0);
          }
          expect(s.ratioToSoapEcho).to.be.greaterThan(0);
          expect(s.ratioToBare).to.be.greaterThan(0);
        }
        expect(
          engine.scenarios.find((s) => s.name === 'syncMultipleLeads')?.leadsPerSecond,
        ).to.be.greaterThan(0);
        expect(engine.peakRssUnderLoadMiB).to.be.greaterThan(0);
        for (const curve of Object.values(engine.scaling)) {
          expect(curve.length).to.be.greaterThan(1);
          for (const point of curve) expect(point.ms).to.be.greaterThan(0);
        }
        expect(engine.targets.length).to.be.greaterThan(0);
      }
      // The docs are written only by a full run.
      expect(fs.readdirSync(dir)).to.deep.equal(['benchmarks.json']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
