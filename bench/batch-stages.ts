/**
 * The main thread's work of one syncMultipleLeads call of 300 records (the bench's updates by
 * email), stage by stage, in one process on SQLite: the request reader, the handler (mapping,
 * rules, the batch's memory and its statements, the write) and the answer's XML. CPU per call
 * (medians of rounds) and, with --alloc, the bytes allocated per call by function (V8's
 * sampling heap profiler, collected objects included). STAGES_ROOT: a built checkout to run
 * (its dist/) instead of these sources; DATABASE_URL: PostgreSQL (its tables are emptied).
 * With --live (node run with --expose-gc): what a call holds while its batch runs, the heap after
 * a full collection on entering the service and at the first record's rules, less the heap after
 * the call (medians; collections make the CPU figures meaningless then).
 *
 *   node [--expose-gc] --import tsx bench/batch-stages.ts [rounds] [calls] [--alloc] [--live]
 */
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import type { WsdlInternals } from '../src/soap-transport/request-shapes.js';
import type { GuardLimits } from '../src/soap-transport/envelope-guard.js';
import { wsdlGuardLimits } from './lib/guard-limits.js';
import { envelope, syncMultipleLeads } from './lib/soap.js';

// A built checkout's dist/ (STAGES_ROOT, for A/B runs of two builds), else this one's sources.
const ROOT =
  process.env.STAGES_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = process.env.STAGES_ROOT ? path.join(ROOT, 'dist/src') : path.join(ROOT, 'src');
const ext = process.env.STAGES_ROOT ? '.js' : '.ts';
const load = (m: string) => import(path.join(SRC, m + ext));
const { createSoapEngine, RAW_TEXT_TYPES } = await load('soap-transport/soap-engine');
const { createRequestReader } = await load('soap-transport/fast-request-reader');
const { FAST_READ } = await load('mktows/fast-read');
const { mktowsHandlers } = await load('mktows/mktows.handlers');
const { createServices } = await load('compose');
const { openDatabase } = await load('data-access/database');
const { migrateLatest } = await load('data-access/migrator');
const rounds = Number(process.argv[2] ?? 7);
const calls = Number(process.argv[3] ?? 20);
const alloc = process.argv.includes('--alloc');
const gc = process.argv.includes('--live') ? (globalThis as { gc?: () => void }).gc : undefined;
if (process.argv.includes('--live') && !gc) throw new Error('--live needs node --expose-gc');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const wsdlXml = fs.readFileSync(path.join(ROOT, 'wsdl/mktows.wsdl'), 'utf8');
const engine = await createSoapEngine({ path: '/soap/mktows', wsdlXml, services: {} });
const reader = createRequestReader(
  engine.wsdl as unknown as WsdlInternals,
  RAW_TEXT_TYPES,
  FAST_READ,
) as {
  readGuarded(xml: string, l: GuardLimits): unknown;
};
const limits = wsdlGuardLimits(wsdlXml);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-stages-'));
const db = openDatabase({
  databaseUrl: process.env.DATABASE_URL ?? '',
  dataDir,
  sqliteBusyTimeoutMs: 10000,
  dbPoolMax: process.env.DATABASE_URL ? 10 : 1,
});
await migrateLatest(db);
if (process.env.DATABASE_URL)
  await db.knex.raw(
    'TRUNCATE leads, activities, activity_followers, propagation_events, email_status, email_status_history CASCADE',
  );
const services = createServices(db, { customFields: [], defaultPartition: 'Default' }, {});
const handlers = mktowsHandlers(services, { maxBatchSize: 1000, getLeadMaxResults: 100 });
const ctx = { userId: 'bench', permissions: { write: true, partitions: null } } as never;
const body = (v: number) =>
  envelope(
    syncMultipleLeads(
      Array.from({ length: 300 }, (_, j) => ({
        email: `p-${j}@bench.example`,
        attrs: { FirstName: `V${v}`, LastName: 'Bench' },
      })),
    ),
  );
await services.leads.syncMany(
  Array.from({ length: 300 }, (_, j) => ({
    email: `p-${j}@bench.example`,
    attributes: [{ name: 'FirstName', value: 'F' }],
  })),
  { path: { source: 'bench', reason: 'bench' } as never },
);

let v = 0;
const xmls = () => Array.from({ length: calls }, () => body(v++));
// No local holds the request: as the endpoint, which hands it on.
function handle(xml: string): Promise<unknown> {
  return handlers.syncMultipleLeads!(
    (reader.readGuarded(xml, limits) as { Body: Record<string, Record<string, unknown>> }).Body
      .paramsSyncMultipleLeads!,
    ctx,
  );
}
/** --live: heap used after a full collection, on entering the service, at the first rules. */
const atEntry: number[] = [];
const atRules: number[] = [];
const heldAfter: number[] = [];
const heapNow = () => (gc!(), process.memoryUsage().heapUsed);
if (gc) {
  const leads = services.leads as {
    syncMany: (...a: unknown[]) => unknown;
    batch: { syncMany: (p: unknown, one: (...a: unknown[]) => unknown, d: unknown) => unknown };
  };
  const entry = leads.syncMany.bind(leads);
  leads.syncMany = (...a) => (atEntry.push(heapNow()), entry(...a));
  const inner = leads.batch.syncMany.bind(leads.batch);
  leads.batch.syncMany = (p, one, d) => {
    let first = true;
    return inner(
      p,
      (...a: unknown[]) => (first && ((first = false), atRules.push(heapNow())), one(...a)),
      d,
    );
  };
}
/** The main thread's CPU time so far, µs (Linux: the scheduler's figure). */
const mainCpu = () =>
  Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
const readCpu: number[] = [];
const allCpu: number[] = [];
const mainThread: number[] = [];
for (let r = 0; r < 2; r++) for (const x of xmls()) await handle(x);
let session: Session | undefined;
if (alloc) {
  session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
for (let r = 0; r < rounds; r++) {
  const batch = xmls();
  let c = process.cpuUsage();
  for (const x of batch) reader.readGuarded(x, limits);
  let d = process.cpuUsage(c);
  readCpu.push((d.user + d.system) / calls);
  c = process.cpuUsage();
  const m = mainCpu();
  for (const x of batch) {
    await handle(x);
    if (gc) heldAfter.push(heapNow());
  }
  mainThread.push((mainCpu() - m) / calls);
  d = process.cpuUsage(c);
  allCpu.push((d.user + d.system) / calls);
}
console.log(
  `read ${median(readCpu).toFixed(0)} µs/call   read+handler ${median(allCpu).toFixed(0)} µs/call (process), ${median(mainThread).toFixed(0)} µs/call (main thread); medians of ${rounds}`,
);
if (gc) {
  const held = (at: number[]) =>
    (median(at.slice(-heldAfter.length).map((x, i) => x - heldAfter[i]!)) / 1024).toFixed(0);
  console.log(
    `held while the batch runs, beyond the heap after the call: ${held(atEntry)} KiB on entering the service, ${held(atRules)} KiB at the first record's rules`,
  );
}
if (session) {
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
    profile: {
      head: Node;
      samples: Array<{ size: number; nodeId: number }>;
    };
  };
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    selfSize: number;
    children: Node[];
  }
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  const walk = (n: Node, parent = '') => {
    const url = n.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/');
    // A builtin's allocations are named with the function that called it.
    const own = `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber + 1}`;
    const k = url === '' ? `${own} < ${parent}` : own;
    byFn.set(k, (byFn.get(k) ?? 0) + n.selfSize);
    byFile.set(url, (byFile.get(url) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c, url === '' ? parent : own);
  };
  walk(profile.head);
  const n = rounds * calls * 2; // each round reads each call twice (read alone, then handled)
  console.log(
    `allocated ~${(total / (rounds * calls) / 1e6).toFixed(2)} MB per call (read counted twice)`,
  );
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, s]) => `  ${(s / (rounds * calls) / 1024).toFixed(0).padStart(7)} KiB  ${name}`)
      .join('\n');
  console.log(`by file:\n${top(byFile, 20)}\nby function:\n${top(byFn, 40)}`);
  void n;
}
await db.close();
fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
