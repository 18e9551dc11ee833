import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestEngine } from './database.js';
import { childrenOf } from './proc.js';
import { TEST_KEY_SECRET, TEST_USER } from './service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  base: string;
  url: string;
  output(): string;
  /** Resident memory now and at its peak, from /proc, in bytes: its largest process's. */
  memory(): { rss: number; peak: number };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** The built entry point (`npm run build`), as `npm start` and the bin run it. */
export const BUILT_CLI = path.join(ROOT, 'dist/src/cli/index.js');

export interface SpawnOptions {
  /**
   * Run the built `dist/` (as in production) instead of the sources through the tsx loader,
   * which costs 25-35 MiB of RSS and start-up time: what a benchmark must not count. The caller
   * builds first (buildService).
   */
  built?: boolean;
}

/**
 * The node flags `npm start` gives the service (package.json), so that what a benchmark runs is
 * the production process, flags included.
 */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string | undefined>;
  };
  const m = /\bnode((?: --\S+)*) dist\/src\/cli\/index\.js serve\b/.exec(pkg.scripts.start ?? '');
  if (!m) throw new Error('package.json: start no longer runs node … dist/src/cli/index.js serve');
  return m[1]!.split(' ').filter((f) => f !== '');
}

/** Compiles the service to `dist/` (`npm run build`), for spawnService({ built: true }). */
export function buildService(): void {
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
}

/** The real service in its own process (`durable-unsubscribe serve`), on a free port. */
export async function spawnService(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<ServiceProcess> {
  const entry = options.built
    ? [...productionNodeFlags(), BUILT_CLI, 'serve']
    : ['--import', 'tsx', path.join(ROOT, 'src/cli/index.ts'), 'serve'];
  const merged: Record<string, string | undefined> = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Any free port: several services run at once, and others may hold the default.
    METRICS_PORT: '0',
    ...env,
  };
  // PostgreSQL refuses to start without a key secret.
  if (merged.DATABASE_URL && !merged.USER_KEY_SECRET && !merged.USER_KEY_SECRET_FILE)
    merged.USER_KEY_SECRET = TEST_KEY_SECRET;
  const child = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = collectAndAwaitPort(child, 'service');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await started.port;
  const output = started.output;
  const base = `http://127.0.0.1:${port}`;
  // Per process: the largest of the service's processes (a primary and its workers).
  const statusField = (name: string) => {
    let largest = 0;
    for (const pid of [child.pid!, ...childrenOf(child.pid!)]) {
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
        if (m) largest = Math.max(largest, Number(m[1]) * 1024);
      } catch {
        // gone meanwhile
      }
    }
    return largest;
  };
  return {
    child,
    pid: child.pid!,
    port,
    base,
    url: `${base}/soap/mktows/2_9`,
    output,
    memory: () => ({ rss: statusField('VmRSS'), peak: statusField('VmHWM') }),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/** A fresh migrated database and the environment that points a service process at it. */
export async function freshServiceDatabase(
  engine: TestEngine,
): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const made = await engine.create();
  await made.db.close();
  const env: Record<string, string> = {
    MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey}`,
  };
  if (made.url) env.DATABASE_URL = made.url;
  else {
    env.DATABASE_URL = '';
    env.DATA_DIR = made.dataDir;
  }
  return { env, drop: made.drop };
}

/** What withFreshService spawns: settings over the fresh database's environment. */
export interface FreshServiceOptions extends SpawnOptions {
  settings?: Record<string, string>;
}

/**
 * A fresh migrated database and the service spawned on it, for `body` (which may kill the
 * service or stop it itself); afterwards the service is stopped if it still runs and the
 * database dropped, however `body` ended. `env` points a restarted process at the database.
 */
export async function withFreshService(
  engine: TestEngine,
  options: FreshServiceOptions,
  body: (service: ServiceProcess, env: Record<string, string>) => Promise<void>,
): Promise<void> {
  await withFreshDatabase(engine, async (env) => {
    const service = await spawnService({ ...env, ...options.settings }, options);
    try {
      await body(service, env);
    } finally {
      await service.stop();
    }
  });
}

/** freshServiceDatabase's environment for `body`; the database dropped however `body` ended. */
export async function withFreshDatabase(
  engine: TestEngine,
  body: (env: Record<string, string>) => Promise<void>,
): Promise<void> {
  const db = await freshServiceDatabase(engine);
  try {
    await body(db.env);
  } finally {
    await db.drop();
  }
}

/**
 * Gathers a child's stdout and stderr, and resolves with the port once it prints "listening
 * on port N" (rejects, with the output, if it exits first or stays silent for 60 s: on a
 * loaded machine, starting through the tsx loader alone can take half of that).
 */
export function collectAndAwaitPort(
  child: ChildProcess,
  name: string,
): { port: Promise<number>; output: () => string } {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${out}`)), 60000);
    child.stdout!.on('data', () => {
      const m = /listening on port (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${name} exited at start:\n${out}`));
    });
  });
  return { port, output: () => out };
}
