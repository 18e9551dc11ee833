/**
 * batch-stages.ts for two built checkouts in one process: each root's dist/ is loaded with its
 * own SOAP engine, request reader, handlers and SQLite file, and the two handle rounds of
 * syncMultipleLeads calls (300 updates by email) in turn, A B then B A. Per round, the main
 * thread's CPU per call (read and handler) of each: on a shared machine the two sides of a
 * round see the same load, so the per-round ratios say what separate runs cannot.
 *
 *   node --import tsx bench/batch-stages-ab.ts ROOT_A ROOT_B [rounds] [calls per round]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GuardLimits } from '../src/soap-transport/envelope-guard.js';
import type { WsdlInternals } from '../src/soap-transport/request-shapes.js';
import { wsdlGuardLimits } from './lib/guard-limits.js';
import { envelope, syncMultipleLeads } from './lib/soap.js';

const [rootA, rootB] = process.argv.slice(2, 4);
if (!rootA || !rootB) throw new Error('usage: batch-stages-ab.ts ROOT_A ROOT_B [rounds] [calls]');
const rounds = Number(process.argv[4] ?? 10);
const calls = Number(process.argv[5] ?? 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mainCpu = () =>
  Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;

let v = 0;
const body = () => {
  const n = v++;
  return envelope(
    syncMultipleLeads(
      Array.from({ length: 300 }, (_, j) => ({
        email: `p-${j}@bench.example`,
        attrs: { FirstName: `V${n}`, LastName: 'Bench' },
      })),
    ),
  );
};

interface Side {
  handle(xml: string): Promise<unknown>;
  close(): Promise<void>;
}

async function side(root: string): Promise<Side> {
  const load = (m: string) => import(path.join(root, 'dist/src', m + '.js'));
  const { createSoapEngine, RAW_TEXT_TYPES } = await load('soap-transport/soap-engine');
  const { createRequestReader } = await load('soap-transport/fast-request-reader');
  const { FAST_READ } = await load('mktows/fast-read');
  const { mktowsHandlers } = await load('mktows/mktows.handlers');
  const { createServices } = await load('compose');
  const { openDatabase } = await load('data-access/database');
  const { migrateLatest } = await load('data-access/migrator');
  const wsdlXml = fs.readFileSync(path.join(root, 'wsdl/mktows.wsdl'), 'utf8');
  const engine = await createSoapEngine({ path: '/soap/mktows', wsdlXml, services: {} });
  const reader = createRequestReader(
    engine.wsdl as unknown as WsdlInternals,
    RAW_TEXT_TYPES,
    FAST_READ,
  ) as { readGuarded(xml: string, l: GuardLimits): unknown };
  const limits = wsdlGuardLimits(wsdlXml);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-stages-ab-'));
  const db = openDatabase({ databaseUrl: '', dataDir, sqliteBusyTimeoutMs: 10000, dbPoolMax: 1 });
  await migrateLatest(db);
  const services = createServices(db, { customFields: [], defaultPartition: 'Default' }, {});
  const handlers = mktowsHandlers(services, { maxBatchSize: 1000, getLeadMaxResults: 100 });
  const ctx = { userId: 'bench', permissions: { write: true, partitions: null } } as never;
  await services.leads.syncMany(
    Array.from({ length: 300 }, (_, j) => ({
      email: `p-${j}@bench.example`,
      attributes: [{ name: 'FirstName', value: 'F' }],
    })),
    { path: { source: 'bench', reason: 'bench' } as never },
  );
  return {
    async handle(xml) {
      const read = reader.readGuarded(xml, limits) as { Body: Record<string, unknown> };
      const args = read.Body.paramsSyncMultipleLeads as Record<string, unknown>;
      return handlers.syncMultipleLeads!(args, ctx);
    },
    async close() {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const a = await side(path.resolve(rootA));
const b = await side(path.resolve(rootB));
for (let w = 0; w < 3; w++)
  for (const s of [a, b]) for (let i = 0; i < calls; i++) await s.handle(body());

async function round(s: Side): Promise<number> {
  const xmls = Array.from({ length: calls }, body);
  const m = mainCpu();
  for (const x of xmls) await s.handle(x);
  return (mainCpu() - m) / calls;
}

const ratios: number[] = [];
const as: number[] = [];
const bs: number[] = [];
for (let r = 0; r < rounds; r++) {
  let ta: number, tb: number;
  if (r % 2 === 0) {
    ta = await round(a);
    tb = await round(b);
  } else {
    tb = await round(b);
    ta = await round(a);
  }
  as.push(ta);
  bs.push(tb);
  ratios.push(tb / ta);
  console.log(
    `round ${r + 1}: A ${ta.toFixed(0)} µs  B ${tb.toFixed(0)} µs  B/A ×${(tb / ta).toFixed(3)}`,
  );
}
console.log(
  `main thread per call, medians of ${rounds}: A ${median(as).toFixed(0)} µs, B ${median(bs).toFixed(0)} µs; B/A median ×${median(ratios).toFixed(3)}, B lower in ${ratios.filter((x) => x < 1).length} of ${rounds}`,
);
await a.close();
await b.close();
process.exit(0);
