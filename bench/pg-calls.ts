/**
 * PostgreSQL cost of the hot calls, below the SOAP layer: for each scenario, the round trips
 * per call (messages sent by pg's client) and the CPU per call of this process and of the
 * PostgreSQL backends serving it (/proc/<pid>/schedstat: the server on this host), calls made one
 * after the other (or `concurrent` at a time: what one process of the service sees under
 * load, where its one-click steps share transactions), in a fresh database of its own
 * (dropped at the end).
 *
 *   DATABASE_URL=postgres://… node --import tsx bench/pg-calls.ts [calls per scenario] [scenario]
 *     [concurrent] [variant SQL] [rounds]
 *
 * Throughput is meaningless on a shared machine; CPU per call and round trips are not.
 * With a variant (SQL run once after seeding, statements separated by semicolons: an index
 * dropped, a table's storage changed) a
 * second database (B) takes it (`@file.sql`: that file's SQL, sent as one message, so that a
 * function's body may hold semicolons), and `rounds` rounds (8 by default) of `calls` calls each
 * alternate between A (as migrated) and B in this one process, the order swapped each round:
 * an interleaved A/B of the server's and the process's CPU per call, with the per-round ratios
 * B / A and their median (name one scenario).
 * PG_CALLS_WARMUP=<n>: calls before the measured ones (300 by default).
 * PG_CALLS_DIST=1: the service's code from dist/ (`npm run build` first), as the service runs
 * it, rather than as the tsx loader compiles the sources.
 * PG_CALLS_PROFILE=<file>: a V8 sampling profile of the measured calls alone (not the seeding
 * nor the warm-up) is written there (`node --import tsx bench/profile.ts --summary <file>`);
 * PG_CALLS_HEAP_PROFILE=<file>: a sampling heap profile of them instead (every allocation,
 * garbage included: open it in DevTools' memory tab). PG_CALLS_MARK=1: a line `measuring <scenario>
 * in <pid>` when the measured calls start (to attach `perf record -p <pid>` to them alone).
 * PG_CALLS_B_URL=<url>: side B's database is made through this server URL instead (the same
 * server reached another way, e.g. `postgres://user@localhost/db?host=/var/run/postgresql`, its
 * Unix socket, against TCP for A); give `SELECT 1` as the variant for no other change.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { postgresEngine } from '../test/support/database.js';
import * as fromSource from '../src/compose.js';
import * as pathsFromSource from '../src/domain/change-paths.js';
import * as databaseFromSource from '../src/data-access/database.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const calls = Number(process.argv[2] ?? 2000);
const only = process.argv[3];
const concurrent = Math.max(1, Number(process.argv[4] ?? 1));

/** `calls` calls of `run`, `concurrent` at a time. */
async function callMany(run: () => Promise<unknown>, count: number): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: concurrent }, async () => {
      while (left-- > 0) await run();
    }),
  );
}

// Every message pg's clients send (a round trip each), counted for the whole run. Counted, not
// kept (as the tests' watcher keeps them): a group's text is some kilobytes, and keeping every
// one to the end had the collector promote them, in the process whose CPU is measured.
const messages = { length: 0 };
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  messages.length++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

/** CPU time of these processes in µs (/proc/<pid>/schedstat: time on a CPU, to the ns). */
function backendMicros(pids: number[]): number {
  let t = 0;
  for (const pid of pids) {
    try {
      t += Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
    } catch {
      // gone
    }
  }
  return t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The profiler of PG_CALLS_PROFILE, started; its stop writes the profile (one per scenario). */
async function startProfile(): Promise<{ stop(name: string): Promise<void> } | null> {
  const heap = process.env.PG_CALLS_HEAP_PROFILE;
  const file = heap ?? process.env.PG_CALLS_PROFILE;
  if (!file) return null;
  const session = new Session();
  session.connect();
  if (heap) {
    // Every allocation sampled, the young generation's garbage included.
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as never);
  } else {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  return {
    async stop(name) {
      const { profile } = heap
        ? await session.post('HeapProfiler.stopSampling')
        : await session.post('Profiler.stop');
      session.disconnect();
      const out = only ? file : file.replace(/(\.cpuprofile)?$/, `.${name}.cpuprofile`);
      fs.writeFileSync(out, JSON.stringify(profile));
      console.log(`profile: ${out}`);
    },
  };
}

/** One side of the measurement: a fresh, seeded database (`sql` run on it) and its calls. */
interface Side {
  label: string;
  scenarios: Record<string, () => Promise<unknown>>;
  /** The pids of the backends serving this side's service. */
  pids(): Promise<number[]>;
  end(): Promise<void>;
}

async function setUp(label: string, sql: string | undefined): Promise<Side> {
  const base = label === 'B' ? (process.env.PG_CALLS_B_URL ?? url!) : url!;
  const made = await postgresEngine(base).create();
  let db = made.db;
  let { createServices } = fromSource;
  let { ChangePaths } = pathsFromSource;
  if (process.env.PG_CALLS_DIST) {
    const dist = new URL('../dist/src/', import.meta.url).href;
    ({ createServices } = (await import(`${dist}compose.js`)) as typeof fromSource);
    ({ ChangePaths } = (await import(`${dist}domain/change-paths.js`)) as typeof pathsFromSource);
    const { openDatabase } = (await import(
      `${dist}data-access/database.js`
    )) as typeof databaseFromSource;
    await made.db.close();
    db = openDatabase({
      databaseUrl: made.url!,
      dataDir: '',
      sqliteBusyTimeoutMs: 0,
      dbPoolMax: 10,
      dbAcquireTimeoutMs: 5000,
    });
  }
  const services = createServices(db, { customFields: [], defaultPartition: 'Default' });
  const web = ChangePaths.webService();
  const n = 300;
  for (let i = 0; i < n; i++)
    await services.leads.sync(
      {
        email: `p-${i}@bench.example`,
        attributes: [
          { name: 'FirstName', value: `First${i}` },
          { name: 'LastName', value: 'Bench' },
          { name: 'Company', value: 'Bench Corp' },
        ],
      },
      { path: web, matchByEmail: false },
    );
  for (let i = 0; i < 1100; i++)
    await services.leads.sync(
      { email: `u-${i % 100}@bench.example` },
      { path: web, matchByEmail: false },
    );
  if (sql?.startsWith('@')) {
    // A file of SQL, sent as one message (function bodies keep their semicolons), past knex
    // (which would take a `?` for a placeholder).
    const client = new pg.Client({ connectionString: made.url });
    await client.connect();
    try {
      await client.query(fs.readFileSync(sql.slice(1), 'utf8'));
    } finally {
      await client.end();
    }
  } else {
    // Each statement alone (VACUUM FULL cannot run in a multi-statement query).
    for (const statement of sql?.split(';') ?? [])
      if (statement.trim()) await db.knex.raw(statement);
  }
  // As bench/run.ts does after seeding (autovacuum may be off on a test server).
  await db.knex.raw('ANALYZE');
  const monitor = new pg.Client({ connectionString: made.url });
  await monitor.connect();

  let i = 0;
  const scenarios: Record<string, () => Promise<unknown>> = {
    getLead: () =>
      services.leads.find({ keyType: 'EMAIL', keyValue: `p-${i++ % n}@bench.example` }, 100),
    syncLeadNoChange: () => {
      const k = i++ % n;
      return services.leads.sync(
        {
          email: `p-${k}@bench.example`,
          attributes: [
            { name: 'FirstName', value: `First${k}` },
            { name: 'LastName', value: 'Bench' },
            { name: 'Company', value: 'Bench Corp' },
          ],
        },
        { path: web },
      );
    },
    syncLeadUnsubscribe: () => {
      const k = i++;
      return services.leads.sync(
        {
          email: `u-${k % 100}@bench.example`,
          attributes: [{ name: 'Unsubscribed', value: String(Math.floor(k / 100) % 2 === 0) }],
        },
        { path: web },
      );
    },
    // As bench/run.ts's: 300 people updated by address, a new first name each call.
    syncMultipleLeads: () => {
      const visit = i++;
      return services.leads.syncMany(
        Array.from({ length: n }, (_, k) => ({
          email: `p-${k}@bench.example`,
          attributes: [
            { name: 'FirstName', value: `V${visit}` },
            { name: 'LastName', value: 'Bench' },
            { name: 'Company', value: 'Bench Corp' },
          ],
        })),
        { path: web },
      );
    },
    // Half the people updated by address, half new ones (a new address each call).
    syncMultipleLeadsMixed: () => {
      const visit = i++;
      return services.leads.syncMany(
        Array.from({ length: n }, (_, k) => ({
          email: k % 2 === 0 ? `p-${k}@bench.example` : `m-${visit}-${k}@bench.example`,
          attributes: [
            { name: 'FirstName', value: `M${visit}` },
            { name: 'LastName', value: 'Bench' },
          ],
        })),
        { path: web },
      );
    },
    oneClick: () =>
      services.links.unsubscribe({
        email: `click-${process.pid}-${i++}@bench.example`,
        linkId: 'l1',
        list: null,
      }),
  };
  return {
    label,
    scenarios,
    pids: async () =>
      (
        await monitor.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        )
      ).rows.map((r) => r.pid),
    async end() {
      await monitor.end();
      if (db !== made.db) await db.close();
      await made.drop();
    },
  };
}

/** CPU per call of `count` calls of `run`: this process's and the backends' (µs). */
async function measure(
  side: Side,
  run: () => Promise<unknown>,
  count: number,
): Promise<{ node: number; server: number; trips: number }> {
  const backends = await side.pids();
  const b0 = backendMicros(backends);
  const c0 = process.cpuUsage();
  const s0 = messages.length;
  await callMany(run, count);
  const c1 = process.cpuUsage(c0);
  const trips = messages.length - s0;
  // A connection opened during the calls: all its time is theirs.
  const born = (await side.pids()).filter((pid) => !backends.includes(pid));
  const b1 = backendMicros(backends) + backendMicros(born);
  return {
    node: (c1.user + c1.system) / count,
    server: (b1 - b0) / count,
    trips: trips / count,
  };
}

const line = (name: string, m: { node: number; server: number; trips: number }) =>
  `${name.padEnd(20)} round trips ${m.trips.toFixed(2)}  node ${m.node.toFixed(0)} µs  backend ${m.server.toFixed(0)} µs  total ${(m.node + m.server).toFixed(0)} µs per call`;

/** The variant's interleaved A/B of one scenario (see the header). */
async function compare(a: Side, b: Side, name: string, rounds: number): Promise<void> {
  const warm = Number(process.env.PG_CALLS_WARMUP ?? Math.min(300, calls));
  for (const side of [a, b]) await callMany(side.scenarios[name]!, warm);
  const ratios: Array<{ node: number; server: number }> = [];
  const all: Record<string, Array<{ node: number; server: number }>> = { A: [], B: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [a, b] : [b, a];
    const got: Record<string, { node: number; server: number; trips: number }> = {};
    for (const side of order) {
      got[side.label] = await measure(side, side.scenarios[name]!, calls);
      all[side.label]!.push(got[side.label]!);
    }
    const [ma, mb] = [got.A!, got.B!];
    ratios.push({ node: mb.node / ma.node, server: mb.server / ma.server });
    console.log(
      `round ${r + 1} (${order.map((s) => s.label).join(' ')}): A node ${ma.node.toFixed(0)} / backend ${ma.server.toFixed(0)} µs, B node ${mb.node.toFixed(0)} / backend ${mb.server.toFixed(0)} µs, B/A backend ×${(mb.server / ma.server).toFixed(3)}, node ×${(mb.node / ma.node).toFixed(3)}`,
    );
  }
  const med = (xs: number[]) => median(xs).toFixed(3);
  for (const label of ['A', 'B'])
    console.log(
      `${label}: medians node ${median(all[label]!.map((m) => m.node)).toFixed(0)} µs, backend ${median(all[label]!.map((m) => m.server)).toFixed(0)} µs per call`,
    );
  console.log(
    `B / A per round, medians: backend ×${med(ratios.map((x) => x.server))}, node ×${med(ratios.map((x) => x.node))}; backend lower in ${ratios.filter((x) => x.server < 1).length} of ${rounds}`,
  );
}

async function main(): Promise<void> {
  const variant = process.argv[5];
  const a = await setUp('A', undefined);
  if (variant !== undefined) {
    if (!only) throw new Error('a variant compares one scenario: name it');
    const b = await setUp('B', variant);
    try {
      await compare(a, b, only, Number(process.argv[6] ?? 8));
    } finally {
      await a.end();
      await b.end();
    }
    return;
  }
  for (const [name, run] of Object.entries(a.scenarios)) {
    if (only && only !== name) continue;
    await callMany(run, Number(process.env.PG_CALLS_WARMUP ?? Math.min(300, calls)));
    const profiler = await startProfile();
    if (process.env.PG_CALLS_MARK) console.log(`measuring ${name} in ${process.pid}`);
    const m = await measure(a, run, calls);
    await profiler?.stop(name);
    console.log(line(name, m));
  }
  await a.end();
}

void main();
