/**
 * Bytes the service's main thread allocates per call: a figure a loaded machine does not distort.
 * The built service (its production flags) on a fresh database, the benchmark's scenario at 10
 * connections: a warm-up, then a fixed number of calls counted by bench/lib/alloc-probe.mjs.
 *
 *   node --import tsx bench/alloc.ts [oneClick,syncLeadUnsubscribe,getLead,syncLeadNoChange] [calls] [--top N]
 *
 * SQLite, and PostgreSQL too when DATABASE_URL is set; one process (WORKERS=1). Run
 * `npm run build` first. Bytes, not time: a figure the load of a shared machine leaves alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { testEngines } from '../test/support/database.js';
import { freshServiceDatabase, spawnService } from '../test/support/service-process.js';
import { waitFor } from '../test/support/wait.js';
import { ONE_CLICK_BODY, ONE_CLICK_ENV, ONE_CLICK_TYPE, oneClickPaths } from './lib/one-click.js';
import { createPeople, readPoolPerson } from './lib/seed.js';
import { closeAgent, envelope, getLeadByEmail, MKTOWS, syncLead } from './lib/soap.js';
import { group } from './profile.js';

const PROBE = pathToFileURL(
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib/alloc-probe.mjs'),
).href;
const ADDRESSES = 60;
const PEOPLE_PER_ADDRESS = 11;
/** getLead and the syncLead that changes nothing: the mixed load's other two calls. */
const READ_POOL = 500;

/** The request bodies of a SOAP scenario, the people it needs seeded first. */
async function soapBodies(url: string, scenario: string): Promise<() => string> {
  let i = 0;
  if (scenario === 'getLead' || scenario === 'syncLeadNoChange') {
    await createPeople(
      url,
      Array.from({ length: READ_POOL }, (_, n) => readPoolPerson(n)),
    );
    if (scenario === 'getLead')
      return () => envelope(getLeadByEmail(`get-${i++ % READ_POOL}@bench.example`));
    return () => {
      const n = i++ % READ_POOL;
      const { email } = readPoolPerson(n);
      return envelope(
        syncLead({
          email,
          attrs: {
            FirstName: `First${n}`,
            LastName: 'Bench',
            Company: 'Bench Corp',
            Unsubscribed: 'false',
          },
        }),
      );
    };
  }
  const people = Array.from({ length: ADDRESSES * PEOPLE_PER_ADDRESS }, (_, n) => ({
    email: `unsub-${n % ADDRESSES}@bench.example`,
  }));
  await createPeople(url, people);
  return () => {
    const visit = Math.floor(i / ADDRESSES);
    const email = `unsub-${i++ % ADDRESSES}@bench.example`;
    return envelope(syncLead({ email, attrs: { Unsubscribed: String(visit % 2 === 0) } }));
  };
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** `calls` requests at 10 connections; throws unless every answer was a 2xx. */
async function fire(base: string, scenario: string, calls: number, next: () => string) {
  const oneClick = scenario === 'oneClick';
  const operation = scenario === 'getLead' ? 'getLead' : 'syncLead';
  const r = await autocannon({
    url: oneClick ? base : `${base}/soap/mktows/2_9`,
    connections: 10,
    amount: calls,
    method: 'POST',
    headers: oneClick
      ? { 'content-type': ONE_CLICK_TYPE }
      : { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${MKTOWS}${operation}"` },
    requests: [
      {
        setupRequest: (req) =>
          oneClick ? { ...req, path: next(), body: ONE_CLICK_BODY } : { ...req, body: next() },
      },
    ],
  });
  if (r['2xx'] !== calls) throw new Error(`${scenario}: ${r['2xx']} of ${calls} answered 2xx`);
}

function summarise(root: HeapNode, calls: number, top: number): string {
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  const walk = (n: HeapNode) => {
    const f = n.callFrame;
    const file = group(f.url);
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + n.selfSize);
    byFile.set(file, (byFile.get(file) ?? 0) + n.selfSize);
    n.children.forEach(walk);
  };
  walk(root);
  const total = [...byFile.values()].reduce((a, b) => a + b, 0);
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, v]) =>
          `  ${((v / total) * 100).toFixed(1).padStart(5)}% ${Math.round(v / calls)} B  ${k}`,
      )
      .join('\n');
  return `  sampled ${Math.round(total / calls)} B a call\n by file:\n${fmt(byFile)}\n by function:\n${fmt(self)}`;
}

async function measure(engineName: string, scenario: string, calls: number, top: number) {
  const engine = testEngines().find((e) => e.name === engineName)!;
  const db = await freshServiceDatabase(engine);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'du-alloc-')), 'alloc.json');
  const service = await spawnService(
    {
      ...db.env,
      ...ONE_CLICK_ENV,
      // One process (PostgreSQL's default is one per core): the probe counts its main thread.
      WORKERS: '1',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${PROBE}`,
      ALLOC_PROBE_OUT: out,
    },
    { built: true },
  );
  try {
    const next =
      scenario === 'oneClick' ? oneClickPaths() : await soapBodies(service.url, scenario);
    await fire(service.base, scenario, Math.max(500, calls / 2), next);
    service.child.kill('SIGUSR2');
    await fire(service.base, scenario, calls, next);
    service.child.kill('SIGUSR2');
    if (!(await waitFor(() => fs.existsSync(out), 30000)))
      throw new Error('the probe wrote nothing');
    const r = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      allocated: number;
      collections: number;
      profile: { head: HeapNode };
    };
    process.stdout.write(
      `${scenario} on ${engine.name}: ${Math.round(r.allocated / calls)} B allocated a call ` +
        `(${calls} calls, ${r.collections} collections)\n${summarise(r.profile.head, calls, top)}\n`,
    );
  } finally {
    await service.stop();
    await db.drop();
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 12;
  const scenarios = (args[0] ?? 'oneClick,syncLeadUnsubscribe').split(',');
  const calls = Number(args[1] ?? 4000);
  for (const engine of testEngines())
    for (const scenario of scenarios) await measure(engine.name, scenario, calls, top);
  closeAgent();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
