/**
 * bench/alloc.ts counts a scenario's bytes per call in the built service's main thread: the
 * probe's two counts (the heap's growth plus what was freed, and the sampling profiler's
 * total) both present and in agreement, on each engine the suite runs; for the one-click POST
 * and for getLead, one of the mixed load's calls (its people seeded first).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { buildService } from '../support/service-process.js';
import { testEngines } from '../support/database.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('bench/alloc.ts', function () {
  // Seeding, a warm-up and the counted calls on a loaded machine.
  this.timeout(600000);

  it('prints the bytes each call allocates, its two counts agreeing', async () => {
    buildService();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/alloc.ts', 'oneClick,getLead', '400', '--top', '40'],
      { cwd: ROOT, env: process.env },
    );
    for (const engine of testEngines()) {
      for (const scenario of ['oneClick', 'getLead']) {
        const m = new RegExp(
          `${scenario} on ${engine.name}: (\\d+) B allocated a call \\(400 calls[^\\n]*\\n  sampled (\\d+) B a call`,
        ).exec(stdout);
        expect(m, stdout).to.not.equal(null);
        const [counted, sampled] = [Number(m![1]), Number(m![2])];
        expect(counted).to.be.greaterThan(0);
        expect(Math.abs(sampled - counted) / counted, stdout).to.be.lessThan(0.2);
      }
      expect(stdout).to.match(new RegExp(`\\d B  [^\\n]*src/one-click/`));
      expect(stdout).to.match(new RegExp(`\\d B  [^\\n]*src/mktows/`));
    }
  });
});
