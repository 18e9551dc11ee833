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
import os from 'node:os';
import path from 'node:path';
import { ChangePaths } from '../src/domain/change-paths.js';
import { createServices } from '../src/compose.js';
import { openDatabase } from '../src/data-access/database.js';
import { migrateLatest } from '../src/data-access/migrator.js';

const [rounds, calls, pagesA, pagesB, warmUps] = [8, 1000, 10000, 30000, 1].map((fallback, i) =>
  Number(process.argv[2 + i] ?? fallback),
) as [number, number, number, number, number];
const IN_FLIGHT = 8;
const ADDRESSES = 400;
const web = ChangePaths.webService();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Side {
  pages: number;
  walBytes(): number;
  round(): Promise<{ wall: number; cpu: number }>;
  end(): Promise<void>;
}

async function side(pages: number): Promise<Side> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-wal-ab-'));
  const db = openDatabase({
    databaseUrl: '',
    dataDir,
    sqliteBusyTimeoutMs: 10000,
    sqliteWalAutocheckpointPages: pages,
    dbPoolMax: 1,
  });
  await migrateLatest(db);
  const services = createServices(db, { customFields: [], defaultPartition: 'Default' }, {});
  for (let start = 0; start < ADDRESSES; start += 25) {
    const inputs = [];
    for (let a = start; a < start + 25; a++)
      for (let p = 0; p < 11; p++)
        inputs.push({
          email: `a${a}@bench.example`,
          attributes: [{ name: 'FirstName', value: `P${p}` }],
        });
    await services.leads.syncMany(inputs, { path: web, matchByEmail: false });
  }
  const wal = () => fs.readdirSync(dataDir).find((f) => f.endsWith('-wal'));
  let visits = 0;
  return {
    pages,
    walBytes: () => {
      const file = wal();
      return file === undefined ? 0 : fs.statSync(path.join(dataDir, file)).size;
    },
    async round() {
      const first = visits;
      visits += calls;
      let i = 0;
      const t0 = process.hrtime.bigint();
      const c = process.cpuUsage();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (i < calls) {
            const k = first + i++;
            const flag = Math.floor(k / ADDRESSES) % 2 === 0;
            await services.leads.sync(
              {
                email: `a${k % ADDRESSES}@bench.example`,
                attributes: [{ name: 'Unsubscribed', value: String(flag) }],
              },
              { path: web },
            );
          }
        }),
      );
      const d = process.cpuUsage(c);
      const wall = Number(process.hrtime.bigint() - t0) / 1000 / calls;
      return { wall, cpu: (d.user + d.system) / calls };
    },
    async end() {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const A = await side(pagesA);
const B = await side(pagesB);
for (let w = 0; w < warmUps; w++) for (const s of [A, B]) await s.round();
console.log(`A ${pagesA} pages, B ${pagesB}; ${calls} calls a round, ${IN_FLIGHT} in flight`);
const wallRatios: number[] = [];
const cpuRatios: number[] = [];
const mib = (bytes: number) => (bytes / 1048576).toFixed(0);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [A, B] : [B, A];
  const got = new Map<Side, { wall: number; cpu: number }>();
  for (const s of order) got.set(s, await s.round());
  const [a, b] = [got.get(A)!, got.get(B)!];
  wallRatios.push(b.wall / a.wall);
  cpuRatios.push(b.cpu / a.cpu);
  console.log(
    `round ${r} ${r % 2 === 0 ? 'AB' : 'BA'}: µs a call wall ${a.wall.toFixed(0)} / ${b.wall.toFixed(0)}` +
      ` (×${(b.wall / a.wall).toFixed(3)}), CPU ${a.cpu.toFixed(0)} / ${b.cpu.toFixed(0)}` +
      ` (×${(b.cpu / a.cpu).toFixed(3)}); WAL ${mib(A.walBytes())} / ${mib(B.walBytes())} MiB;` +
      ` load ${os.loadavg()[0]!.toFixed(1)}`,
  );
}
const lower = (xs: number[]) => xs.filter((x) => x < 1).length;
console.log(
  `B / A medians: wall ×${median(wallRatios).toFixed(3)} (B lower in ${lower(wallRatios)} of ${rounds}),` +
    ` CPU ×${median(cpuRatios).toFixed(3)} (B lower in ${lower(cpuRatios)} of ${rounds})`,
);
await A.end();
await B.end();
