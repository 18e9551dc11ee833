import crypto from 'node:crypto';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import {
  OPERATOR_NAME,
  type OperatorService,
  type OperatorSession,
} from '../domain/operator.service.js';
import type { Services } from '../domain/services.js';
import { ErrorCode, isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseCookies, serializeCookie } from './cookies.js';
import { instanceLoginThrottle } from '../cluster/instance-limits.js';
import { LOGIN_WINDOW_MS } from './login-throttle.js';
import { field, sameToken, send, sessionOf } from './form.js';
import { CSRF_FIELD } from './layout.js';
import { errorPage } from './pages/error.js';
import { loginPage } from './pages/login.js';
import { addressRoutes } from './routes/address.js';
import { bulkRoutes } from './routes/bulk.js';
import type { RouteContext } from './routes/context.js';
import { peopleRoutes } from './routes/people.js';
import { suppressionRoutes } from './routes/suppressions.js';
import { STYLESHEET } from './stylesheet.js';
import { clientLimitKey } from '../networks.js';
import { Semaphore } from '../domain/semaphore.js';
import { drainThen } from '../soap-transport/request-body.js';

export interface AdminRouterOptions {
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
  /** Bytes of a refused body read and discarded at most before the answer closes the connection. */
  refusedDrainBytes?: number;
  /** Longest a form's body may take to arrive, or a refused one to be discarded (BODY_TIMEOUT_MS). */
  bodyTimeoutMs?: number;
  /**
   * Refused authentications per client address (the SOAP endpoint's, AUTH_FAILURE_LIMIT): a
   * session cookie that opens nothing counts as one.
   */
  authFailures?: RefusedAuthentications;
}

/** The part of the SOAP endpoint's authentication-failure limiter the console uses. */
export interface RefusedAuthentications {
  /** False when no address can be refused now. */
  mayRefuse(): boolean;
  /** Seconds until the address (its limit key) may try again; 0: now. */
  retryAfterSeconds(address: string): number;
  record(address: string): void;
}

export const SESSION_COOKIE = 'du_admin_session';
/** Double-submit token of the login form, which has no session to hold a token yet. */
export const LOGIN_COOKIE = 'du_admin_login';
const COOKIE_PATH = '/admin';

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.LEAD_NOT_FOUND]: 404,
  [ErrorCode.LEAD_KEY_BAD]: 404,
  [ErrorCode.LEAD_KEY_REQUIRED]: 400,
  [ErrorCode.LEAD_ATTRIBUTE_BAD]: 400,
  [ErrorCode.LEAD_SYNC_FAILED]: 409,
  [ErrorCode.BAD_PARAMETER]: 400,
  [ErrorCode.INVALID_REQUEST]: 400,
  [ErrorCode.BAD_STREAM_POSITION]: 400,
  [ErrorCode.AUTHENTICATION_FAILED]: 401,
  [ErrorCode.ACCESS_DENIED]: 403,
  [ErrorCode.RATE_LIMIT_EXCEEDED]: 429,
  [ErrorCode.DATABASE_UNAVAILABLE]: 503,
  [ErrorCode.PARAMETER_REQUIRED]: 400,
};

/** The one form that is not urlencoded: it checks its token itself, before keeping the file. */
const UPLOAD_PATH = '/suppressions/import';

const randomToken = (): string => crypto.randomBytes(32).toString('base64url');

/** Only our own pages are valid targets after login, so the form cannot redirect elsewhere. */
function safeNext(next: string): string {
  return /^\/admin(?:[/?][\x21-\x7e]*)?$/.test(next) && !next.includes('\\') ? next : '/admin/';
}

/** The /admin pages: login, people search, person detail with its unsubscribe box, address status. */
export function createAdminRouter(options: AdminRouterOptions): Router {
  const { operators, services, logger } = options;
  const pageSize = options.activityPageSize ?? 25;
  const throttle = instanceLoginThrottle({
    maxFailures: options.loginMaxFailures,
    windowMs: LOGIN_WINDOW_MS,
  });
  // Each check is an scrypt on node's 4-thread pool, which compression and file access share:
  // logins from many addresses (each under its own throttle) could fill it. Per process, as
  // the pool is.
  const passwordChecks = new Semaphore(options.loginConcurrency ?? 2);
  const router = express.Router();

  const cookie = (req: Request, res: Response, name: string, value: string, maxAge?: number) =>
    res.append(
      'Set-Cookie',
      serializeCookie(name, value, {
        path: COOKIE_PATH,
        // req.secure honours X-Forwarded-Proto only when TRUST_PROXY is on.
        secure: req.secure,
        sameSite: 'Lax',
        maxAge,
      }),
    );

  const showLogin = (
    req: Request,
    res: Response,
    status: number,
    view: { next: string; name?: string; error?: string },
  ) => {
    const csrfToken = randomToken();
    cookie(req, res, LOGIN_COOKIE, csrfToken);
    send(res, status, loginPage({ csrfToken, ...view }));
  };

  router.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/admin.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('css').send(STYLESHEET);
  });

  const drainCap = options.refusedDrainBytes ?? 4 * 1024 * 1024;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 30000;
  /**
   * Answers a request whose body is left unread: discarded up to drainCap or for
   * BODY_TIMEOUT_MS, then closed.
   */
  const refuseUnread = (req: Request, res: Response, status: number, page: string) =>
    drainThen(req, drainCap, bodyTimeoutMs, () => {
      if (!req.complete) res.setHeader('Connection', 'close');
      send(res, status, page);
    });
  /**
   * `parse` (a form parser), given BODY_TIMEOUT_MS for the body to arrive: the parser itself
   * waits for as long as the client keeps sending, a byte at a time (until node's request
   * timeout). Late, the request is answered 408 and its connection closed; what the parser
   * says after (the request aborted) is dropped.
   */
  const within =
    (parse: RequestHandler): RequestHandler =>
    (req, res, next) => {
      if (req.complete) return parse(req, res, next);
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        req.pause();
        res.setHeader('Connection', 'close');
        const session = (res.locals.session as OperatorSession | undefined) ?? null;
        const message = 'The form did not arrive in time.';
        send(res, 408, errorPage({ status: 408, message, session }));
      }, bodyTimeoutMs);
      parse(req, res, (error?: unknown) => {
        clearTimeout(timer);
        if (!late) next(error);
      });
    };
  const SMALL_FORM = 16 * 1024;
  // A pasted list of up to 10,000 ids or addresses.
  const BULK_FORM = 1024 * 1024;
  // inflate: false: browsers never compress a form, and the login form is open to anyone, who
  // could otherwise make the service run gzip, brotli or zstd for it (415 instead).
  const parsers = new Map(
    [SMALL_FORM, BULK_FORM].map((limit) => [
      limit,
      within(express.urlencoded({ extended: false, limit, parameterLimit: 20, inflate: false })),
    ]),
  );
  /**
   * The form parser, only for a body of a length declared within its limit: the parser's own
   * refusal of a larger or chunked body reads all of it first, however much a client sends.
   * Browsers declare the length of every form they post.
   */
  const forms: RequestHandler = (req, res, next) => {
    const limit = req.path.startsWith('/bulk/') ? BULK_FORM : SMALL_FORM;
    const parse = parsers.get(limit)!;
    const upload = req.path === UPLOAD_PATH && req.is('multipart/form-data') !== false;
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
    if (upload || !hasBody) return parse(req, res, next);
    const length = Number(req.headers['content-length'] ?? NaN);
    if (Number.isInteger(length) && length <= limit) return parse(req, res, next);
    const session = (res.locals.session as OperatorSession | undefined) ?? null;
    if (Number.isNaN(length)) {
      const page = errorPage({ status: 411, message: 'A form is sent with its length.', session });
      return refuseUnread(req, res, 411, page);
    }
    // Declared too large: answered at once; what arrives meanwhile is discarded up to the cap.
    res.setHeader('Connection', 'close');
    send(
      res,
      413,
      errorPage({ status: 413, message: 'The form is larger than it may be.', session }),
    );
    drainThen(req, drainCap, bodyTimeoutMs, () => undefined);
  };

  router.get('/login', (req, res) => {
    showLogin(req, res, 200, { next: safeNext(field(req.query, 'next')) });
  });

  router.post('/login', forms, async (req, res) => {
    const name = field(req.body, 'name').trim();
    const next = safeNext(field(req.body, 'next'));
    const formToken = parseCookies(req.headers.cookie).get(LOGIN_COOKIE) ?? '';
    if (!sameToken(formToken, field(req.body, CSRF_FIELD))) {
      showLogin(req, res, 403, { next, name, error: 'The form expired. Please log in again.' });
      return;
    }
    // req.ip is the address TRUST_PROXY resolves: a client cannot choose it by a header.
    const client = req.ip ?? 'unknown';
    // A name no operator can have is never an account; it may well be a mistyped password.
    const account = OPERATOR_NAME.test(name) ? name : null;
    const release = passwordChecks.tryAcquire();
    if (release === null) {
      // Not counted as a failure: no password was checked.
      res.set('Retry-After', '1');
      logger.debug({ client }, 'admin login refused (password checks busy)');
      showLogin(req, res, 429, {
        next,
        name,
        error: 'Too many logins at once. Try again in a few seconds.',
      });
      return;
    }
    let session: Awaited<ReturnType<OperatorService['logIn']>>;
    try {
      // Counted before the password is checked, so parallel guesses cannot all get through.
      // One limit per IPv6 /64: a subscriber holds all of it.
      const wait = throttle.admit(clientLimitKey(client), account);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        logger.debug({ operator: account ?? undefined, client }, 'admin login refused (throttled)');
        showLogin(req, res, 429, {
          next,
          name,
          error: `Too many failed logins. Try again in ${Math.ceil(wait / 60)} minute(s).`,
        });
        return;
      }
      session = await operators.logIn(name, field(req.body, 'password'));
    } finally {
      release();
    }
    if (!session) {
      logger.warn(
        account === null ? { client, nameIsOperatorName: false } : { operator: account, client },
        'admin login failed',
      );
      showLogin(req, res, 401, { next, name, error: 'Wrong operator name or password.' });
      return;
    }
    throttle.succeed(clientLimitKey(client), account);
    // A new token at every login; the session this browser had before ends.
    const previous = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (previous) await operators.logOut(previous);
    logger.info({ operator: session.operator, client }, 'admin login');
    cookie(req, res, LOGIN_COOKIE, '', 0);
    cookie(req, res, SESSION_COOKIE, session.token);
    res.redirect(303, next);
  });

  // Everything below needs a live session; every POST below also needs its CSRF token.
  const requireSession: RequestHandler = async (req, res, next) => {
    const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE) ?? '';
    // Each cookie costs a database read: past its budget of refused authentications, an
    // address sending cookies that open nothing is answered without one.
    const failures = options.authFailures;
    const client = token && failures ? clientLimitKey(req.ip ?? 'unknown') : '';
    if (client && failures!.mayRefuse()) {
      const wait = failures!.retryAfterSeconds(client);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        const message = `Too many requests with a session that does not exist. Try again in ${wait} s.`;
        refuseUnread(req, res, 429, errorPage({ status: 429, message }));
        return;
      }
    }
    const session = token ? await operators.session(token) : null;
    if (!session) {
      if (client) failures!.record(client);
      if (req.method === 'GET' || req.method === 'HEAD') {
        res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
      } else {
        refuseUnread(req, res, 401, errorPage({ status: 401, message: 'Log in first.' }));
      }
      return;
    }
    res.locals.session = session;
    res.locals.sessionToken = token;
    next();
  };
  const requireCsrf: RequestHandler = (req, res, next) => {
    const upload = req.path === UPLOAD_PATH && req.is('multipart/form-data') !== false;
    if (
      req.method !== 'POST' ||
      upload ||
      sameToken(sessionOf(res).csrfToken, field(req.body, CSRF_FIELD))
    ) {
      next();
      return;
    }
    logger.warn(
      { operator: sessionOf(res).operator, path: req.path },
      'admin POST without CSRF token',
    );
    send(
      res,
      403,
      errorPage({
        status: 403,
        message: 'This form did not carry a valid token. Reload the page and try again.',
        session: sessionOf(res),
      }),
    );
  };
  router.use(requireSession, forms, requireCsrf);

  router.post('/logout', async (req, res) => {
    await operators.logOut(res.locals.sessionToken as string);
    cookie(req, res, SESSION_COOKIE, '', 0);
    res.redirect(303, '/admin/login');
  });

  const context: RouteContext = {
    router,
    services,
    logger,
    activityPageSize: pageSize,
    listPageSize: options.listPageSize ?? 50,
    wakeJobs: options.wakeJobs ?? (() => undefined),
    uploadMaxBytes: options.uploadMaxBytes ?? 50 * 1024 * 1024,
  };
  peopleRoutes(context);
  addressRoutes(context);
  suppressionRoutes(context);
  bulkRoutes(context);

  router.use((_req, res) => {
    send(res, 404, errorPage({ status: 404, message: 'No such page.', session: sessionOf(res) }));
  });

  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const session = (res.locals.session as OperatorSession | undefined) ?? null;
    if (isAppError(error)) {
      const status = STATUS_OF[error.code] ?? 500;
      if (status >= 500) logger.error({ err: error, path: req.path }, 'admin page failed');
      send(res, status, errorPage({ status, message: error.message, session }));
      return;
    }
    // body-parser's errors (too large, bad encoding) carry their own 4xx status.
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      send(res, status, errorPage({ status, message: 'The request was not understood.', session }));
      return;
    }
    logger.error({ err: error, path: req.path }, 'admin page failed');
    send(res, 500, errorPage({ status: 500, message: 'Internal error.', session }));
  });

  return router;
}
