import cluster from 'node:cluster';
import { answerMetricsRequests } from '../cluster/instance-metrics.js';
import { superviseWorkers, type ReadyMessage } from '../cluster/supervisor.js';
import { settingWarnings, type Config } from '../config.js';
import { createLogger, exitOnceLogged } from '../logger.js';
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
  const logger = createLogger(config.logLevel);
  let heard: string | null = null;
  let heardAt = 0;
  // The last line of a stop that ended well: a log ending at `shutting down` alone cannot tell a
  // clean stop from a process killed while it drained. A worker's primary says it for the
  // instance, once every worker has exited.
  const exitStopped = () => {
    if (role !== 'worker') logger.info({ signal: heard, ms: Date.now() - heardAt }, 'stopped');
    exitOnceLogged(logger, 0);
  };
  const stop = (signal: string) => {
    if (heard !== null) return;
    heard = signal;
    heardAt = Date.now();
    // Said at once, while starting too: a start that ends at a signal ends with this line.
    logger.info({ signal }, 'shutting down');
    // Bounded from the signal on, whatever it finds: a start-up migration waiting for a lock
    // (or rewriting a large table) would otherwise hold the stop until the supervisor's SIGKILL.
    // A migration cut off is undone by the database and applied again by the next start.
    const force = setTimeout(() => {
      logger.error(`the stop did not end within 15 s (${heard}): exiting without waiting longer`);
      exitOnceLogged(logger, 1);
    }, 15000);
    force.unref();
    // start() is still running (waiting for the database, perhaps): it stops as soon as it can.
    if (state.running) drain(state.running);
    else starting.abort();
  };
  const drain = (running: Running) => {
    running.close().then(exitStopped, (error: unknown) => {
      logger.error({ err: error }, `the stop failed (${heard}): exiting`);
      exitOnceLogged(logger, 1);
    });
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
    running = state.running = await start(own, logger, {
      signal: starting.signal,
      startupNotices: role !== 'worker',
      claimDataDir: role === 'single',
      listenWhenReady: role === 'worker',
      // A port left to the system (0) is known once bound: said then, not only in the banner,
      // which waits for the database.
      onListening: (ports) => {
        if (own.port === 0 || own.metricsPort === 0)
          logger.info(ports, 'ports bound while starting');
      },
    });
  } catch (error) {
    if (starting.signal.aborted) return exitStopped();
    throw error;
  }
  if (role === 'worker') {
    // The primary serves this process's metrics with the other workers' (its /metrics).
    process.on(
      'message',
      answerMetricsRequests(
        running.metrics.registry,
        (message) => process.connected && process.send!(message),
      ),
    );
    process.send!({ du: 'ready', port: running.port } satisfies ReadyMessage);
  }
  // A signal heard while starting that start() finished anyway: the drain it asked for.
  if (heard !== null) return drain(running);
  if (role === 'single')
    process.stdout.write(serveBanner(running, process.stdout.isTTY === true, config.metricsHost));
}
