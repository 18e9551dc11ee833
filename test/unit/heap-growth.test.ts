import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { loadConfig, ConfigError } from '../../src/config.js';

const PROBE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../support/heap-growth-probe.ts',
);

/** The largest heap of the probe's workload with HEAP_GROWTH_PERCENT = `percent`. */
function largestHeap(percent: number): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', PROBE, String(percent)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`probe failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

describe('HEAP_GROWTH_PERCENT', () => {
  it('is a percentage from 0 (V8 chooses) to 300, 100 by default', () => {
    expect(loadConfig({}).heapGrowthPercent).to.equal(100);
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).to.equal(0);
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '25' }).heapGrowthPercent).to.equal(25);
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: '301' })).to.throw(
      ConfigError,
      /HEAP_GROWTH_PERCENT/,
    );
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: '-1' })).to.throw(
      ConfigError,
      /HEAP_GROWTH_PERCENT/,
    );
  });

  it('bounds how far the heap grows between full collections', function () {
    this.timeout(60000);
    // The same workload: a small growth collects sooner, so the heap stays smaller.
    const small = largestHeap(20);
    const large = largestHeap(300);
    expect(small).to.be.below(large * 0.75, `20 %: ${small} B, 300 %: ${large} B`);
  });
});
