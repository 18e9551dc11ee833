/**
 * Timing the same reads at two sizes on a shared machine. A sub-millisecond read's wall time is
 * mostly how long its process (and, on PostgreSQL, the server's) waits to be scheduled: on a
 * loaded machine most calls wait a timeslice or more, and only some run undisturbed. The
 * fastest of a few dozen calls may still have waited on one side and not the other (ratios of
 * 0.3 to 2.6 between equal reads were seen with 15 to 31 calls each on 2 busy cores). Taken in
 * turns over many rounds, each read's fastest call is one that ran undisturbed: what is left is
 * the read's own cost. (For sub-millisecond reads: a read of many milliseconds is rarely
 * undisturbed on a loaded machine, and its fastest call is no steadier than its median.)
 */
export async function fastestInTurns(
  reads: Array<() => Promise<unknown>>,
  rounds: number,
  warmUp = 3,
): Promise<number[]> {
  const best = reads.map(() => Infinity);
  for (let i = 0; i < warmUp + rounds; i++)
    for (const [k, read] of reads.entries()) {
      const started = process.hrtime.bigint();
      await read();
      const elapsed = Number(process.hrtime.bigint() - started);
      if (i >= warmUp) best[k] = Math.min(best[k]!, elapsed);
    }
  return best;
}
