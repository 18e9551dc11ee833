/**
 * The SQLite writer's checkpoint threshold (SQLITE_WAL_AUTOCHECKPOINT_PAGES) under the
 * benchmark's syncLeadUnsubscribe, two thresholds interleaved in one process. Each gets a
 * database of its own, seeded alike (addresses of 11 people); rounds of syncLead by address,
 * each address's flag alternating (half the calls re-subscribe, as in the benchmark), 8 in
 * flight, alternate between A and B, the order swapped each round. Per round and side: wall
 * time and the process's CPU per call (every thread: the writer's checkpoints and COMMITs
 * included), and the size of the WAL file. For a shared machine: read the per-round ratios.
 *
 *   node --import tsx bench/wal-checkpoint-ab.ts [rounds] [calls] [pagesA] [pagesB] [warm-up rounds]
 *
 * The warm-up rounds (1 by default) let a WAL reach its threshold once before the timed rounds:
 * until a checkpoint lets the writer start the log again from its beginning, every COMMIT
 * makes the file longer, and that costs more than writing over frames already there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { interleaved, ratioMedians, seededSqlite, syncLeadRounds } from './lib/sync-lead-ab.js';

const [rounds, calls, pagesA, pagesB, warmUps] = [8, 1000, 10000, 30000, 1].map((fallback, i) =>
  Number(process.argv[2 + i] ?? fallback),
) as [number, number, number, number, number];
const IN_FLIGHT = 8;

async function side(pages: number) {
  const db = await seededSqlite('du-wal-ab-', pages);
  const wal = () => fs.readdirSync(db.dataDir).find((f) => f.endsWith('-wal'));
  return {
    ...db,
    round: syncLeadRounds(db.services, calls, IN_FLIGHT),
    walBytes: () => {
      const file = wal();
      return file === undefined ? 0 : fs.statSync(path.join(db.dataDir, file)).size;
    },
  };
}

const A = await side(pagesA);
const B = await side(pagesB);
console.log(`A ${pagesA} pages, B ${pagesB}; ${calls} calls a round, ${IN_FLIGHT} in flight`);
const mib = (bytes: number) => (bytes / 1048576).toFixed(0);
const figures = await interleaved(
  { A: A.round, B: B.round },
  rounds,
  warmUps,
  () => `WAL ${mib(A.walBytes())} / ${mib(B.walBytes())} MiB;`,
);
console.log(ratioMedians(figures));
await A.end();
await B.end();
