/**
 * Late joiners of a SQLite group of final steps (sqlite-late-joiners.ts) under the benchmark's
 * syncLeadUnsubscribe over HTTP: two service processes from the built dist/ (`npm run build`
 * first), each with a database of its own seeded alike (300 addresses of 11 people); A is
 * started with joinLate(false) (a module imported before the service's: the old hand-over),
 * B as shipped. Rounds of 10 connections (autocannon, as the benchmark) alternate between A
 * and B, the order swapped each round; per round and side: answers a second, the process's
 * CPU per answer, p50, and calls per fsync (`perf stat` of the process's fsync calls: one per
 * COMMIT of the WAL). For a shared machine: read the per-round ratios.
 *
 *   node --import tsx bench/group-gather-http-ab.ts [rounds] [seconds a round]
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { testEngines } from '../test/support/database.js';
import { freshServiceDatabase, spawnService } from '../test/support/service-process.js';
import { createPeople } from './lib/seed.js';
import { drive, median } from './lib/load.js';
import { envelope, syncLead } from './lib/soap.js';

const [rounds, seconds] = [10, 3].map((f, i) => Number(process.argv[2 + i] ?? f)) as [
  number,
  number,
];
const ADDRESSES = 300;
const lateJoiners = pathToFileURL(
  path.join(import.meta.dirname, '../dist/src/data-access/sqlite-late-joiners.js'),
).href;
const OLD_HAND_OVER = `--import=data:text/javascript,import{joinLate}from'${lateJoiners}';joinLate(false)`;
const sqlite = testEngines().find((e) => e.name === 'sqlite')!;

async function side(late: boolean) {
  const db = await freshServiceDatabase(sqlite);
  const service = await spawnService(
    {
      ...db.env,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_CALLS: '0',
      WORKERS: '1',
      ...(late ? {} : { NODE_OPTIONS: OLD_HAND_OVER }),
    },
    { built: true },
  );
  const people = [];
  for (let a = 0; a < ADDRESSES; a++)
    for (let p = 0; p < 11; p++)
      people.push({ email: `unsub-${a}@bench.example`, attrs: { FirstName: `P${p}` } });
  await createPeople(service.url, people);
  let i = 0;
  const bodies = () => {
    const a = i % ADDRESSES;
    const visit = Math.floor(i++ / ADDRESSES);
    return envelope(
      syncLead({
        email: `unsub-${a}@bench.example`,
        attrs: { Unsubscribed: String(visit % 2 === 0) },
      }),
    );
  };
  return {
    async round() {
      // fsyncs of the service (the WAL's at each COMMIT) while the round runs.
      const perf = spawn(
        'perf',
        ['stat', '-x,', '-e', 'syscalls:sys_enter_fsync', '-p', String(service.pid)],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let err = '';
      perf.stderr.on('data', (d: Buffer) => (err += d.toString()));
      await new Promise((r) => setTimeout(r, 200));
      const figures = await drive(
        service.url,
        'syncLead',
        bodies,
        { connections: 10, durationSeconds: seconds },
        service.pid,
      );
      const done = new Promise((r) => perf.once('exit', r));
      perf.kill('SIGINT');
      await done;
      const fsyncs = Number(/^(\d+),/m.exec(err)?.[1] ?? NaN);
      return { ...figures, perFsync: figures.requests / fsyncs };
    },
    async end() {
      await service.stop();
      await db.drop();
    },
  };
}

const A = await side(false);
const B = await side(true);
await A.round();
await B.round();
const rps: number[] = [];
const cpu: number[] = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [A, B] : [B, A];
  const got = new Map<unknown, Awaited<ReturnType<typeof A.round>>>();
  for (const s of order) got.set(s, await s.round());
  const [a, b] = [got.get(A)!, got.get(B)!];
  rps.push(b.rps / a.rps);
  cpu.push(b.cpuMicrosPerRequest! / a.cpuMicrosPerRequest!);
  console.log(
    `round ${r} ${r % 2 === 0 ? 'AB' : 'BA'}: req/s ${a.rps.toFixed(0)} / ${b.rps.toFixed(0)} (×${rps.at(-1)!.toFixed(3)}),` +
      ` CPU µs/req ${a.cpuMicrosPerRequest} / ${b.cpuMicrosPerRequest} (×${cpu.at(-1)!.toFixed(3)}),` +
      ` calls a fsync ${a.perFsync.toFixed(2)} / ${b.perFsync.toFixed(2)}, p50 ${a.p50} / ${b.p50} ms,` +
      ` failures ${a.failures}/${b.failures}; load ${os.loadavg()[0]!.toFixed(1)}`,
  );
}
const above = (xs: number[]) => xs.filter((x) => x > 1).length;
const below = (xs: number[]) => xs.filter((x) => x < 1).length;
console.log(
  `B / A medians: req/s ×${median(rps).toFixed(3)} (B higher in ${above(rps)} of ${rounds}),` +
    ` CPU per request ×${median(cpu).toFixed(3)} (B lower in ${below(cpu)} of ${rounds})`,
);
await A.end();
await B.end();
