import type { Server } from 'node:http';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './data-access/database.js';
import { migrateLatest } from './data-access/migrator.js';
import { openUserRepository } from './data-access/user.repository.js';
import { ConsoleJobRunner } from './domain/console-job-runner.js';
import { createServices, type Services } from './domain/services.js';
import { UserService } from './domain/user.service.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';

export interface Running {
  server: Server;
  port: number;
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
  await migrateLatest(database);
  const metrics = new Metrics(database);
  const services = createServices(database, config, {
    onPropagation: (people) => metrics.propagationSize.observe(people),
    jobs: { batchSize: config.consoleBatchSize },
  });
  const users = new UserService(openUserRepository(database, config), config.mktowsUsers);
  let developmentUser: Running['developmentUser'];
  if (await users.isEmpty())
    developmentUser = await users.create('development user created at first start');
  if (database.engine === 'postgres' && !config.userKeySecret) {
    logger.warn('USER_KEY_SECRET is not set: SOAP user keys are stored unsealed in PostgreSQL.');
  }
  if (config.allowAnonymous) {
    logger.warn(
      'ALLOW_ANONYMOUS is on: SOAP calls are accepted WITHOUT authentication. Never use this in production.',
    );
  }
  const jobRunner = new ConsoleJobRunner(services.bulkChanges, services.suppressionImports, (err) =>
    logger.error({ err }, 'console job failed; it resumes at the next pass'),
  );
  const app = await createApp({ config, database, services, users, logger, metrics, jobRunner });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.headersTimeout = 30000;
  server.requestTimeout = Math.max(config.requestTimeoutMs + 5000, 30000);
  jobRunner.start();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    server,
    port,
    database,
    services,
    users,
    logger,
    developmentUser,
    async close(graceMs = 10000) {
      // Stop accepting, let in-flight calls finish (bounded), then close the pool.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await jobRunner.stop();
      await database.close();
    },
  };
}
