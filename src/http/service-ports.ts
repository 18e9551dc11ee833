/**
 * The service's ports, bound before anything else is created (data directory, database, user):
 * the SOAP/HTTP port, which answers 503 until the service serves, and METRICS_PORT. Each one
 * that cannot be bound is said in one line naming the setting to change.
 */
import type { RequestListener, Server } from 'node:http';
import { createAppServer } from './app-messages.js';
import { ConfigError, type Config } from '../config.js';
import {
  applyConnectionBounds,
  CONNECTIONS_CHECKING_MS,
  endKeepAliveOnDrain,
} from './connection-timeouts.js';
import { serveMetrics, type MetricsSource } from '../metrics.js';
import { answerProtocolErrors, MACHINE_ANSWER_HEADERS } from './protocol-answers.js';

/** Why the service could not start, in one line for the operator (no stack trace). */
export class StartError extends Error {
  override name = 'StartError';
}

/**
 * The answer of the service's port until the service serves. It ends the connection: a client
 * that retries comes back on a new one, and no connection is held open while nothing is served
 * (kept alive, a client could hold idle sockets for as long as the start lasts, which is as long
 * as the database stays unreachable).
 */
export const startingAnswer: RequestListener = (_req, res) => {
  res.writeHead(503, {
    ...MACHINE_ANSWER_HEADERS,
    'content-type': 'text/plain',
    'retry-after': '5',
    connection: 'close',
  });
  res.end('Starting\n');
};

/** Why a host cannot be listened on: not an address of this machine, or a name that does not resolve. */
const HOST_PROBLEMS = new Set(['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL']);

/** Binds the port, or says in one line why it cannot (before anything else is created). */
export async function bindPort(config: Config, starting: RequestListener): Promise<Server> {
  const server = servicePort(config, starting);
  await listenOnPort(server, config);
  return server;
}

/** The service port's server, with its bounds, not listening yet. */
export function servicePort(config: Config, starting: RequestListener): Server {
  const server = createAppServer(starting, {
    connectionsCheckingInterval: CONNECTIONS_CHECKING_MS,
    // Checked by requireHost, whose answer carries the security headers.
    requireHostHeader: false,
    // Unset: node's own, which NODE_OPTIONS=--max-http-header-size sets (as before the setting).
    maxHeaderSize: config.maxHeaderBytes ?? undefined,
  });
  applyConnectionBounds(server, config);
  answerProtocolErrors(server);
  endKeepAliveOnDrain(server);
  return server;
}

/** Listens on PORT, or says in one line why it cannot (the server closed). */
export async function listenOnPort(server: Server, config: Config): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
      server.listen(config.port, config.host);
    });
  } catch (error) {
    server.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartError(`port ${config.port} is in use (set PORT)`);
    if (code === 'EACCES')
      throw new StartError(`port ${config.port} needs privileges this user lacks (set PORT)`);
    // An address of another machine, a name that does not resolve (or not yet: EAI_AGAIN), or
    // no address at all (999.1.1.1): the one documented line, as METRICS_HOST's.
    if (code !== undefined && HOST_PROBLEMS.has(code))
      throw new ConfigError(
        `HOST: cannot listen on ${config.host}: it is not an address or a name of this machine (${code})`,
      );
    throw error;
  }
}

/** Binds METRICS_PORT (null when it is off), or says in one line why it cannot. */
export async function bindMetricsPort(
  config: Config,
  metricsOf: () => MetricsSource | undefined,
): Promise<Server | null> {
  if (config.metricsPort === null) return null;
  try {
    return await serveMetrics(metricsOf, {
      port: config.metricsPort,
      host: config.metricsHost,
      headersTimeoutMs: config.headersTimeoutMs,
      maxConnections: config.maxConnections,
      maxPipelinedRequests: config.maxPipelinedRequests,
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    // The host is what is wrong (not an address of this machine, a name that does not resolve):
    // another port would fail the same way.
    if (HOST_PROBLEMS.has(code))
      throw new ConfigError(
        `METRICS_HOST: cannot listen on ${config.metricsHost}: it is not an address or a name of this machine (${code}); set METRICS_HOST (default 127.0.0.1), or METRICS_PORT=off`,
      );
    throw new ConfigError(
      `METRICS_PORT: cannot listen on ${config.metricsHost}:${config.metricsPort} (${code}); choose another METRICS_PORT, or METRICS_PORT=off`,
    );
  }
}
