/**
 * Profiles the service under one scenario's load with V8's sampling profiler (--cpu-prof) and
 * prints where the time goes: self time by package or source file, and the top functions.
 *
 *   node --import tsx bench/profile.ts <getLead|syncLeadNoChange|syncLeadUnsubscribe|getLeadActivity|syncMultipleLeads|oneClick> [seconds]
 *
 * SQLite unless DATABASE_URL is set. The .cpuprofile stays in a temp dir (open it in Chrome
 * DevTools or speedscope for the full picture).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testEngines } from '../test/support/database.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freshServiceDatabase } from '../test/support/service-process.js';
import { TEST_KEY_SECRET } from '../test/support/service.js';
import { drive } from './lib/load.js';
import { ONE_CLICK_BODY, ONE_CLICK_ENV, ONE_CLICK_TYPE, oneClickPaths } from './lib/one-click.js';
import { addActivities, createPeople, openSeedDatabase } from './lib/seed.js';
import {
  closeAgent,
  envelope,
  getLeadActivity,
  getLeadByEmail,
  syncLead,
  syncMultipleLeads,
} from './lib/soap.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export function group(url: string): string {
  if (url === '') return '(native/gc/idle)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/src/');
  return src >= 0 ? url.slice(src + 1) : url;
}

export function summarise(file: string, top = 40): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    startTime: number;
    endTime: number;
  };
  const total = profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    const { functionName, url, lineNumber } = n.callFrame;
    const g = functionName === '(idle)' ? '(idle)' : group(url);
    byGroup.set(g, (byGroup.get(g) ?? 0) + hits);
    const f = `${functionName || '(anonymous)'} ${group(url)}:${lineNumber + 1}`;
    byFunction.set(f, (byFunction.get(f) ?? 0) + hits);
  }
  // Inclusive time: every function on the stack of a sample gets the sample once.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      const key = `${f.functionName || '(anonymous)'} ${group(f.url)}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
    }
  }
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  return (
    `self time by package/file:\n${fmt(byGroup)}\n\ntop functions (self):\n${fmt(byFunction)}` +
    `\n\ntop functions (inclusive):\n${fmt(inclusive)}`
  );
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `durable-unsubscribe serve` under --cpu-prof (a flag NODE_OPTIONS may not carry). */
export async function spawnProfiled(env: Record<string, string>, dir: string) {
  const child = spawn(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', 'src/cli/index.ts', 'serve'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        // PostgreSQL refuses to start without a key secret (test/support/service-process.ts).
        ...(env.DATABASE_URL ? { USER_KEY_SECRET: TEST_KEY_SECRET } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error(`service exited at start:\n${out}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/soap/mktows/2_9`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const scenario = process.argv[2] ?? 'getLead';
  const seconds = Number(process.argv[3] ?? 10);
  const engine = testEngines().at(-1)!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-prof-'));
  const db = await freshServiceDatabase(engine);
  const service = await spawnProfiled({ ...db.env, ...ONE_CLICK_ENV }, dir);
  const seedDb = openSeedDatabase(db.env);
  try {
    const url = service.url;
    const n = 300;
    await createPeople(
      url,
      Array.from({ length: n }, (_, i) => ({
        email: `p-${i}@bench.example`,
        attrs: { FirstName: `First${i}`, LastName: 'Bench', Company: 'Bench Corp' },
      })),
    );
    await createPeople(
      url,
      Array.from({ length: 100 * 11 }, (_, i) => ({ email: `u-${i % 100}@bench.example` })),
    );
    const [activityLead] = await createPeople(url, [{ email: 'activity@bench.example' }]);
    await addActivities(seedDb, [activityLead!], 500);
    let i = 0;
    const bodies: Record<string, [string, () => string]> = {
      getLead: ['getLead', () => envelope(getLeadByEmail(`p-${i++ % n}@bench.example`))],
      syncLeadNoChange: [
        'syncLead',
        () => {
          const k = i++ % n;
          return envelope(
            syncLead({
              email: `p-${k}@bench.example`,
              attrs: { FirstName: `First${k}`, LastName: 'Bench', Company: 'Bench Corp' },
            }),
          );
        },
      ],
      syncLeadUnsubscribe: [
        'syncLead',
        () => {
          const k = i++;
          return envelope(
            syncLead({
              email: `u-${k % 100}@bench.example`,
              attrs: { Unsubscribed: String(Math.floor(k / 100) % 2 === 0) },
            }),
          );
        },
      ],
      getLeadActivity: ['getLeadActivity', () => envelope(getLeadActivity(activityLead!))],
      syncMultipleLeads: [
        'syncMultipleLeads',
        () => {
          const v = i++;
          return envelope(
            syncMultipleLeads(
              Array.from({ length: 300 }, (_, j) => ({
                email: `p-${j}@bench.example`,
                attrs: { FirstName: `V${v}`, LastName: 'Bench' },
              })),
            ),
          );
        },
      ],
    };
    const [operation, next] = bodies[scenario] ?? bodies.getLead!;
    const load = { connections: 10, durationSeconds: seconds };
    const r =
      scenario === 'oneClick'
        ? await drive(service.base, 'oneClick', () => ONE_CLICK_BODY, load, undefined, {
            contentType: ONE_CLICK_TYPE,
            paths: oneClickPaths(),
          })
        : await drive(url, operation, next, load);
    process.stdout.write(
      `${scenario} on ${engine.name}: ${r.rps.toFixed(1)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.failures} failures\n`,
    );
  } finally {
    await service.stop();
    await seedDb.close();
    await db.drop();
    closeAgent();
  }
  // The main thread's profile is the largest (tsx's loader thread writes one too).
  const file = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => fs.statSync(path.join(dir, b)).size - fs.statSync(path.join(dir, a)).size)[0];
  if (!file) throw new Error(`no profile written in ${dir}`);
  process.stdout.write(`${summarise(path.join(dir, file))}\n\nprofile: ${path.join(dir, file)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) !== fileURLToPath(import.meta.url)) {
  // Imported (the tests): nothing runs.
} else if (process.argv[2] === '--summary') {
  process.stdout.write(`${summarise(process.argv[3]!)}\n`);
} else
  main().catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
