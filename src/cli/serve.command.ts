import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { superviseWorkers, type ReadyMessage } from '../cluster/supervisor.js';
import { settingWarnings, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { start, type Running } from '../main.js';
import { limitHeapGrowth } from './heap-growth.js';
import { serveBanner } from './serve-banner.js';

/**
 * `serve`: one process (WORKERS=1), or the primary of WORKERS worker processes, or (run by that
 * primary) one of its workers.
 */
export async function runServe(config: Config): Promise<void> {
  // Every process of the instance, before its heap grows.
  limitHeapGrowth(config.heapGrowthPercent);
  if (cluster.isWorker) return serveOneProcess(config, 'worker');
  // A variable that looks like a setting but is not one (MAX_BODY_SIZE): said once, not refused.
  const warnings = settingWarnings();
  if (warnings.length > 0) {
    const logger = createLogger(config.logLevel);
    for (const line of warnings) logger.warn(line);
  }
  // An in-memory database lives in one process: workers would each have their own.
  const embeddedInMemory = !config.databaseUrl && config.dataDir === ':memory:';
  if (config.workers > 1 && !embeddedInMemory) {
    const terminal = process.stdout.isTTY === true;
    return superviseWorkers(config, createLogger(config.logLevel), (facts) =>
      process.stdout.write(serveBanner(facts, terminal, config.metricsHost)),
    );
  }
  return serveOneProcess(config, 'single');
}

async function serveOneProcess(config: Config, role: 'single' | 'worker'): Promise<void> {
  // Handlers first: a signal that arrives while starting (or just after the banner) must still
  // shut down gracefully instead of killing the process outright.
  const state: { running?: Running } = {};
  const starting = new AbortController();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { running } = state;
    // start() is still running (waiting for the database, perhaps): it stops as soon as it can.
    if (!running) return starting.abort();
    running.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A closed terminal or ssh session: node's default would end the process where it stands,
  // calls in flight cut off; the service has nothing to reload, so it drains as on SIGTERM.
  process.on('SIGHUP', () => stop('SIGHUP'));

  let running: Running;
  try {
    // A worker's metrics are served by the primary, aggregated with the other workers'.
    const own = role === 'worker' ? { ...config, metricsPort: null } : config;
    running = state.running = await start(own, undefined, {
      signal: starting.signal,
      startupNotices: role !== 'worker',
      claimDataDir: role === 'single',
    });
  } catch (error) {
    if (starting.signal.aborted) process.exit(0);
    throw error;
  }
  if (role === 'worker') {
    new AggregatorRegistry(); // answers the primary's requests for this process's metrics
    AggregatorRegistry.setRegistries([running.metrics.registry]);
    process.send!({ du: 'ready', port: running.port } satisfies ReadyMessage);
  }
  if (stopping) {
    stopping = false;
    return stop('SIGTERM');
  }
  if (role === 'single')
    process.stdout.write(serveBanner(running, process.stdout.isTTY === true, config.metricsHost));
}
