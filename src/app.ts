import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { createAdminRouter } from './admin/router.js';
import type { Config } from './config.js';
import type { Database } from './data-access/database.js';
import { migrationStatus } from './data-access/migrator.js';
import { OperatorSessionRepository } from './data-access/operator-session.repository.js';
import { OperatorRepository } from './data-access/operator.repository.js';
import { OperatorService } from './domain/operator.service.js';
import type { Services } from './domain/services.js';
import type { UserService } from './domain/user.service.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { createSalesforceOutboundEndpoint, OUTBOUND_PATH } from './salesforce/outbound.endpoint.js';
import { Authenticator } from './soap/auth.js';
import { CallLimits } from './soap/call-limits.js';
import { createMktowsEndpoint } from './soap/mktows.endpoint.js';
import { mktowsHandlers } from './soap/mktows.handlers.js';

/** The package root, from src/ when run with tsx and from dist/src/ when built. */
export function packageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.basename(path.dirname(here)) === 'dist'
    ? path.resolve(here, '../..')
    : path.resolve(here, '..');
}

export interface AppDeps {
  config: Config;
  database: Database;
  services: Services;
  users: UserService;
  logger: Logger;
  metrics: Metrics;
  /** Told when the console creates a background job, so it starts at once. */
  jobRunner?: { wake(): void };
}

export async function createApp({
  config,
  database,
  services,
  users,
  logger,
  metrics,
  jobRunner,
}: AppDeps): Promise<Express> {
  const app = express();
  app.disable('x-powered-by');
  // SOAP answers are never revalidated; hashing every body for an ETag is pure cost.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);

  const authenticator = new Authenticator(users, {
    windowSeconds: config.signatureWindowSeconds,
    allowAnonymous: config.allowAnonymous,
  });
  const mktows = await createMktowsEndpoint(
    mktowsHandlers(services, { maxBatchSize: config.maxBatchSize }),
    authenticator,
    {
      wsdlFile: path.join(packageRoot(), 'wsdl', 'mktows.wsdl'),
      maxBodyBytes: config.maxBodyBytes,
      bodyTimeoutMs: config.bodyTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      limits: new CallLimits({
        rateLimitCalls: config.rateLimitCalls,
        rateWindowMs: config.rateLimitWindowSeconds * 1000,
        concurrencyLimit: config.concurrencyLimit,
      }),
      workspacePartitions: config.workspacePartitions,
    },
    logger,
    metrics,
  );
  app.all('/soap/mktows/:version', mktows);
  const salesforceOutbound = await createSalesforceOutboundEndpoint(
    services.salesforce,
    {
      wsdlFile: path.join(packageRoot(), 'wsdl', 'salesforce-outbound.wsdl'),
      maxBodyBytes: config.maxBodyBytes,
      bodyTimeoutMs: config.bodyTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      allowedOrganizationIds: config.salesforceOrgIds,
      pathSecret: config.salesforcePathSecret,
    },
    logger,
  );
  app.all([OUTBOUND_PATH, `${OUTBOUND_PATH}/:secret`], salesforceOutbound);

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      const { pending } = await migrationStatus(database);
      if (pending.length > 0)
        res.status(503).json({ status: 'not ready', reason: 'migrations pending' });
      else res.json({ status: 'ready', engine: database.engine });
    } catch {
      res.status(503).json({ status: 'not ready', reason: 'database unreachable' });
    }
  });
  const operators = new OperatorService(
    new OperatorRepository(database.knex),
    new OperatorSessionRepository(database.knex),
    config.adminUsers,
    { sessionHours: config.adminSessionHours },
  );
  app.use(
    '/admin',
    createAdminRouter({
      operators,
      services,
      logger,
      loginMaxFailures: config.adminLoginMaxFailures,
      wakeJobs: () => jobRunner?.wake(),
      uploadMaxBytes: config.adminUploadMaxMb * 1024 * 1024,
    }),
  );
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found\n');
  });
  return app;
}
