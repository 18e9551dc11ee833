import v8 from 'node:v8';

/**
 * Sets how far V8 lets this process's heap grow past what its last full collection kept
 * (HEAP_GROWTH_PERCENT), for the main thread and the SQLite threads alike: the flag is the
 * process's, and V8 reads it each time it sets the next collection's limit. Left to itself, V8
 * let the main thread's heap, 28 MiB of live objects, reach 85–105 MiB under concurrent
 * batches, which leave mostly garbage behind (docs/operations.md#memory). Set here rather than
 * on node's command line because node refuses the flag in NODE_OPTIONS: the setting then holds
 * however the service is started. 0 leaves V8's own choice.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
