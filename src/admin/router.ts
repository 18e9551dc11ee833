import crypto from 'node:crypto';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import { ChangePaths } from '../domain/change-paths.js';
import { parseLeadId } from '../domain/lead.service.js';
import {
  OPERATOR_NAME,
  type OperatorService,
  type OperatorSession,
} from '../domain/operator.service.js';
import type { Services } from '../domain/services.js';
import { AppError, ErrorCode, isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseCookies, serializeCookie } from './cookies.js';
import { LoginThrottle } from './login-throttle.js';
import {
  addressPage,
  CSRF_FIELD,
  errorPage,
  loginPage,
  personPage,
  personUrl,
  searchPage,
  type SavedOutcome,
} from './pages.js';
import { searchPeople } from './people-search.js';
import { STYLESHEET } from './stylesheet.js';
import { clientLimitKey } from '../networks.js';

export interface AdminRouterOptions {
  operators: OperatorService;
  services: Services;
  logger: Logger;
  loginMaxFailures: number;
  /** Activities per page of a person's log. */
  activityPageSize?: number;
}

export const SESSION_COOKIE = 'du_admin_session';
/** Double-submit token of the login form, which has no session to hold a token yet. */
export const LOGIN_COOKIE = 'du_admin_login';
const COOKIE_PATH = '/admin';
const LOGIN_WINDOW_MS = 15 * 60 * 1000;

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
};

const randomToken = (): string => crypto.randomBytes(32).toString('base64url');

function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = crypto.createHash('sha256').update(expected).digest();
  const b = crypto.createHash('sha256').update(given).digest();
  return crypto.timingSafeEqual(a, b) && expected !== '';
}

/** One text value of a form or query field; repeated or missing fields give ''. */
function field(source: unknown, name: string): string {
  const value = (source as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

// C0 controls but tab, CR and LF: nothing stored holds one (every path refuses them), and
// PostgreSQL refuses NUL in any text it is asked to compare.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/** A text to look up: one holding a control character is answered 400. */
function lookupField(source: unknown, name: string): string {
  const value = field(source, name);
  if (CONTROL.test(value))
    throw new AppError(ErrorCode.BAD_PARAMETER, 'The text looked up holds a control character');
  return value;
}

/** Only our own pages are valid targets after login, so the form cannot redirect elsewhere. */
function safeNext(next: string): string {
  return /^\/admin(?:[/?][\x21-\x7e]*)?$/.test(next) && !next.includes('\\') ? next : '/admin/';
}

function sessionOf(res: Response): OperatorSession {
  return res.locals.session as OperatorSession;
}

function send(res: Response, status: number, page: string): void {
  res.status(status).type('html').send(page);
}

/** The /admin pages: login, people search, person detail with its unsubscribe box, address status. */
export function createAdminRouter(options: AdminRouterOptions): Router {
  const { operators, services, logger } = options;
  const pageSize = options.activityPageSize ?? 25;
  const throttle = new LoginThrottle({
    maxFailures: options.loginMaxFailures,
    windowMs: LOGIN_WINDOW_MS,
  });
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

  router.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));

  router.get('/login', (req, res) => {
    showLogin(req, res, 200, { next: safeNext(field(req.query, 'next')) });
  });

  router.post('/login', async (req, res) => {
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
    const session = await operators.logIn(name, field(req.body, 'password'));
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
    const session = token ? await operators.session(token) : null;
    if (!session) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
      } else {
        send(res, 401, errorPage({ status: 401, message: 'Log in first.' }));
      }
      return;
    }
    res.locals.session = session;
    res.locals.sessionToken = token;
    next();
  };
  const requireCsrf: RequestHandler = (req, res, next) => {
    if (req.method !== 'POST' || sameToken(sessionOf(res).csrfToken, field(req.body, CSRF_FIELD))) {
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
  router.use(requireSession, requireCsrf);

  router.post('/logout', async (req, res) => {
    await operators.logOut(res.locals.sessionToken as string);
    cookie(req, res, SESSION_COOKIE, '', 0);
    res.redirect(303, '/admin/login');
  });

  router.get('/', async (req, res) => {
    const query = lookupField(req.query, 'q');
    const found = query.trim() ? await searchPeople(services.leads, query) : null;
    send(
      res,
      200,
      searchPage({
        session: sessionOf(res),
        query,
        results: found?.people ?? null,
        email: found?.email ?? null,
      }),
    );
  });

  router.get('/people/:id', async (req, res) => {
    const id = parseLeadId(String(req.params.id));
    const beforeText = field(req.query, 'before');
    if (beforeText !== '' && !/^\d{1,10}$/.test(beforeText))
      throw new AppError(ErrorCode.BAD_PARAMETER, 'before must be an activity id');
    const before = beforeText === '' ? null : Number(beforeText);
    const [lead] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(id) });
    const activities = await services.activities.listForLead(
      { keyType: 'IDNUM', keyValue: String(id) },
      { batchSize: pageSize, ...(before !== null ? { start: { offset: `ID:${before}` } } : {}) },
    );
    const master = lead!.email ? (await services.durableStatus.explain(lead!.email)).status : null;
    const saved = field(req.query, 'saved');
    send(
      res,
      200,
      personPage({
        session: sessionOf(res),
        lead: lead!,
        master,
        activities,
        before,
        fieldLabel: (name) => services.catalogue.find(name)?.displayName ?? name,
        saved: ['unsubscribed', 'resubscribed', 'unchanged'].includes(saved)
          ? (saved as SavedOutcome)
          : null,
      }),
    );
  });

  router.post('/people/:id/unsubscribed', async (req, res) => {
    const id = parseLeadId(String(req.params.id));
    // An unticked checkbox is absent from the form: absent means "not unsubscribed".
    const unsubscribed = field(req.body, 'unsubscribed') === 'true';
    const body = req.body as Record<string, unknown> | undefined;
    const reason = typeof body?.reason === 'string' ? body.reason.trim() : undefined;
    const operator = sessionOf(res).operator;
    const [before] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(id) });
    const after = await services.leads.setUnsubscribed(
      id,
      unsubscribed,
      ChangePaths.personDetail(operator),
      reason,
    );
    const outcome: SavedOutcome =
      before?.unsubscribed === after.unsubscribed
        ? 'unchanged'
        : after.unsubscribed
          ? 'unsubscribed'
          : 'resubscribed';
    logger.info({ operator, leadId: id, unsubscribed, outcome }, 'operator set Unsubscribed');
    res.redirect(303, `${personUrl(id)}?saved=${outcome}`);
  });

  router.get('/address', async (req, res) => {
    const query = lookupField(req.query, 'email');
    const report = query.trim() ? await services.durableStatus.explain(query) : null;
    send(res, 200, addressPage({ session: sessionOf(res), query, report }));
  });

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
