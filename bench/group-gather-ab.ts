/**
 * How long the next SQLite group gathers units, under the benchmark's syncLeadUnsubscribe (an
 * address of 11 people: 10 follow), 10 callers in one process: A hands the file to the next
 * group once the steps' answers are here (the old way), B lets the next group take in every
 * unit that comes until the group ahead of it has its COMMIT answered (as shipped). Each side has a
 * database of its own, seeded alike; rounds of syncLead by address, each address's flag
 * alternating, alternate between A and B, the order swapped each round. Per round and side:
 * wall time and the process's CPU per call, and calls per COMMIT (group size).
 *
 *   node --import tsx bench/group-gather-ab.ts [rounds] [calls] [in flight] [warm-up rounds]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { ChangePaths } from '../src/domain/change-paths.js';
import { createServices } from '../src/compose.js';
import { openDatabase } from '../src/data-access/database.js';
import { migrateLatest } from '../src/data-access/migrator.js';
import { joinLate } from '../src/data-access/sqlite-late-joiners.js';

const [rounds, calls, inFlight, warmUps] = [10, 1000, 10, 1].map((fallback, i) =>
  Number(process.argv[2 + i] ?? fallback),
) as [number, number, number, number];
const ADDRESSES = 400;
const web = ChangePaths.webService();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Side {
  name: string;
  gather: boolean;
  groupSizes: Map<number, number>;
  round(): Promise<{ wall: number; cpu: number; perCommit: number }>;
  end(): Promise<void>;
}

async function side(name: string, gather: boolean): Promise<Side> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-gather-ab-'));
  const db = openDatabase({
    databaseUrl: '',
    dataDir,
    sqliteBusyTimeoutMs: 10000,
    sqliteWalAutocheckpointPages: 10000,
    dbPoolMax: 1,
  });
  await migrateLatest(db);
  // COMMITs counted where they are posted: one per group.
  let commits = 0;
  const client = db.knex.client as Knex.Client & { query(c: unknown, q: unknown): unknown };
  const query = client.query.bind(client);
  client.query = (c: unknown, q: unknown) => {
    const sql = typeof q === 'string' ? q : (q as { sql?: string } | null)?.sql;
    if (typeof sql === 'string' && /^\s*COMMIT/i.test(sql)) commits++;
    return query(c, q);
  };
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
  let visits = 0;
  // Callers answered in one turn of the event loop: one group's (settled together).
  const groupSizes = new Map<number, number>();
  let answered = 0;
  const seen = () => {
    if (answered++ > 0) return;
    setImmediate(() => {
      groupSizes.set(answered, (groupSizes.get(answered) ?? 0) + 1);
      answered = 0;
    });
  };
  return {
    name,
    gather,
    groupSizes,
    async round() {
      joinLate(gather);
      const first = visits;
      visits += calls;
      let i = 0;
      const c0 = commits;
      const t0 = process.hrtime.bigint();
      const c = process.cpuUsage();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
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
            seen();
          }
        }),
      );
      const d = process.cpuUsage(c);
      const wall = Number(process.hrtime.bigint() - t0) / 1000 / calls;
      return { wall, cpu: (d.user + d.system) / calls, perCommit: calls / (commits - c0) };
    },
    async end() {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const A = await side('A', false);
const B = await side('B', true);
for (let w = 0; w < warmUps; w++) for (const s of [A, B]) await s.round();
console.log(
  `A: handed on at the steps' answers, B: gathering behind COMMIT; ${calls} calls a round, ${inFlight} in flight`,
);
const wallRatios: number[] = [];
const cpuRatios: number[] = [];
const sizes = { A: [] as number[], B: [] as number[] };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [A, B] : [B, A];
  const got = new Map<Side, { wall: number; cpu: number; perCommit: number }>();
  for (const s of order) got.set(s, await s.round());
  const [a, b] = [got.get(A)!, got.get(B)!];
  wallRatios.push(b.wall / a.wall);
  cpuRatios.push(b.cpu / a.cpu);
  sizes.A.push(a.perCommit);
  sizes.B.push(b.perCommit);
  console.log(
    `round ${r} ${r % 2 === 0 ? 'AB' : 'BA'}: µs a call wall ${a.wall.toFixed(0)} / ${b.wall.toFixed(0)}` +
      ` (×${(b.wall / a.wall).toFixed(3)}), CPU ${a.cpu.toFixed(0)} / ${b.cpu.toFixed(0)}` +
      ` (×${(b.cpu / a.cpu).toFixed(3)}); calls a COMMIT ${a.perCommit.toFixed(2)} / ${b.perCommit.toFixed(2)};` +
      ` load ${os.loadavg()[0]!.toFixed(1)}`,
  );
}
const lower = (xs: number[]) => xs.filter((x) => x < 1).length;
console.log(
  `B / A medians: wall ×${median(wallRatios).toFixed(3)} (B lower in ${lower(wallRatios)} of ${rounds}),` +
    ` CPU ×${median(cpuRatios).toFixed(3)} (B lower in ${lower(cpuRatios)} of ${rounds});` +
    ` calls a COMMIT ${median(sizes.A).toFixed(2)} / ${median(sizes.B).toFixed(2)}`,
);
for (const s of [A, B])
  console.log(
    `${s.name}: callers answered together (size×times) ` +
      [...s.groupSizes.entries()]
        .sort((x, y) => x[0] - y[0])
        .map(([size, n]) => `${size}×${n}`)
        .join(' '),
  );
await A.end();
await B.end();
