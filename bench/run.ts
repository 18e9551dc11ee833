/**
 * The benchmark: the service beside two ceilings, on the same machine, in one run.
 *
 *   npm run bench            full run; writes docs/benchmarks.md and docs/benchmarks.json
 *   npm run bench:quick      short run (CI); writes JSON to a temp dir only
 *   (any option narrowing a run also keeps it out of docs/ unless --docs/--json name a file)
 *   node --import tsx bench/run.ts [--quick] [--json FILE] [--docs FILE] [--engines sqlite,postgres]
 *     [--scenarios a,b] [--no-scaling] [--duration S] [--service-node-options OPTS] [--from-source]
 *     [--no-vacuum] [--allow-failures] [--help]
 *
 * SQLite always; PostgreSQL too when DATABASE_URL is set (a fresh database of its own). The
 * service is built first and run from dist/, as `npm start` runs it (--from-source: through tsx).
 * On PostgreSQL the database is vacuumed after seeding and before each scenario, as autovacuum
 * keeps one in service (--no-vacuum: analysed after seeding only, the method before that).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testEngines, type TestEngine } from '../test/support/database.js';
import {
  buildService,
  freshServiceDatabase,
  spawnService,
  type ServiceProcess,
} from '../test/support/service-process.js';
import { processesFor } from './ceilings/cluster.js';
import type { EventLoopFigures } from './lib/event-loop.js';
import { readRunArgs, RUN_USAGE, type RunArgs } from './lib/run-args.js';
import { measureEventLoop } from './lib/event-loop-scenario.js';
import {
  mib,
  type BenchReport,
  type EngineReport,
  type ScenarioFigures,
  type Sizes,
} from './lib/figures.js';
import { measureScenario } from './lib/measure.js';
import { ONE_CLICK_ENV } from './lib/one-click.js';
import { startCeiling, type Ceiling } from './lib/processes.js';
import { renderMarkdown, writeDocs } from './lib/report.js';
import { measureScaling } from './lib/scaling.js';
import { loadScenarios } from './lib/scenarios.js';
import {
  addActivities,
  createPeople,
  openSeedDatabase,
  readPoolPerson,
  refreshStatistics,
} from './lib/seed.js';
import { FULL, QUICK } from './lib/sizes.js';
import { checkTargets } from './lib/targets.js';
import { closeAgent } from './lib/soap.js';

export type { BenchReport, EngineReport } from './lib/figures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchOptions {
  quick: boolean;
  /** Where the JSON goes. */
  jsonFile: string;
  /** docs/benchmarks.md to update, or none. */
  docsFile?: string;
  engines?: string[];
  /** Development runs: only these load scenarios, and no scaling curves. */
  scenarios?: string[];
  skipScaling?: boolean;
  durationSeconds?: number;
  /** Comparing an old build: keep figures of runs with failed requests instead of stopping. */
  allowFailures?: boolean;
  /** NODE_OPTIONS for the service process (e.g. a heap limit); none by default. */
  serviceNodeOptions?: string;
  /**
   * Run the service from its sources through the tsx loader (as the tests do) instead of the
   * built dist/ that production runs; for comparing with figures taken that way.
   */
  fromSource?: boolean;
  /**
   * PostgreSQL: vacuum (and analyse) after seeding and before each scenario, as autovacuum keeps
   * a database in service (default). false: analyse after seeding only, the method before the
   * fortieth round, for comparing with figures taken that way.
   */
  vacuum?: boolean;
  log?: (line: string) => void;
}

async function runEngine(
  engine: TestEngine,
  sizes: Sizes,
  processes: number,
  ceilings: Record<'bare' | 'soapEcho', Ceiling>,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<EngineReport> {
  const db = await freshServiceDatabase(engine);
  let service: ServiceProcess | undefined;
  const seedDb = openSeedDatabase(db.env);
  try {
    service = await spawnService(
      {
        ...db.env,
        LOG_LEVEL: 'warn',
        // The benchmark measures the service's ceiling with one user: its per-user rate limit
        // (1,000 calls/s by default, 20 times the bulk feed the benchmark drives) is off.
        RATE_LIMIT_CALLS: '0',
        // As many processes as each ceiling runs (bench/ceilings/cluster.ts).
        WORKERS: String(processes),
        ...ONE_CLICK_ENV,
        ...(options.serviceNodeOptions ? { NODE_OPTIONS: options.serviceNodeOptions } : {}),
      },
      { built: !options.fromSource },
    );
    const url = service.url;
    log(`[${engine.name}] service pid ${service.pid} on ${service.base}`);

    // --- Seed -----------------------------------------------------------------------------
    const seedStarted = Date.now();
    let seeded = 0;
    const getPeople = Array.from({ length: sizes.getPool }, (_, i) => readPoolPerson(i));
    const getIds = await createPeople(url, getPeople);
    seeded += getIds.length;
    const unsubPeople = [];
    for (let a = 0; a < sizes.unsubAddresses; a++)
      for (let p = 0; p < sizes.unsubPeople; p++)
        unsubPeople.push({ email: `unsub-${a}@bench.example`, attrs: { FirstName: `P${p}` } });
    seeded += (await createPeople(url, unsubPeople)).length;
    const multiPeople = Array.from({ length: sizes.multiBlocks * 300 }, (_, i) => ({
      email: `multi-${i}@bench.example`,
      attrs: { FirstName: 'seed', LastName: 'Bench', Company: 'Bench Corp' },
    }));
    seeded += (await createPeople(url, multiPeople)).length;
    const seedingLeadsPerSecond = seeded / ((Date.now() - seedStarted) / 1000);
    log(`[${engine.name}] seeded ${seeded} people at ${Math.round(seedingLeadsPerSecond)}/s`);
    const [activityLead] = await createPeople(url, [{ email: 'activity@bench.example' }]);
    await addActivities(seedDb, [activityLead!], sizes.activityLeadHistory);
    const vacuum = options.vacuum !== false;
    await refreshStatistics(seedDb, { vacuum });
    // PostgreSQL: each scenario starts on a vacuumed database, as autovacuum leaves one between
    // bursts (a server with it off would hand every scenario the dead versions of those before).
    const settle = async () => {
      if (engine.name === 'postgres' && vacuum) await refreshStatistics(seedDb);
    };

    // --- Load scenarios ---------------------------------------------------------------------
    const scenarios = loadScenarios(sizes, activityLead!);
    const results: ScenarioFigures[] = [];
    for (const s of scenarios) {
      if (options.scenarios && !options.scenarios.includes(s.name)) continue;
      await settle();
      results.push(
        await measureScenario(s, {
          service,
          ceilings,
          sizes,
          allowFailures: options.allowFailures,
          engineName: engine.name,
          beforeServiceRun: settle,
          log,
        }),
      );
    }
    let eventLoop: EventLoopFigures | undefined;
    if (!options.scenarios || options.scenarios.includes('eventLoop')) {
      await settle();
      eventLoop = await measureEventLoop(service, scenarios, sizes, seedDb, engine.name);
      log(`[${engine.name}] event loop: ${JSON.stringify(eventLoop)}`);
    }
    const peakRssUnderLoadMiB = mib(service.memory().peak);
    const scaling: EngineReport['scaling'] = options.skipScaling
      ? {
          unsubscribeBySharing: [],
          resubscribeBySharing: [],
          pageByHistory: [],
          pageByDepth: [],
          pageByTableSize: [],
        }
      : await measureScaling({
          url,
          engineName: engine.name,
          sizes,
          seedDb,
          tablePeople: getIds,
          vacuum,
          log,
        });

    const report: EngineReport = {
      engine: engine.name,
      processes,
      scenarios: results,
      peakRssUnderLoadMiB,
      peakRssOverallMiB: mib(service!.memory().peak),
      seedingLeadsPerSecond: Math.round(seedingLeadsPerSecond),
      scaling,
      ...(eventLoop ? { eventLoop } : {}),
      targets: [],
    };
    report.targets = checkTargets(report);
    return report;
  } finally {
    await service?.stop();
    await seedDb.close();
    await db.drop();
  }
}

async function postgresVersion(): Promise<string | undefined> {
  if (!process.env.DATABASE_URL) return undefined;
  const db = openSeedDatabase({ DATABASE_URL: process.env.DATABASE_URL });
  try {
    const r = (await db.knex.raw('SHOW server_version')) as {
      rows: Array<{ server_version: string }>;
    };
    return r.rows[0]?.server_version;
  } catch {
    return undefined;
  } finally {
    await db.close();
  }
}

export async function runBenchmark(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.quick ? QUICK : FULL;
  const sizes: Sizes = options.durationSeconds
    ? { ...base, load: { ...base.load, durationSeconds: options.durationSeconds } }
    : base;
  const started = Date.now();
  const engines = testEngines().filter((e) => !options.engines || options.engines.includes(e.name));
  const report: BenchReport = {
    command: `npm run ${options.quick ? 'bench:quick' : 'bench'}`,
    quick: options.quick,
    startedAt: new Date(started).toISOString(),
    seconds: 0,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      postgres: await postgresVersion(),
    },
    settings: sizes,
    engines: [],
  };
  // The service runs as production runs it, from dist/: built from the sources being measured.
  if (!options.fromSource) buildService();
  try {
    for (const engine of engines) {
      // Each engine's ceilings run as many processes as the service does on that engine.
      const processes = processesFor(engine.name);
      const bare = await startCeiling('bare-express', processes);
      const soapEcho = await startCeiling('soap-echo', processes);
      try {
        report.engines.push(
          await runEngine(engine, sizes, processes, { bare, soapEcho }, options, log),
        );
      } finally {
        await bare.stop();
        await soapEcho.stop();
      }
    }
  } finally {
    closeAgent();
  }
  report.seconds = Math.round((Date.now() - started) / 1000);
  fs.mkdirSync(path.dirname(options.jsonFile), { recursive: true });
  fs.writeFileSync(options.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  log(renderMarkdown(report));
  if (options.docsFile) writeDocs(options.docsFile, report);
  return report;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let read: RunArgs;
  try {
    read = readRunArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  if (read.help) {
    process.stdout.write(`${RUN_USAGE}\n`);
    process.exit(0);
  }
  const { values, flags } = read;
  const quick = flags.has('--quick');
  // Only a complete run may replace the committed figures; a partial one reports to a temp dir.
  const partial =
    quick ||
    flags.has('--no-scaling') ||
    ['--scenarios', '--engines', '--duration', '--service-node-options'].some((a) =>
      values.has(a),
    ) ||
    ['--from-source', '--no-vacuum'].some((a) => flags.has(a));
  const jsonFile =
    values.get('--json') ??
    (partial
      ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'du-bench-')), 'benchmarks.json')
      : path.join(ROOT, 'docs', 'benchmarks.json'));
  const docsFile =
    values.get('--docs') ?? (partial ? undefined : path.join(ROOT, 'docs', 'benchmarks.md'));
  runBenchmark({
    quick,
    jsonFile,
    docsFile,
    engines: values.get('--engines')?.split(','),
    scenarios: values.get('--scenarios')?.split(','),
    skipScaling: flags.has('--no-scaling'),
    allowFailures: flags.has('--allow-failures'),
    serviceNodeOptions: values.get('--service-node-options'),
    fromSource: flags.has('--from-source'),
    vacuum: !flags.has('--no-vacuum'),
    durationSeconds: values.has('--duration') ? Number(values.get('--duration')) : undefined,
  })
    .then(() => {
      process.stdout.write(`JSON: ${jsonFile}${docsFile ? `\nDocs: ${docsFile}` : ''}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    });
}
