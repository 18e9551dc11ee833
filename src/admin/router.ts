import express, { type Router } from 'express';
import type { OperatorService } from '../domain/operator.service.js';
import type { Services } from '../domain/services.js';
import type { Logger } from '../logger.js';
import { errorAnswer } from './error-answers.js';
import { send, sessionOf } from './form.js';
import { formBodies, type FormBodyOptions } from './form-bodies.js';
import { loginRoutes, logoutRoute } from './login-routes.js';
import { methodAnswers } from './method-answers.js';
import { errorPage } from './pages/error.js';
import { addressRoutes } from './routes/address.js';
import { bulkRoutes } from './routes/bulk.js';
import { answerDeadline, type RequestDeadlineLimits } from '../http/request-deadline.js';
import type { RouteContext } from './routes/context.js';
import { peopleRoutes } from './routes/people.js';
import { sessionRoutes } from './routes/sessions.js';
import { suppressionRoutes } from './routes/suppressions.js';
import { requireCsrf, requireSession, type RefusedAuthentications } from './session-gate.js';
import { STYLESHEET } from './stylesheet.js';

export { LOGIN_COOKIE, SESSION_COOKIE } from './console-cookies.js';
export type { RefusedAuthentications } from './session-gate.js';

export interface AdminRouterOptions extends FormBodyOptions {
  operators: OperatorService;
  services: Services;
  logger: Logger;
  loginMaxFailures: number;
  /** Login passwords checked at once in this process (ADMIN_LOGIN_CONCURRENCY); 2 if absent. */
  loginConcurrency?: number;
  /** Activities per page of a person's log. */
  activityPageSize?: number;
  /** Rows per page of the other lists (people of an address, history, suppressions). */
  listPageSize?: number;
  /** Starts the console's background jobs at once instead of at the runner's next pass. */
  wakeJobs?: () => void;
  /** Largest CSV the import form accepts (ADMIN_UPLOAD_MAX_MB). */
  uploadMaxBytes?: number;
  /** Longest line of an imported CSV (IMPORT_MAX_ROW_CHARS). */
  csvMaxRowChars?: number;
  /** Entries a pasted list of Change Data Value may hold (CONSOLE_PASTED_MAX). */
  pastedMax?: number;
  /**
   * Refused authentications per client address (the SOAP endpoint's, AUTH_FAILURE_LIMIT): a
   * session cookie that opens nothing counts as one.
   */
  authFailures?: RefusedAuthentications;
  /** REQUEST_TIMEOUT_MS and COMMIT_GRACE_MS; 30 s and 10 s if absent. */
  deadline?: RequestDeadlineLimits;
}

/**
 * The forms answered within REQUEST_TIMEOUT_MS: their writes withdraw at that deadline. In any
 * case, as Express routes them (and with the trailing slash it allows).
 */
const DEADLINE_FORMS = /^\/(?:address\/status|people\/[^/]+\/unsubscribed|bulk\/preview)\/?$/i;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** The /admin pages: login, people search, person detail with its unsubscribe box, address status. */
export function createAdminRouter(options: AdminRouterOptions): Router {
  const { operators, services, logger } = options;
  const router = express.Router();

  const limits = options.deadline ?? { requestTimeoutMs: 30000, commitGraceMs: 10000 };
  router.use((req, res, next) => {
    res.set(SECURITY_HEADERS);
    res.set('Cache-Control', 'no-store');
    // Pages and the forms whose writes take the request's deadline are answered within
    // REQUEST_TIMEOUT_MS (a database held by a long write): the error page then, and their
    // write, not yet committing, is not made. Not the others (a job started, a CSV upload,
    // whose transfer node's request timeout bounds): a timeout could not say what they stored.
    if (req.method === 'GET' || req.method === 'HEAD' || DEADLINE_FORMS.test(req.path))
      res.locals.deadline = answerDeadline(res, limits, (error) => {
        res.locals.timedOut = true;
        errorAnswer(logger)(error, req, res, () => undefined);
      });
    next();
  });

  router.get('/admin.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('css').send(STYLESHEET);
  });

  const bodies = formBodies(options);
  const { forms } = bodies;
  // Before the session gate: which methods a page answers is no secret of a session.
  router.use(methodAnswers(router, bodies));
  loginRoutes(router, forms, options);

  // Everything below needs a live session; every POST below also needs its CSRF token.
  router.use(requireSession(operators, bodies, options.authFailures), forms, requireCsrf(logger));

  logoutRoute(router, operators, logger);
  sessionRoutes(router, operators, logger);

  const context: RouteContext = {
    router,
    services,
    logger,
    activityPageSize: options.activityPageSize ?? 25,
    listPageSize: options.listPageSize ?? 50,
    wakeJobs: options.wakeJobs ?? (() => undefined),
    uploadMaxBytes: options.uploadMaxBytes ?? 50 * 1024 * 1024,
    csvMaxRowChars: options.csvMaxRowChars,
    pastedMax: options.pastedMax,
  };
  peopleRoutes(context);
  addressRoutes(context);
  suppressionRoutes(context);
  bulkRoutes(context);

  router.use((_req, res) => {
    send(res, 404, errorPage({ status: 404, message: 'No such page.', session: sessionOf(res) }));
  });

  router.use(errorAnswer(logger));

  return router;
}
