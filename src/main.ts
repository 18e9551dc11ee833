import type { Server } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, type Config } from './config.js';
import { openDatabase, type Database } from './data-access/database.js';
import { migrateLatest } from './data-access/migrator.js';
import { openUserRepository } from './data-access/user.repository.js';
import { createServices, type Services } from './domain/services.js';
import { UserService } from './domain/user.service.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics, serveMetrics } from './metrics.js';

export interface Running {
  server: Server;
  port: number;
  /** Port of the /metrics listener (METRICS_PORT), or null when it is off. */
  metricsPort: number | null;
  database: Database;
  services: Services;
  users: UserService;
  logger: Logger;
  /** A user created because none existed: printed once at start-up. */
  developmentUser?: { userId: string; encryptionKey: string };
  /** Graceful stop: no new connections, in-flight calls get up to graceMs, then the pool closes. */
  close(graceMs?: number): Promise<void>;
}

/** The composition root: config → database → repositories → services → HTTP server. */
export async function start(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
): Promise<Running> {
  const database = openDatabase(config);
  // Before anything is written: PostgreSQL without USER_KEY_SECRET stops here.
  let userRepository;
  try {
    userRepository = openUserRepository(database, config);
  } catch (error) {
    await database.close();
    throw error;
  }
  await migrateLatest(database);
  const metrics = new Metrics(database);
  const services = createServices(database, config, {
    onPropagation: (people) => metrics.propagationSize.observe(people),
  });
  const users = new UserService(userRepository, config.mktowsUsers);
  let developmentUser: Running['developmentUser'];
  if (await users.isEmpty())
    developmentUser = await users.create('development user created at first start');
  if (database.engine === 'postgres' && !config.userKeySecret) {
    logger.warn(
      'ALLOW_UNSEALED_KEYS is on: SOAP user keys are stored unsealed in PostgreSQL. Never use this in production.',
    );
  }
  const keys = await users.upgradeStoredKeys();
  if (keys.resealed > 0)
    logger.info(
      { resealed: keys.resealed },
      'stored SOAP user keys sealed again, bound to their user id',
    );
  if (keys.unsealed > 0)
    logger.warn(
      { unsealed: keys.unsealed },
      'stored SOAP user keys kept in clear are refused: if they are yours, run "durable-unsubscribe users seal"',
    );
  if (keys.unreadable > 0)
    logger.error(
      { unreadable: keys.unreadable },
      'stored SOAP user keys this USER_KEY_SECRET cannot open are refused (another secret, or altered rows)',
    );
  if (config.allowAnonymous) {
    logger.warn(
      'ALLOW_ANONYMOUS is on: SOAP calls are accepted WITHOUT authentication. Never use this in production.',
    );
  }
  const app = await createApp({ config, database, services, users, logger, metrics });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.headersTimeout = 30000;
  server.requestTimeout = Math.max(config.requestTimeoutMs + 5000, 30000);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let metricsServer: Server | null = null;
  if (config.metricsPort !== null) {
    try {
      metricsServer = await serveMetrics(metrics, {
        port: config.metricsPort,
        host: config.metricsHost,
      });
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
      throw new ConfigError(
        `METRICS_PORT: cannot listen on ${config.metricsHost}:${config.metricsPort} (${(error as { code?: string }).code ?? 'error'}); choose another METRICS_PORT, or METRICS_PORT=off`,
      );
    }
  }
  const metricsAddress = metricsServer?.address();
  const metricsPort =
    typeof metricsAddress === 'object' && metricsAddress ? metricsAddress.port : null;
  return {
    server,
    port,
    metricsPort,
    database,
    services,
    users,
    logger,
    developmentUser,
    async close(graceMs = 10000) {
      // Stop accepting, let in-flight calls finish (bounded), then close the pool.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await database.close();
    },
  };
}
