// A/B of a LastUpdateAt page's settling look on PostgreSQL (settleWrites with a horizon): A and B
// are two checkouts' settle-writes.ts (A_SRC, B_SRC: their src/ folders), run in interleaved
// rounds of N calls on one database; per call: wall, this process's CPU, the database backends'
// CPU (/proc, 100 ticks/s) and the messages sent. Its own database, dropped at the end.
//   DATABASE_URL=… A_SRC=/path/a/src B_SRC=/path/b/src node --import tsx bench/last-update-settle.ts
import fs from 'node:fs';
import type { settleWrites } from '../src/data-access/settle-writes.js';
import { postgresEngine } from '../test/support/database.js';
import { watchPgMessages } from '../test/support/pg-messages.js';

type Settle = typeof settleWrites;
const load = async (src: string | undefined): Promise<Settle> =>
  ((await import(`${src ?? '../src'}/data-access/settle-writes.ts`)) as { settleWrites: Settle })
    .settleWrites;
const A = await load(process.env.A_SRC);
const B = await load(process.env.B_SRC);

const made = await postgresEngine(process.env.DATABASE_URL!).create();
const db = made.db;
const N = Number(process.env.N ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const ticks = async () => {
  const r = (await db.knex.raw(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  )) as { rows: Array<{ pid: number }> };
  let t = 0;
  for (const { pid } of r.rows) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch {
      // The backend ended meanwhile.
    }
  }
  return t;
};
let horizon = Date.now();
const noop = async () => undefined;
const out: Record<string, Array<{ us: number; cpu: number; be: number; msgs: number }>> = {
  A: [],
  B: [],
};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of [
    ['A', A],
    ['B', B],
  ] as const) {
    for (let i = 0; i < 50; i++) await fn(db, noop, ++horizon); // warm
    const be0 = await ticks();
    const w = watchPgMessages();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn(db, noop, ++horizon);
    const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
    const c = process.cpuUsage(c0);
    w.restore();
    const be = (((await ticks()) - be0) * 10000) / N; // µs (100 ticks/s)
    out[name]!.push({ us, cpu: (c.user + c.system) / N, be, msgs: w.texts.length / N });
    console.log(
      name,
      r,
      `wall ${us.toFixed(0)} µs`,
      `node cpu ${((c.user + c.system) / N).toFixed(0)} µs`,
      `backend cpu ${be.toFixed(0)} µs`,
      `msgs ${(w.texts.length / N).toFixed(2)}`,
    );
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const k of ['A', 'B']) {
  const rs = out[k]!;
  console.log(
    k,
    'median wall',
    med(rs.map((x) => x.us)).toFixed(0),
    'node cpu',
    med(rs.map((x) => x.cpu)).toFixed(0),
    'backend cpu',
    med(rs.map((x) => x.be)).toFixed(0),
  );
}
await made.drop();
