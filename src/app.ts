import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createAdminRouter } from './admin/router.js';
import type { Config } from './config.js';
import type { Database } from './data-access/database.js';
import { OperatorSessionRepository } from './data-access/operator-session.repository.js';
import { OperatorRepository } from './data-access/operator.repository.js';
import { OperatorService } from './domain/operator.service.js';
import type { Services } from './domain/services.js';
import type { UserService } from './domain/user.service.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { AppError, ErrorCode } from './errors.js';
import type { LinkTokens } from './one-click/link-token.js';
import { directOneClickPosts } from './one-click/direct-post.js';
import { createOneClickRouter, LINK_PATH } from './one-click/router.js';
import { createSalesforceOutboundEndpoint, OUTBOUND_PATH } from './salesforce/outbound.endpoint.js';
import { Authenticator } from './mktows/auth.js';
import { perUserConcurrency } from './limits/call-limits.js';
import { instanceAuthFailures, instanceSoapLimits } from './cluster/instance-limits.js';
import { faultEnvelope } from './mktows/faults.js';
import { createMktowsEndpoint } from './mktows/mktows.endpoint.js';
import { mktowsHandlers } from './mktows/mktows.handlers.js';
import { workspacePartitions } from './mktows/workspaces.js';
import { VERSION } from './package-info.js';
import { FreeSpace } from './http/free-space.js';
import { HEALTH_METHODS, otherMethodAnswer } from './http/other-methods.js';
import {
  ABSOLUTE_TARGET,
  MACHINE_ANSWER_HEADERS,
  SAFE_ANSWER_HEADERS,
} from './http/protocol-answers.js';
import { cachedReadiness, checkReadiness } from './http/readiness.js';
import { serviceIndex } from './http/service-index.js';
import { drainThen, refusedDrainBytes } from './soap-transport/request-body.js';

/** The package root, from src/ when run with tsx and from dist/src/ when built. */
function packageRoot(): string {
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
  /** Unsubscribe-link tokens; null when UNSUBSCRIBE_LINK_SECRET is not set. */
  linkTokens?: LinkTokens | null;
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
  linkTokens = null,
  jobRunner,
}: AppDeps): Promise<Express> {
  const app = express();
  app.disable('x-powered-by');
  // SOAP answers are never revalidated; hashing every body for an ETag is pure cost.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);

  // First: the one-click POST is the hottest unauthenticated path, and nothing mounted
  // here runs for every request (no global middleware), so no other route needs to see /u.
  const oneClick = createOneClickRouter({
    links: services.links,
    tokens: linkTokens,
    undoMinutes: config.unsubscribeUndoMinutes,
    rateLimit: config.unsubscribeRateLimit,
    pageRateLimit: config.unsubscribePageRateLimit ?? config.unsubscribeRateLimit,
    linkRateLimit: config.unsubscribeLinkRateLimit,
    maxBodyBytes: config.unsubscribeMaxBodyBytes,
    maxFormFields: config.unsubscribeMaxFormFields,
    bodyTimeoutMs: config.bodyTimeoutMs,
    deadline: { requestTimeoutMs: config.requestTimeoutMs, commitGraceMs: config.commitGraceMs },
    branding: { senderName: config.unsubscribeSenderName, logoUrl: config.unsubscribeLogoUrl },
    logger,
    metrics,
  });
  app.use(LINK_PATH, oneClick.router);
  const appError = errorHandler(logger);
  // The one-click POST as links spell it, past Express's dispatch to the same handlers.
  directOneClickPosts(app, oneClick, appError);
  const authenticator = new Authenticator(users, {
    windowSeconds: config.signatureWindowSeconds,
    allowAnonymous: config.allowAnonymous,
  });
  // One budget per client address for the SOAP headers and the console's session cookies.
  const authFailures = instanceAuthFailures({
    limit: config.authFailureLimit,
    windowMs: config.authFailureWindowSeconds * 1000,
  });
  const mktows = await createMktowsEndpoint(
    mktowsHandlers(services, {
      maxBatchSize: config.maxBatchSize,
      getLeadMaxResults: config.getLeadMaxResults,
      pageMaxBytes: config.pageMaxBytes,
      mergeMaxLosers: config.mergeLeadsMaxLosers,
    }),
    authenticator,
    {
      wsdlFile: path.join(packageRoot(), 'wsdl', 'mktows.wsdl'),
      maxBodyBytes: config.maxBodyBytes,
      bodyTimeoutMs: config.bodyTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      commitGraceMs: config.commitGraceMs,
      limits: instanceSoapLimits({
        rateLimitCalls: config.rateLimitCalls,
        rateWindowMs: config.rateLimitWindowSeconds * 1000,
        concurrencyLimit: perUserConcurrency(config),
        concurrencyConfigured: config.concurrencyLimit !== null,
        workers: config.workers,
      }),
      partitionOf: workspacePartitions(config.workspacePartitions, config.defaultPartition),
      authFailures,
      maxAttributesPerElement: config.maxAttributesPerElement,
      publicUrl: config.publicUrl,
    },
    logger,
    metrics,
  );
  app.all('/soap/mktows/:version', mktows);
  const drainCap = refusedDrainBytes(config.maxBodyBytes);
  const notFound = (req: Request, res: Response) => {
    drainThen(req, drainCap, config.bodyTimeoutMs, () => {
      if (!req.complete) res.setHeader('Connection', 'close');
      res.set(SAFE_ANSWER_HEADERS).status(404).type('text/plain').send('Not found\n');
    });
  };
  // The prefixes a proxy in front is told to guard, served only as spelt (guardedElsewhere).
  app.use((req, res, next) => (guardedElsewhere(req.path) ? notFound(req, res) : next()));
  const salesforceOutbound = await createSalesforceOutboundEndpoint(
    services.salesforce,
    {
      wsdlFile: path.join(packageRoot(), 'wsdl', 'salesforce-outbound.wsdl'),
      maxBodyBytes: config.maxBodyBytes,
      bodyTimeoutMs: config.bodyTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      commitGraceMs: config.commitGraceMs,
      allowedOrganizationIds: config.salesforceOrgIds,
      pathSecret: config.salesforcePathSecret,
      allowedNetworks: config.salesforceAllowedNetworks,
      publicUrl: config.publicUrl,
    },
    logger,
  );
  app.all([OUTBOUND_PATH, `${OUTBOUND_PATH}/:secret`], salesforceOutbound);

  app.get('/healthz', (_req, res) => {
    res.set(MACHINE_ANSWER_HEADERS).json({ status: 'ok', version: VERSION });
  });
  app.get('/', serviceIndex);
  // One look at the database per second at most, whoever asks and however often.
  // The embedded database's volume: full, every write fails (READY_MIN_FREE_MB).
  const space =
    database.engine === 'sqlite' && config.dataDir !== ':memory:' && config.readyMinFreeMb > 0
      ? new FreeSpace(config.dataDir, config.readyMinFreeMb)
      : null;
  if (space) metrics.watchFreeSpace(space);
  const readiness = cachedReadiness(() => checkReadiness(database, space));
  app.get('/readyz', async (_req, res) => {
    const { status, body } = await readiness();
    res.set(MACHINE_ANSWER_HEADERS).status(status).json(body);
  });
  // Any other method on them: OPTIONS told what they allow, the others refused 405 with the
  // same Allow (RFC 9110 §15.5.6), a body discarded up to the bound a 404's is. `/` too: a
  // load balancer's check may ask `OPTIONS /` (HAProxy's old default), and reads a 404 as down.
  app.all(['/healthz', '/readyz', '/'], (req, res) => {
    drainThen(req, drainCap, config.bodyTimeoutMs, () => {
      if (!req.complete) res.setHeader('Connection', 'close');
      otherMethodAnswer(req.method, HEALTH_METHODS, (status, headers, text) =>
        res.set(MACHINE_ANSWER_HEADERS).set(headers).status(status).send(text),
      );
    });
  });
  const operators = new OperatorService(
    new OperatorRepository(database.knex),
    new OperatorSessionRepository(database.knex),
    config.adminUsers,
    {
      sessionHours: config.adminSessionHours,
      idleMinutes: config.adminSessionIdleMinutes,
      sessionsPerOperator: config.adminSessionsPerOperator,
    },
  );
  app.use(
    '/admin',
    createAdminRouter({
      operators,
      services,
      logger,
      loginMaxFailures: config.adminLoginMaxFailures,
      loginConcurrency: config.adminLoginConcurrency,
      wakeJobs: () => jobRunner?.wake(),
      uploadMaxBytes: config.adminUploadMaxMb * 1024 * 1024,
      csvMaxRowChars: config.importMaxRowChars,
      pastedMax: config.consolePastedMax,
      refusedDrainBytes: refusedDrainBytes(config.maxBodyBytes),
      bodyTimeoutMs: config.bodyTimeoutMs,
      authFailures,
      deadline: { requestTimeoutMs: config.requestTimeoutMs, commitGraceMs: config.commitGraceMs },
    }),
  );
  // What no route takes (PUT /u/<token>, any unknown path): a body it carries is discarded no
  // further than a refused SOAP body is, then the connection closes. Left to node, the whole
  // body would be read, however large, for any unauthenticated client.
  app.use(notFound);
  app.use(appError);
  return app;
}

/**
 * Whatever a route could not handle (a URL that does not decode, a body parser's refusal, a
 * bug) ends here: the client gets a short answer in its own dialect, never a stack trace or a
 * path; the log gets the error.
 */
export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const given = (error as { status?: unknown; statusCode?: unknown } | null) ?? {};
    const declared = Number(given.status ?? given.statusCode);
    const status = declared >= 400 && declared < 500 ? declared : 500;
    // The target as received: req.path may be the token alone (loggedPath).
    const target = req.originalUrl ?? req.path;
    const err = loggedError(error, target);
    if (status === 500) logger.error({ err, path: loggedPath(target) }, 'request failed');
    else logger.debug({ err }, 'request refused');
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    res.setHeader('Connection', 'close');
    // Express routes paths in any case: /SOAP/mktows/… is the SOAP endpoint too.
    if (req.path.toLowerCase().startsWith('/soap/')) {
      const { body } = faultEnvelope(
        status === 500
          ? new AppError(ErrorCode.INTERNAL, 'Internal Error')
          : new AppError(ErrorCode.REQUEST_NOT_UNDERSTOOD, 'Malformed request'),
      );
      res.set(MACHINE_ANSWER_HEADERS).status(status).type('text/xml; charset=utf-8').send(body);
      return;
    }
    res
      .set(SAFE_ANSWER_HEADERS)
      .status(status)
      .type('text/plain')
      .send(status === 500 ? 'Internal error\n' : 'Bad request\n');
  };
}

/**
 * The prefixes a proxy in front is documented to guard (the console by an allow-list, the
 * Salesforce listener by Salesforce's client certificate), lower-cased as they are spelt.
 */
const GUARDED_PREFIXES = ['/admin', OUTBOUND_PATH];

/**
 * Whether `path` (Express's req.path, as received) names a guarded prefix in another case
 * (`/ADMIN/`, `/SOAP/salesforce/outbound/…`). Express routes paths in any case, while a proxy
 * matches a prefix as spelt (nginx's `location /admin/`, HAProxy's `path_beg`): such a path
 * passed the proxy by its catch-all and reached what the guard was for. Below the prefix the
 * console still routes any case.
 */
export function guardedElsewhere(path: string): boolean {
  for (const prefix of GUARDED_PREFIXES) {
    if (path.length < prefix.length || path.startsWith(prefix)) continue;
    const next = path.charCodeAt(prefix.length);
    // The prefix whole: followed by nothing or by a separator, as Express matches it.
    if (!Number.isNaN(next) && next !== 0x2f) continue;
    if (path.slice(0, prefix.length).toLowerCase() === prefix) return true;
  }
  return false;
}

/** The paths whose next segment is a credential (a link's token, the listener's secret). */
const SECRET_PATHS = [LINK_PATH, OUTBOUND_PATH].map((p) => p.toLowerCase().split('/').slice(1));
const SECRET_PATH_SEGMENTS = new Set(SECRET_PATHS.flat());

/**
 * A segment with its escapes of ASCII characters decoded, again while any is left (`%2575`):
 * a proxy or a later reader may decode what the router would not, so redaction does too.
 */
function readable(segment: string): string {
  let text = segment;
  for (let before = ''; before !== text;) {
    before = text;
    text = text.replace(/%[0-7][0-9A-Fa-f]/g, (e) => String.fromCharCode(parseInt(e.slice(1), 16)));
  }
  return text;
}

/**
 * Where a request target (req.originalUrl, as received) carries a secret: the path before it
 * and the raw text from it on, or null. Read more widely than the router reads a link (any
 * case, an absolute-form target's path), as a proxy, a browser or a later reader of the log
 * might: escapes decoded, `\` a separator, empty and `.` segments dropped, `..` undoing the
 * one before. A redaction that followed only the router's own spelling missed `//u/<token>`
 * or `/x/../u/<token>`, which the next hop may well read as the link.
 */
function secretIn(target: string): { prefix: string; rest: string } | null {
  const absolute = ABSOLUTE_TARGET.exec(target);
  const path = (absolute ? target.slice(absolute[0].length) : target).split(/[?#]/, 1)[0]!;
  const walked: string[] = [];
  let offset = 0;
  for (const segment of path.split(/[/\\]/)) {
    const end = offset + segment.length;
    const read = readable(segment).toLowerCase();
    for (const part of read.split(/[/\\]/)) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        walked.pop();
        continue;
      }
      walked.push(part);
      const prefix = SECRET_PATHS.find(
        (p) => p.length === walked.length && p.every((s, i) => s === walked[i]),
      );
      if (prefix === undefined) continue;
      // From this very segment on when an escaped slash joined the secret to it.
      const rest = path.slice(part === read ? end + 1 : offset);
      return rest === '' ? null : { prefix: `/${prefix.join('/')}`, rest };
    }
    offset = end + 1;
  }
  return null;
}

/**
 * A request target as the log may show it: its path, the secret segment of the paths that
 * carry one (an unsubscribe link's token, the Salesforce listener's path secret) and all
 * after it left out (secretIn). Logs travel further than the service, and either segment is
 * a credential. Given the target as received, not Express's req.path: a one-click POST that
 * skips Express's dispatch (direct-post.ts) has the token alone for its path.
 */
export function loggedPath(target: string): string {
  const secret = secretIn(target);
  if (secret) return `${secret.prefix}/…`;
  const absolute = ABSOLUTE_TARGET.exec(target);
  return (absolute ? target.slice(absolute[0].length) : target).split(/[?#]/, 1)[0]!;
}

/**
 * An error as the log may show it, on a target that carries a secret (secretIn): its message
 * and stack without the secret, as received or decoded. Express's own refusal of a broken
 * percent-escape quotes the whole segment (`Failed to decode param '<secret>%ZZ'`).
 */
export function loggedError(error: unknown, target: string): unknown {
  const secret = secretIn(target);
  if (secret === null || !(error instanceof Error)) return error;
  const secrets = [secret.rest, ...secret.rest.split(/[/\\]/)];
  for (const raw of [...secrets]) {
    secrets.push(readable(raw));
    try {
      secrets.push(decodeURIComponent(raw));
    } catch {
      // Kept as received only: that is how an undecodable segment is quoted.
    }
  }
  // Not the words of the path itself (`u`, `soap`), which the message has elsewhere too.
  const longestFirst = secrets
    .filter((s) => !['', '.', '..'].includes(s) && !SECRET_PATH_SEGMENTS.has(s.toLowerCase()))
    .sort((a, b) => b.length - a.length);
  const without = (text: string) => longestFirst.reduce((t, s) => t.split(s).join('…'), text);
  const copy = new Error(without(error.message));
  copy.name = error.name;
  copy.stack = without(error.stack ?? '');
  const { status, code } = error as { status?: unknown; code?: unknown };
  return Object.assign(copy, { status, code });
}
