import v8 from 'node:v8';
import { limitHeapGrowth } from '../../src/cli/heap-growth.js';

/**
 * Run as a process of its own (the setting is the process's): applies HEAP_GROWTH_PERCENT as
 * the service does, then keeps ~20 MiB of objects alive while batches of short-lived ones, each
 * kept across a few more batches as a call's data is, pass through. Prints the largest heap V8
 * held meanwhile, in bytes.
 */
limitHeapGrowth(Number(process.argv[2]));
const kept: unknown[] = [];
for (let i = 0; i < 200_000; i++) kept.push({ id: i, name: `person-${i}` });
const inFlight: unknown[][] = [];
let largest = 0;
for (let round = 0; round < 120; round++) {
  const batch: unknown[] = [];
  for (let i = 0; i < 20_000; i++)
    batch.push({ id: i, email: `p${i}@example.com`, row: [i, round] });
  inFlight.push(batch);
  if (inFlight.length > 4) inFlight.shift();
  largest = Math.max(largest, v8.getHeapStatistics().total_heap_size);
}
process.stdout.write(`${largest}\n`);
