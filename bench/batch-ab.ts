/**
 * CPU per syncMultipleLeads call (300 records updated by email, as in the bench) of built
 * services, for A/B runs on a shared machine where throughput means little: each build runs as
 * its own process on a fresh database, the builds are driven in turn, round after round, and
 * each round reads the process's threads' CPU from /proc (main thread, busiest other thread:
 * the SQLite writer, and the whole process).
 *
 *   node --import tsx bench/batch-ab.ts [rounds] [calls per round] [root of a build]…
 *
 * A root is a directory holding package.json, wsdl/ and dist/ (default: this checkout), then
 * its own environment and node flags, comma-separated: `/path,BATCH_CONCURRENCY=4` or
 * `/path,--max-semi-space-size=32` (after its start script's flags, so they win; one root may
 * be given several times with different flags). With `--trace-gc` among the flags (or in
 * AB_NODE_FLAGS) each round's scavenges and mark-compacts are counted too, and each isolate's
 * (the main thread's, the SQLite threads') per call; every build's peak RSS (VmHWM, seeding
 * included) is printed. Of each round's wall time, the share the main thread and the writer (the
 * busiest other thread) spent on a core and runnable waiting for one (schedstat): what is left
 * is idle or blocked, such as in COMMIT's fsync. Each service's pid goes to stderr, for a tracer.
 * AB_ENGINE=postgres (DATABASE_URL given, the server on this host): a fresh PostgreSQL database
 * per build; the second figure is then the CPU of the server's backends serving it (every
 * client backend of that database, from /proc).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { testEngines } from '../test/support/database.js';
import { collectAndAwaitPort, freshServiceDatabase } from '../test/support/service-process.js';
import { TEST_KEY_SECRET } from '../test/support/service.js';
import { createPeople } from './lib/seed.js';
import { call, closeAgent, syncMultipleLeads } from './lib/soap.js';

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.argv[2] ?? 5);
const calls = Number(process.argv[3] ?? 20);
const roots = process.argv.slice(4);
if (roots.length === 0) roots.push(HERE);
const CONCURRENCY = Number(process.env.AB_CONCURRENCY ?? 4);
const PEOPLE = 3000;
const ENGINE = process.env.AB_ENGINE ?? 'sqlite';
const engine = testEngines().find((e) => e.name === ENGINE);
if (!engine) throw new Error(`AB_ENGINE=${ENGINE}: no such engine (postgres needs DATABASE_URL)`);

/** A thread's CPU time (µs), or with `field` 1 its time runnable but waiting for a core. */
function ticks(pid: number, tid: number | string, field = 0): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
    return Number(stat.split(' ')[field]) / 1000;
  } catch {
    return 0;
  }
}

function threads(pid: number, field = 0): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) out.set(tid, ticks(pid, tid, field));
  return out;
}

/**
 * PostgreSQL: the pids of the backends serving clients of the database of `admin` (itself
 * aside; autovacuum's workers too, which run when they will, on one build or the other).
 */
async function backends(admin: pg.Client | null): Promise<number[]> {
  if (!admin) return [];
  const r = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
       AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
  );
  return r.rows.map((x) => x.pid);
}

/** CPU (µs) of each backend of `pids`: one thread each. */
function backendTicks(pids: readonly number[]): Map<string, number> {
  return new Map(pids.map((pid) => [String(pid), ticks(pid, pid)]));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The node flags a build's start script runs its service with (as production runs it). */
function startScriptFlags(root: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string | undefined>;
  };
  const m = /\bnode((?: --\S+)*) dist\/src\/cli\/index\.js serve\b/.exec(pkg.scripts.start ?? '');
  return (m?.[1] ?? '').split(' ').filter((f) => f !== '');
}

async function start(spec: string) {
  // A root, then its own environment and node flags: /path,BATCH_CONCURRENCY=4,--trace-gc
  const [root, ...rest] = spec.split(',') as [string, ...string[]];
  const flags = rest.filter((v) => v.startsWith('--'));
  const own = Object.fromEntries(
    rest
      .filter((v) => !v.startsWith('--'))
      .map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] as [string, string]),
  );
  const db = await freshServiceDatabase(engine!);
  const admin = db.env.DATABASE_URL ? new pg.Client(db.env.DATABASE_URL) : null;
  await admin?.connect();
  const child = spawn(
    process.execPath,
    [
      ...startScriptFlags(root),
      ...(process.env.AB_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''),
      ...flags,
      path.join(root, 'dist/src/cli/index.js'),
      'serve',
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        METRICS_PORT: '0',
        ...db.env,
        // PostgreSQL refuses to start without a key secret, and runs a worker process per core
        // by default: one process, whose threads are the ones read.
        ...(db.env.DATABASE_URL ? { USER_KEY_SECRET: TEST_KEY_SECRET, WORKERS: '1' } : {}),
        ...own,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const started = collectAndAwaitPort(child, root);
  console.error(`${spec}: pid ${child.pid}`);
  const port = await started.port;
  if (process.env.AB_OUTPUT)
    process.on('exit', () => fs.writeFileSync(process.env.AB_OUTPUT!, started.output()));
  const url = `http://127.0.0.1:${port}/soap/mktows/2_9`;
  await createPeople(
    url,
    Array.from({ length: PEOPLE }, (_, i) => ({
      email: `multi-${i}@bench.example`,
      attrs: { FirstName: 'V', LastName: 'Bench', Company: 'Bench Corp' },
    })),
  );
  return {
    root: spec,
    url,
    pid: child.pid!,
    child,
    output: started.output,
    db,
    admin,
    visit: 0,
    main: [] as number[],
    writer: [] as number[],
    all: [] as number[],
    rate: [] as number[],
    /** Each round's share of its wall time the main thread, then the writer, spent on a core, and waiting for one. */
    mainBusy: [] as number[],
    mainQueued: [] as number[],
    writerBusy: [] as number[],
    writerQueued: [] as number[],
    scavenges: [] as number[],
    markCompacts: [] as number[],
    isolates: new Map<string, Collections>(),
    measured: 0,
  };
}

/** A collection's kind and pause, by isolate (the main thread's, then each thread's). */
interface Collections {
  scavenges: number;
  markCompacts: number;
  /** The pauses `--trace-gc` printed, ms (the isolate's thread stopped for them). */
  pauseMs: number;
}

/** Collections `--trace-gc` printed in `text`, by isolate (the address in each line's prefix). */
function collections(text: string, into: Map<string, Collections>): [number, number] {
  let scavenges = 0;
  let markCompacts = 0;
  for (const m of text.matchAll(
    /\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Scavenge|Mark-Compact)\b.*? MB, ([\d.]+) \//g,
  )) {
    const isolate = into.get(m[1]!) ?? { scavenges: 0, markCompacts: 0, pauseMs: 0 };
    into.set(m[1]!, isolate);
    if (m[2] === 'Scavenge') {
      isolate.scavenges++;
      scavenges++;
    } else {
      isolate.markCompacts++;
      markCompacts++;
    }
    isolate.pauseMs += Number(m[3]);
  }
  return [scavenges, markCompacts];
}

/** The process's peak resident set (VmHWM), MiB. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

type Service = Awaited<ReturnType<typeof start>>;

async function round(s: Service): Promise<void> {
  const bodies = Array.from({ length: calls }, () => {
    const i = s.visit++;
    const block = i % (PEOPLE / 300);
    const visit = Math.floor(i / (PEOPLE / 300));
    return syncMultipleLeads(
      Array.from({ length: 300 }, (_, j) => ({
        email: `multi-${block * 300 + j}@bench.example`,
        attrs: { FirstName: `V${visit}`, LastName: 'Bench', Company: 'Bench Corp' },
      })),
    );
  });
  const traced = s.output().length;
  const before = threads(s.pid);
  const queuedBefore = threads(s.pid, 1);
  const serverBefore = backendTicks(await backends(s.admin));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const r = await call(s.url, 'syncMultipleLeads', bodies[next++]!);
        if ((r.body.match(/<status>UPDATED<\/status>/g) ?? []).length !== 300)
          throw new Error(`bad answer: ${r.body.slice(0, 500)}`);
      }
    }),
  );
  const after = threads(s.pid);
  const queuedAfter = threads(s.pid, 1);
  const wall = (performance.now() - t0) * 1000;
  const serverAfter = backendTicks(await backends(s.admin));
  const [scavenges, markCompacts] = collections(s.output().slice(traced), s.isolates);
  s.measured += calls;
  s.scavenges.push(scavenges / calls);
  s.markCompacts.push(markCompacts / calls);
  s.rate.push((calls * 300) / ((performance.now() - t0) / 1000));
  let all = 0;
  let busiest = 0;
  let busiestTid = '';
  for (const [tid, t] of after) {
    const d = t - (before.get(tid) ?? 0);
    all += d;
    if (tid !== String(s.pid) && d > busiest) [busiest, busiestTid] = [d, tid];
  }
  const queued = (tid: string) => (queuedAfter.get(tid) ?? 0) - (queuedBefore.get(tid) ?? 0);
  const main = String(s.pid);
  s.mainBusy.push((after.get(main)! - before.get(main)!) / wall);
  s.mainQueued.push(queued(main) / wall);
  s.writerBusy.push(busiest / wall);
  s.writerQueued.push(queued(busiestTid) / wall);
  s.main.push((after.get(String(s.pid))! - before.get(String(s.pid))!) / calls);
  // PostgreSQL: the backends' CPU (one that started during the round counts whole).
  let server = 0;
  for (const [pid, t] of serverAfter) server += t - (serverBefore.get(pid) ?? 0);
  s.writer.push((s.admin ? server : busiest) / calls);
  s.all.push(all / calls);
}

const services: Service[] = [];
for (const root of roots) services.push(await start(root));
try {
  for (const s of services) await round(s); // warm-up
  for (const s of services) {
    for (const xs of [
      s.main,
      s.writer,
      s.all,
      s.rate,
      s.mainBusy,
      s.mainQueued,
      s.writerBusy,
      s.writerQueued,
      s.scavenges,
      s.markCompacts,
    ])
      xs.length = 0;
    s.isolates.clear();
    s.measured = 0;
  }
  // Every other round in the reverse order: no build always follows the same one.
  for (let r = 0; r < rounds; r++)
    for (const s of r % 2 ? [...services].reverse() : services) await round(s);
  for (const s of services) {
    const f = (xs: number[]) =>
      `${(median(xs) / 1000).toFixed(2)} ms [${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)}]`;
    console.log(
      `${s.root}\n  main ${f(s.main)}  ${s.admin ? 'server' : 'writer'} ${f(s.writer)}  process ${f(s.all)}  leads/s ${median(s.rate).toFixed(0)} [${Math.min(...s.rate).toFixed(0)}–${Math.max(...s.rate).toFixed(0)}]`,
    );
    // Round by round, for pairs read across the builds (each round ran every build in turn).
    const each = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(' ');
    console.log(
      `  rounds: process ${each(s.all)}\n          main ${each(s.main)}\n          ${s.admin ? 'server' : 'writer'} ${each(s.writer)}\n          leads/s ${s.rate.map((x) => x.toFixed(0)).join(' ')}`,
    );
    // Of each round's wall time: on a core, and runnable but waiting for one (the rest idle,
    // or blocked in a system call such as COMMIT's fsync).
    const pct = (xs: number[]) =>
      `${(median(xs) * 100).toFixed(0)} % [${(Math.min(...xs) * 100).toFixed(0)}–${(Math.max(...xs) * 100).toFixed(0)}]`;
    console.log(
      `  of the wall time: main on a core ${pct(s.mainBusy)}, waiting for one ${pct(s.mainQueued)}; ${s.admin ? 'busiest thread' : 'writer'} on a core ${pct(s.writerBusy)}, waiting for one ${pct(s.writerQueued)}`,
    );
    const per = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
    if (s.scavenges.some((x) => x > 0))
      console.log(
        `  per call: scavenges ${per(s.scavenges)}  mark-compacts ${per(s.markCompacts)}`,
      );
    // The main thread's isolate collects the most; the SQLite threads' follow.
    for (const [address, c] of [...s.isolates].sort((a, b) => b[1].scavenges - a[1].scavenges))
      console.log(
        `  isolate ${address} per call: scavenges ${(c.scavenges / s.measured).toFixed(2)}, mark-compacts ${(c.markCompacts / s.measured).toFixed(3)}, paused ${(c.pauseMs / s.measured).toFixed(2)} ms`,
      );
    console.log(`  peak RSS ${peakRss(s.pid).toFixed(1)} MiB`);
  }
} finally {
  for (const s of services) {
    await s.admin?.end();
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.once('exit', r));
    await s.db.drop();
  }
  closeAgent();
}
