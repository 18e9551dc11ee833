import crypto from 'node:crypto';
import type { Request, RequestHandler, Response, Router } from 'express';
import { OPERATOR_NAME, type OperatorService } from '../domain/operator.service.js';
import { Semaphore } from '../domain/semaphore.js';
import type { Logger } from '../logger.js';
import { instanceLoginThrottle } from '../cluster/instance-limits.js';
import { clientLimitKey } from '../http/networks.js';
import {
  LOGIN_COOKIE,
  readCookie,
  removeUnprefixed,
  SESSION_COOKIE,
  setCookie,
} from './console-cookies.js';
import { field, safeNext, sameToken, send, sessionOf } from './form.js';
import { CSRF_FIELD } from './layout.js';
import { LOGIN_WINDOW_MS } from '../limits/login-throttle.js';
import { loginPage, otherSessionsEndedPage } from './pages/login.js';

/** Where logging out leads: the login page, saying so. */
export const LOGGED_OUT_PAGE = '/admin/login?out=1';

const randomToken = (): string => crypto.randomBytes(32).toString('base64url');

/** A throttle's wait in words, as its Retry-After says it: seconds under a minute. */
function waitText(seconds: number): string {
  const [n, unit] = seconds < 60 ? [seconds, 'second'] : [Math.ceil(seconds / 60), 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

export interface LoginOptions {
  operators: OperatorService;
  logger: Logger;
  loginMaxFailures: number;
  /** Login passwords checked at once in this process (ADMIN_LOGIN_CONCURRENCY); 2 if absent. */
  loginConcurrency?: number;
  /**
   * The session gate's refused authentications (session-gate.ts's RefusedAuthentications; not
   * imported: the gate imports this file), one budget with it.
   */
  authFailures?: {
    mayRefuse(): boolean;
    retryAfterSeconds(address: string): number;
    record(address: string): void;
  };
}

/** GET and POST /login on `router`; `forms` reads the posted form. */
export function loginRoutes(router: Router, forms: RequestHandler, options: LoginOptions): void {
  const { operators, logger } = options;
  const throttle = instanceLoginThrottle({
    maxFailures: options.loginMaxFailures,
    windowMs: LOGIN_WINDOW_MS,
  });
  // Each check is an scrypt on node's 4-thread pool, which compression and file access share:
  // logins from many addresses (each under its own throttle) could fill it. Per process, as
  // the pool is.
  const passwordChecks = new Semaphore(options.loginConcurrency ?? 2);

  const showLogin = (
    req: Request,
    res: Response,
    status: number,
    view: { next: string; name?: string; error?: string; ended?: boolean; loggedOut?: boolean },
  ) => {
    const csrfToken = randomToken();
    setCookie(req, res, LOGIN_COOKIE, csrfToken);
    send(res, status, loginPage({ csrfToken, ...view }));
  };

  /**
   * Whether the browser's session cookie opens a live session. Each lookup is a database read:
   * as at the session gate, a cookie that opens nothing is a refused authentication, counted,
   * and an address past its budget is not looked up at all. Sent here by the gate (`ended`) or
   * by Log out (`out`), the session is known to be gone: no lookup, nothing counted twice.
   */
  const loggedIn = async (req: Request): Promise<boolean> => {
    const token = readCookie(req, SESSION_COOKIE);
    if (!token || field(req.query, 'ended') === '1' || field(req.query, 'out') === '1')
      return false;
    const failures = options.authFailures;
    const client = clientLimitKey(req.ip);
    if (failures && failures.mayRefuse() && failures.retryAfterSeconds(client) > 0) return false;
    if ((await operators.session(token)) !== null) return true;
    failures?.record(client);
    return false;
  };

  router.get('/login', async (req, res) => {
    const next = safeNext(field(req.query, 'next'));
    // A logged-in operator (a bookmark, the back button after logging in) goes on to the
    // console: the form read as if the session had ended. Log out, on every page, leads here
    // to log in as another operator, and ends this session first.
    if (await loggedIn(req)) {
      res.redirect(303, next);
      return;
    }
    showLogin(req, res, 200, {
      next,
      ended: field(req.query, 'ended') === '1',
      loggedOut: field(req.query, 'out') === '1',
    });
  });

  router.post('/login', forms, async (req, res) => {
    const name = field(req.body, 'name').trim();
    const next = safeNext(field(req.body, 'next'));
    const formToken = readCookie(req, LOGIN_COOKIE);
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
          error: `Too many failed logins. Try again in ${waitText(wait)}.`,
        });
        return;
      }
      session = await operators.logIn(name, field(req.body, 'password'), {
        address: client,
        userAgent: req.get('User-Agent'),
      });
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
    const previous = readCookie(req, SESSION_COOKIE);
    if (previous) await operators.logOut(previous);
    logger.info(
      { operator: session.operator, client, endedOldestSessions: session.endedOldest },
      'admin login',
    );
    setCookie(req, res, LOGIN_COOKIE, '', 0);
    setCookie(req, res, SESSION_COOKIE, session.token);
    removeUnprefixed(req, res, SESSION_COOKIE);
    removeUnprefixed(req, res, LOGIN_COOKIE);
    res.redirect(303, next);
  });
}

/**
 * POST /logout and POST /logout-others on `router`, behind the session gate and its CSRF check
 * (session-gate.ts). The second ends the operator's every session but this one (a laptop left
 * logged in, lost): on every instance at once, as sessions are rows of the database.
 */
export function logoutRoute(router: Router, operators: OperatorService, logger: Logger): void {
  router.post('/logout', async (req, res) => {
    await operators.logOut(res.locals.sessionToken as string);
    setCookie(req, res, SESSION_COOKIE, '', 0);
    res.redirect(303, LOGGED_OUT_PAGE);
  });
  router.post('/logout-others', async (req, res) => {
    const session = sessionOf(res);
    const ended = await operators.logOutOthers(session.operator, res.locals.sessionToken as string);
    logger.info(
      { operator: session.operator, ended, client: req.ip },
      'admin other sessions ended',
    );
    send(res, 200, otherSessionsEndedPage(session, ended));
  });
}
