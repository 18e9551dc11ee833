import cluster, { type Worker } from 'node:cluster';
import { LOGIN_WINDOW_MS } from '../limits/login-throttle.js';
import type { Config } from '../config.js';
import { UNSUBSCRIBE_RATE_WINDOW_MS } from '../config/one-click.settings.js';
import { exitOnceLogged, type Logger } from '../logger.js';
import { start, type Running } from '../main.js';
import { bindMetricsPort, bindPort } from '../http/service-ports.js';
import type { Server } from 'node:http';
import type { MetricsSource } from '../metrics.js';
import { LoanBroker, isLoanMessage } from './concurrency-loans.js';
import { Handoffs } from './handoffs.js';
import { InstanceMetrics, isMetricsMessage } from './instance-metrics.js';
import { isLimitMessage } from './instance-limits.js';
import { InstanceLimits, type InstanceLimitOptions } from './primary-limits.js';

/** What a worker tells the primary once it serves (after start() resolved). */
export interface ReadyMessage {
  du: 'ready';
  port: number;
}

/** What the banner says of the instance once every worker serves. */
export interface InstanceFacts {
  port: number;
  metricsPort: number | null;
  database: Running['database'];
  linksOn: boolean;
  developmentUser: Running['developmentUser'];
  workers: number;
}

export interface SupervisorOptions {
  /** Consecutive workers dying before they serve that stop the instance. */
  maxStartFailures?: number;
  /** Longest wait before a dead worker is replaced. */
  maxBackoffMs?: number;
  /** How long workers may drain at a stop before they are killed. */
  graceMs?: number;
}

/**
 * The primary of an instance of WORKERS processes. Before any worker exists it checks the ports
 * (today's one-line errors), then does the first-start work once — migrations, the development
 * user, an embedded link secret — by running the service once on a private port, so that the
 * workers, forked next, find it all done and never race to do it. It then keeps WORKERS workers
 * serving, serves the instance's /metrics (the workers' aggregated), holds the instance's
 * limits, and drains every worker on SIGTERM/SIGINT/SIGHUP.
 */
export async function superviseWorkers(
  config: Config,
  logger: Logger,
  announce: (facts: InstanceFacts) => void,
  options: SupervisorOptions = {},
): Promise<void> {
  const maxStartFailures = options.maxStartFailures ?? 3;
  const maxBackoffMs = options.maxBackoffMs ?? 10000;
  const graceMs = options.graceMs ?? 20000;

  const starting = new AbortController();
  let stopping = false;
  let stopWorkers: (() => void) | null = null;
  let heard: { signal: string; at: number } | null = null;
  // The instance's last line once a signal's stop ended well (the workers say none of their own).
  const exitStopped = () => {
    if (heard) logger.info({ signal: heard.signal, ms: Date.now() - heard.at }, 'stopped');
    exitOnceLogged(logger, 0);
  };
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    heard = { signal, at: Date.now() };
    logger.info({ signal }, 'shutting down');
    if (!stopWorkers) {
      // The first start (migrations) stops as soon as it can; bounded as the workers' drain is.
      setTimeout(() => {
        logger.error(
          `the stop did not end within ${graceMs / 1000} s (${signal}): exiting without waiting longer`,
        );
        exitOnceLogged(logger, 1);
      }, graceMs).unref();
      return starting.abort();
    }
    stopWorkers();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => stop('SIGHUP')); // a closed terminal: drain, as a single process does

  // The workers' metrics, aggregated, once every worker serves.
  let aggregated: MetricsSource | undefined;
  const started = await startOnce(config, logger, starting.signal, () => aggregated);
  if (!started || stopping) return exitStopped();
  const { first, metricsServer } = started;

  const metricsAddress = metricsServer?.address();
  const limits = new InstanceLimits(instanceLimitOptions(config), (message) => {
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker?.isConnected()) worker.send(message);
    }
  });
  const serving = new Set<Worker>();
  // Slots of the concurrency limit lent between workers; only serving workers are asked.
  const loans = new LoanBroker(
    (id, message) => {
      const worker = cluster.workers?.[id];
      if (!worker?.isConnected()) return false;
      worker.send(message);
      return true;
    },
    () => [...serving].map((w) => w.id),
  );
  // The serving workers' metrics, for the instance's /metrics.
  const workerMetrics = new InstanceMetrics(() => [...serving]);
  let announced = false;
  let startFailures = 0;
  let exitCode = 0;
  const deaths: number[] = [];
  // Connections on their way to each worker, closed if it dies before it takes them.
  const handoffs = new Map<number, Handoffs>();

  const fork = () => {
    const worker = cluster.fork();
    handoffs.set(worker.id, new Handoffs(worker.process));
    worker.on('message', (message: unknown) => {
      if (isLimitMessage(message)) return limits.receive(message);
      if (isLoanMessage(message)) return loans.receive(worker.id, message);
      if (isMetricsMessage(message)) return workerMetrics.receive(worker.id, message);
      if ((message as ReadyMessage | null)?.du !== 'ready') return;
      serving.add(worker);
      startFailures = 0;
      for (const verdict of limits.current()) worker.send(verdict);
      if (announced || serving.size < config.workers) return;
      announced = true;
      aggregated = { registry: workerMetrics };
      announce({
        port: (message as ReadyMessage).port,
        metricsPort:
          typeof metricsAddress === 'object' && metricsAddress ? metricsAddress.port : null,
        database: first.database,
        linksOn: first.linksOn,
        developmentUser: first.developmentUser,
        workers: config.workers,
      });
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    const served = serving.delete(worker);
    loans.exited(worker.id);
    workerMetrics.exited(worker.id);
    const connectionsClosed = handoffs.get(worker.id)?.closeUnanswered() ?? 0;
    handoffs.delete(worker.id);
    if (stopping) {
      // A worker that could not drain cleanly makes the stop a failure (one killed by the
      // signal while still loading, before it served anything, does not).
      if (code !== null && code !== 0) {
        exitCode = 1;
        if (heard)
          logger.error(
            { pid: worker.process.pid, code },
            `worker process ${worker.process.pid} did not stop cleanly (exit code ${code})`,
          );
      }
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        metricsServer?.close();
        if (exitCode === 0) exitStopped();
        else exitOnceLogged(logger, exitCode);
      }
      return;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!served && ++startFailures >= maxStartFailures) {
      logger.error(
        { pid: worker.process.pid, code, signal },
        `worker processes keep dying at start (${startFailures} in a row, last by ${how}); stopping`,
      );
      stopping = true;
      exitCode = 1;
      const others = Object.values(cluster.workers ?? {});
      if (others.length === 0) process.exit(1);
      for (const w of others) w?.process.kill('SIGTERM');
      setTimeout(() => process.exit(1), graceMs).unref();
      return;
    }
    const delayMs = restartDelayMs(deaths, Date.now(), maxBackoffMs);
    logger.warn(
      { pid: worker.process.pid, code, signal, restartInMs: delayMs, connectionsClosed },
      `worker process ${worker.process.pid} exited by ${how}; starting another in ${delayMs} ms`,
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delayMs);
  });

  stopWorkers = () => drainWorkers(logger, graceMs, exitStopped);
  for (let i = 0; i < config.workers; i++) fork();
}

/**
 * Before any worker exists: the ports checked (the service port only probed: the workers bind
 * it), the instance's /metrics bound, and the first-start work done by running the service
 * once on a private port. Null when a signal stopped the start.
 */
async function startOnce(
  config: Config,
  logger: Logger,
  signal: AbortSignal,
  metricsOf: () => MetricsSource | undefined,
): Promise<{ first: Running; metricsServer: Server | null } | null> {
  const probe = await bindPort(config, (_req, res) => res.end());
  await new Promise((resolve) => probe.close(resolve));
  const metricsServer = await bindMetricsPort(config, metricsOf);
  let first: Running;
  try {
    // The primary claims an SQLite DATA_DIR for the instance (its workers share the file).
    first = await start({ ...config, port: 0, host: '127.0.0.1', metricsPort: null }, logger, {
      signal,
      claimDataDir: true,
    });
  } catch (error) {
    metricsServer?.close();
    if (signal.aborted) return null;
    throw error;
  }
  await first.close(0);
  return { first, metricsServer };
}

/** The limits the primary holds for the whole instance (the workers' concurrency is lent). */
function instanceLimitOptions(config: Config): InstanceLimitOptions {
  return {
    auth: {
      limit: config.authFailureLimit,
      windowMs: config.authFailureWindowSeconds * 1000,
    },
    rates: {
      soap: {
        rateLimitCalls: config.rateLimitCalls,
        rateWindowMs: config.rateLimitWindowSeconds * 1000,
        concurrencyLimit: 0,
      },
      link: {
        rateLimitCalls: config.unsubscribeRateLimit,
        rateWindowMs: UNSUBSCRIBE_RATE_WINDOW_MS,
        concurrencyLimit: 0,
      },
      'link-page': {
        rateLimitCalls: config.unsubscribePageRateLimit ?? config.unsubscribeRateLimit,
        rateWindowMs: UNSUBSCRIBE_RATE_WINDOW_MS,
        concurrencyLimit: 0,
      },
      'link-token': {
        rateLimitCalls: config.unsubscribeLinkRateLimit,
        rateWindowMs: UNSUBSCRIBE_RATE_WINDOW_MS,
        concurrencyLimit: 0,
      },
    },
    logins: { maxFailures: config.adminLoginMaxFailures, windowMs: LOGIN_WINDOW_MS },
  };
}

/**
 * How long to wait before replacing a worker that died at `now`: doubling from 100 ms with
 * each death of the last minute (`deaths`, which this keeps), up to `maxBackoffMs`.
 */
function restartDelayMs(deaths: number[], now: number, maxBackoffMs: number): number {
  deaths.push(now);
  while (deaths[0]! < now - 60000) deaths.shift();
  return Math.min(maxBackoffMs, 100 * 2 ** (deaths.length - 1));
}

/** The stop of a running instance: every worker drains, within `graceMs`. */
function drainWorkers(logger: Logger, graceMs: number, exitStopped: () => void): void {
  const workers = Object.values(cluster.workers ?? {});
  if (workers.length === 0) return exitStopped();
  // A signal, not a message: a worker still loading has no listener yet, and dies of it
  // (it has no call in flight); one that serves drains as a single process does.
  for (const worker of workers) worker?.process.kill('SIGTERM');
  // A worker that cannot drain in time is killed; its calls' clients see the connection end.
  setTimeout(() => {
    logger.error('workers did not drain in time; killing them');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
    process.exit(1);
  }, graceMs).unref();
}
