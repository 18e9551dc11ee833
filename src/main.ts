import fs from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import path from 'node:path';
import { createApp } from './app.js';
import { adoptApp } from './http/app-messages.js';
import type { Config } from './config.js';
import { connectionProblem, openDatabase, type Database } from './data-access/database.js';
import { claimDataDir } from './data-access/data-dir-claim.js';
import { dataDirWriteProblem } from './data-access/data-dir-problems.js';
import { invalidIndexes } from './data-access/invalid-indexes.js';
import { MigrationFailed, migrateLatest } from './data-access/migrator.js';
import { openReadReplica } from './data-access/read-replica.js';
import { migrateAfterUpgradeBackup, type UpgradeBackup } from './data-access/upgrade-backup.js';
import {
  openUserRepository,
  refuseLostUserKeySecret,
  refuseShortUserKeySecret,
} from './data-access/user.repository.js';
import { ConsoleJobRunner } from './domain/console-job-runner.js';
import { consoleJobLines } from './startup/console-job-lines.js';
import { createServices, type Services } from './compose.js';
import { UserService } from './domain/user.service.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics, type ConnectionPoolStats } from './metrics.js';
import { checkedLinkTokens } from './startup/link-key-check.js';
import { onlyHttp1, oneContentType, requireHost } from './http/protocol-answers.js';
import { answerServerOptions, SERVICE_METHODS } from './http/other-methods.js';
import { refusedDrainBytes } from './soap-transport/request-body.js';
import {
  bindMetricsPort,
  bindPort,
  listenOnPort,
  servicePort,
  startingAnswer,
  StartError,
} from './http/service-ports.js';
import {
  boundUnreadBodies,
  inTurn,
  onlyChunkedCoding,
  soundFraming,
} from './http/unread-bodies.js';
import { drainConnections } from './http/connection-timeouts.js';

export interface Running {
  server: Server;
  port: number;
  /** Port of the /metrics listener (METRICS_PORT), or null when it is off. */
  metricsPort: number | null;
  database: Database;
  services: Services;
  users: UserService;
  logger: Logger;
  /** This process's metrics (a worker process hands them to the instance's aggregation). */
  metrics: Metrics;
  /** Whether /u/ unsubscribe links are served (a link secret is set or made). */
  linksOn: boolean;
  /**
   * A user created because none existed (embedded database only). Its key is written to
   * `keyFile` (mode 0600 in DATA_DIR), never to the log stream.
   */
  developmentUser?: { userId: string; encryptionKey: string; keyFile: string };
  /** Graceful stop: no new connections, in-flight calls get up to graceMs, then the pool closes. */
  close(graceMs?: number): Promise<void>;
}

/** The ports a service listens on: PORT's, and METRICS_PORT's (null when off). */
export interface ListeningPorts {
  port: number;
  metricsPort: number | null;
}

function listeningPorts(
  server: Server,
  metricsServer: Server | null,
  config: Config,
): ListeningPorts {
  const address = server.address();
  const metricsAddress = metricsServer?.address();
  return {
    port: typeof address === 'object' && address ? address.port : config.port,
    metricsPort: typeof metricsAddress === 'object' && metricsAddress ? metricsAddress.port : null,
  };
}

export const DEVELOPMENT_USER_FILE = 'development-user.txt';

/**
 * Applies pending migrations; an unreachable database is waited for (a database that starts
 * after the service is normal under Docker and systemd), with one line per attempt naming
 * the host, never the password.
 */
async function migrateWhenReachable(
  database: Database,
  logger: Logger,
  notices: Logger,
  signal?: AbortSignal,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Waiting for another instance's migrations, a lock a killed run left, a newer schema.
      await migrateLatest(database, (line) => notices.warn(line));
      // Not refused: the service answers without the index (slower); "migrate" rebuilds it.
      for (const { index, table } of await invalidIndexes(database))
        notices.warn(
          `index ${index} on ${table} is invalid (an interrupted concurrent build): queries do not use it; run "durable-unsubscribe migrate" to rebuild it`,
        );
      return;
    } catch (error) {
      // A connection lost while a migration ran is waited for too.
      const cause = error instanceof MigrationFailed ? error.cause : error;
      const problem = connectionProblem(cause, database.url ?? '');
      if (!problem || signal?.aborted) throw error;
      const seconds = Math.min(30, 2 ** Math.min(attempt, 5));
      logger.warn(`${problem}; retrying in ${seconds} s (attempt ${attempt})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, seconds * 1000);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (signal?.aborted) throw new StartError('stopped while waiting for the database');
    }
  }
}

/** The first start's SOAP user, its key in a file only the service's user can read. */
async function createDevelopmentUser(
  users: UserService,
  dataDir: string,
): Promise<Running['developmentUser']> {
  const user = await users.create('development user created at first start');
  const keyFile = path.join(dataDir, DEVELOPMENT_USER_FILE);
  fs.writeFileSync(
    keyFile,
    `mktowsUserId:  ${user.userId}\nencryptionKey: ${user.encryptionKey}\n`,
    { mode: 0o600 },
  );
  fs.chmodSync(keyFile, 0o600); // an older file keeps its mode on overwrite
  return { ...user, keyFile };
}

/** The composition root: config → database → repositories → services → HTTP server. */
export async function start(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  options: {
    signal?: AbortSignal;
    /**
     * false in the worker processes of an instance: the primary's first start has already
     * said what an operator must hear (no SOAP user, unsafe switches, keys refused), once.
     */
    startupNotices?: boolean;
    /**
     * The `serve` command's one process, or its primary: claims an SQLite DATA_DIR for this
     * process's life (data-dir-claim.ts); a second instance on it is refused.
     */
    claimDataDir?: boolean;
    /**
     * A worker process of an instance, whose primary checked the port and whose other workers
     * serve meanwhile: it listens once it serves, not from the start (its share of the new
     * connections would be answered 503 Starting for as long as its start lasts).
     */
    listenWhenReady?: boolean;
    /**
     * Told the ports actually bound (PORT=0 and METRICS_PORT=0 choose any free one) as soon as
     * they are, while the service still starts (waits for its database, migrates): not called
     * with listenWhenReady, which binds nothing before it serves.
     */
    onListening?: (ports: ListeningPorts) => void;
  } = {},
): Promise<Running> {
  // The port first: when it is taken, nothing (data directory, database, user) is created.
  const starting = inTurn(startingAnswer, config.maxPipelinedRequests);
  const listenWhenReady = options.listenWhenReady === true;
  const server = listenWhenReady ? servicePort(config, starting) : await bindPort(config, starting);
  let metrics: Metrics | undefined;
  let metricsServer: Server | null = null;
  let opened: Database | undefined;
  try {
    // The metrics port too, before anything is created.
    metricsServer = await bindMetricsPort(config, () => metrics);
    if (!listenWhenReady) options.onListening?.(listeningPorts(server, metricsServer, config));
    return await startOn(
      { server, metricsServer, listenWhenReady },
      starting,
      config,
      logger,
      options.signal,
      options.startupNotices === false ? logger.child({}, { level: 'silent' }) : logger,
      (db) => {
        opened = db;
        // After the database, which makes DATA_DIR (or says in one line why it cannot).
        if (options.claimDataDir && db.engine === 'sqlite' && config.dataDir !== ':memory:')
          claimDataDir(config.dataDir);
      },
      (m) => (metrics = m),
    );
  } catch (error) {
    server.close();
    metricsServer?.close();
    await opened?.close().catch(() => undefined);
    // A full or read-only DATA_DIR: one line naming it, not the failed write's stack trace.
    const embedded = !config.databaseUrl && config.dataDir !== ':memory:';
    throw (embedded && dataDirWriteProblem(config.dataDir, error)) || error;
  }
}

async function startOn(
  {
    server,
    metricsServer,
    listenWhenReady,
  }: { server: Server; metricsServer: Server | null; listenWhenReady: boolean },
  starting: RequestListener,
  config: Config,
  logger: Logger,
  signal: AbortSignal | undefined,
  notices: Logger,
  opened: (database: Database) => void,
  measuring: (metrics: Metrics) => void,
): Promise<Running> {
  const database = openDatabase({
    ...config,
    commitVisibleOnStandby: !!config.databaseReadUrl,
    onSqliteThreadExit: (message) => logger.error(message),
    onConnectionLost: (message) => logger.warn(message),
  });
  opened(database);
  // Before anything is written: PostgreSQL without USER_KEY_SECRET stops here, and so does an
  // embedded database whose keys are sealed with a user-key.secret that is gone.
  await refuseLostUserKeySecret(database, config);
  const shortKeySecret = await refuseShortUserKeySecret(database, config);
  const userRepository = openUserRepository(database, config);
  const backedUp = (copy: UpgradeBackup) => {
    logger.info(copy, `backed up the database to ${copy.file} before migrating`);
    for (const stale of copy.replaced)
      logger.info(
        { file: stale },
        `removed ${stale}, the copy an earlier start took before the same migrations and did not finish`,
      );
  };
  const migrate = () => migrateWhenReachable(database, logger, notices, signal);
  await migrateAfterUpgradeBackup(database, config.dataDir, signal, backedUp, migrate);
  // After the migrations: the keys are checked against those that issued links (and an embedded
  // secret is made in DATA_DIR, which the database made 0700, only on a database without any).
  const linkTokens = await checkedLinkTokens(config, database);
  const poolOf = () => (database.knex.client as { pool?: ConnectionPoolStats }).pool;
  const firstPool = poolOf();
  const metrics = new Metrics(() => poolOf() ?? firstPool);
  measuring(metrics);
  const replica = openReadReplica(database, config, (message) => logger.warn(message));
  if (replica) metrics.watchReadReplica(replica);
  const services = createServices(database, config, {
    onPropagation: (people) => metrics.propagationSize.observe(people),
    onCheckedWrite: (kind, outcome) => metrics.checkedWrites.inc({ kind, outcome }),
    replica,
    jobs: { batchSize: config.consoleBatchSize },
  });
  const users = new UserService(userRepository, config.mktowsUsers, {
    cacheSeconds: config.mktowsUserCacheSeconds,
  });
  let developmentUser: Running['developmentUser'];
  if (database.engine === 'sqlite' && config.dataDir !== ':memory:' && (await users.isEmpty()))
    developmentUser = await createDevelopmentUser(users, config.dataDir);
  else if (database.engine === 'postgres' && (await users.isEmpty()))
    notices.warn(
      'No SOAP user exists: add one with "durable-unsubscribe users add" or set MKTOWS_USERS.',
    );
  if (database.engine === 'postgres' && !config.userKeySecret) {
    notices.warn(
      'ALLOW_UNSEALED_KEYS is on: SOAP user keys are stored unsealed in PostgreSQL. Never use this in production.',
    );
  }
  if (shortKeySecret) notices.warn(shortKeySecret);
  const keys = await users.upgradeStoredKeys();
  if (keys.resealed > 0)
    notices.info(
      { resealed: keys.resealed },
      'stored SOAP user keys sealed again, bound to their user id',
    );
  if (keys.unsealed > 0)
    notices.warn(
      { unsealed: keys.unsealed },
      'stored SOAP user keys kept in clear are refused: if they are yours, run "durable-unsubscribe users seal"',
    );
  if (keys.unreadable > 0)
    notices.error(
      { unreadable: keys.unreadable },
      'stored SOAP user keys this USER_KEY_SECRET cannot open are refused (another secret, or altered rows)',
    );
  const inBoth = await users.idsConfiguredAndStored();
  if (inBoth.length > 0)
    notices.error(
      { userIds: inBoth },
      'SOAP user ids both in MKTOWS_USERS and stored in the database are refused: remove one of the two (users remove, or its MKTOWS_USERS entry)',
    );
  if (config.allowAnonymous) {
    notices.warn(
      'ALLOW_ANONYMOUS is on: SOAP calls are accepted WITHOUT authentication. Never use this in production.',
    );
  }
  const jobRunner = new ConsoleJobRunner(
    services.bulkChanges,
    services.suppressionImports,
    consoleJobLines(logger, database.url ?? ''),
  );
  const app = await createApp({
    config,
    database,
    services,
    users,
    logger,
    metrics,
    linkTokens,
    jobRunner,
  });
  adoptApp(server, app);
  server.off('request', starting);
  server.on(
    'request',
    inTurn(
      onlyHttp1(
        requireHost(
          oneContentType(
            soundFraming(
              onlyChunkedCoding(
                boundUnreadBodies(
                  answerServerOptions(app, SERVICE_METHODS),
                  refusedDrainBytes(config.maxBodyBytes),
                  config.bodyTimeoutMs,
                ),
              ),
            ),
          ),
        ),
      ),
      config.maxPipelinedRequests,
    ),
  );
  if (listenWhenReady) await listenOnPort(server, config);
  const { port, metricsPort } = listeningPorts(server, metricsServer, config);
  // Last: a start that fails before here leaves no background job running.
  jobRunner.start();
  return {
    server,
    port,
    metricsPort,
    database,
    services,
    users,
    logger,
    metrics,
    developmentUser,
    linksOn: linkTokens !== null,
    async close(graceMs = 10000) {
      // Stop accepting, end keep-alive connections, let in-flight calls finish (bounded), then
      // close the pool.
      drainConnections(server);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await jobRunner.stop();
      await replica?.close();
      await database.close();
    },
  };
}
