/**
 * Preloaded into the service by bench/alloc.ts (NODE_OPTIONS=--import …): the first SIGUSR2 starts
 * counting what the main thread allocates, the second writes the count to ALLOC_PROBE_OUT. Bytes
 * allocated = heap used at the end - at the start + what every collection in between freed
 * (v8.GCProfiler); where they come from = V8's sampling heap profiler with collected objects kept.
 */
import fs from 'node:fs';
import process from 'node:process';
import { Session } from 'node:inspector';
import v8 from 'node:v8';
import { isMainThread } from 'node:worker_threads';

const out = process.env.ALLOC_PROBE_OUT;
if (isMainThread && out) {
  let running;
  process.on('SIGUSR2', () => {
    if (!running) {
      const session = new Session();
      session.connect();
      const gc = new v8.GCProfiler();
      session.post('HeapProfiler.startSampling', {
        samplingInterval: 1024,
        includeObjectsCollectedByMinorGC: true,
        includeObjectsCollectedByMajorGC: true,
      });
      gc.start();
      running = { session, gc, used: v8.getHeapStatistics().used_heap_size };
      return;
    }
    const { session, gc, used } = running;
    running = undefined;
    const end = v8.getHeapStatistics().used_heap_size;
    const stats = gc.stop().statistics;
    const freed = stats.reduce(
      (n, s) => n + s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize,
      0,
    );
    session.post('HeapProfiler.stopSampling', (error, result) => {
      session.disconnect();
      const file = {
        allocated: end - used + freed,
        collections: stats.length,
        profile: result?.profile,
      };
      fs.writeFileSync(`${out}.tmp`, JSON.stringify(file));
      fs.renameSync(`${out}.tmp`, out);
    });
  });
}
