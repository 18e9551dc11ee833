import type { RequestHandler } from 'express';
import type { OperatorService } from '../domain/operator.service.js';
import type { Logger } from '../logger.js';
import { clientLimitKey } from '../http/networks.js';
import { LOGGED_OUT_PAGE } from './login-routes.js';
import { readCookie, SESSION_COOKIE, setCookie } from './console-cookies.js';
import { field, formPageOf, routedPath, sameToken, send, sessionOf } from './form.js';
import { isUpload, type FormBodies } from './form-bodies.js';
import { CSRF_FIELD } from './layout.js';
import { errorPage } from './pages/error.js';

/** The part of the SOAP endpoint's authentication-failure limiter the console uses. */
export interface RefusedAuthentications {
  /** False when no address can be refused now. */
  mayRefuse(): boolean;
  /** Seconds until the address (its limit key) may try again; 0: now. */
  retryAfterSeconds(address: string): number;
  record(address: string): void;
}

/**
 * Lets through a request with a live session only (res.locals.session, sessionToken). A GET
 * without one is sent to the login page; anything else is answered 401 unread. `failures`:
 * a session cookie that opens nothing counts as a refused authentication of its address.
 */
export function requireSession(
  operators: OperatorService,
  { refuseUnread, answerUnread }: Pick<FormBodies, 'refuseUnread' | 'answerUnread'>,
  failures: RefusedAuthentications | undefined,
): RequestHandler {
  return async (req, res, next) => {
    const token = readCookie(req, SESSION_COOKIE);
    // Each cookie costs a database read: past its budget of refused authentications, an
    // address sending cookies that open nothing is answered without one.
    const client = token && failures ? clientLimitKey(req.ip) : '';
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
      if (req.method === 'POST' && routedPath(req) === '/logout') {
        // Logging out of a session that has ended already (expired, logged out in another
        // tab): what was asked is so; the cookie goes, and the login page says it. Without a
        // cookie (another site's form: SameSite keeps it off a cross-site POST) nothing is
        // removed, or any site could log the operator out: the login page looks for itself.
        answerUnread(req, res, () => {
          if (token) setCookie(req, res, SESSION_COOKIE, '', 0);
          res.redirect(303, token ? LOGGED_OUT_PAGE : '/admin/login');
        });
      } else if (req.method === 'GET' || req.method === 'HEAD') {
        // A cookie sent that opens nothing: the session has ended, which the login form says.
        const ended = token ? '&ended=1' : '';
        res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}${ended}`);
      } else {
        // A form posted after its session ended (expired, logged out elsewhere): its change is
        // not made, which the operator must know; logging in leads back to the form's page.
        const message =
          req.method === 'POST'
            ? 'Your session has ended, so nothing was saved. Log in, then make the change again.'
            : 'Log in first.';
        const page = errorPage({
          status: 401,
          message,
          loginNext: formPageOf(req.get('Referer'), req.get('Host')),
        });
        refuseUnread(req, res, 401, page);
      }
      return;
    }
    res.locals.session = session;
    res.locals.sessionToken = token;
    next();
  };
}

/** Lets through a POST only with its session's CSRF token (the upload checks its own). */
export function requireCsrf(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (
      req.method !== 'POST' ||
      isUpload(req) ||
      sameToken(sessionOf(res).csrfToken, field(req.body, CSRF_FIELD))
    ) {
      next();
      return;
    }
    logger.warn(
      { operator: sessionOf(res).operator, path: req.path },
      'admin POST without CSRF token',
    );
    // Reloading this answer would post the same stale token again (a form from before the
    // latest login, say): the way on is the form's page, fetched afresh.
    // A Log out is no change: its page (opened before the latest login) says what it is.
    const logout = routedPath(req) === '/logout';
    send(
      res,
      403,
      errorPage({
        status: 403,
        message: logout
          ? 'That page was opened before your latest login, so its Log out was refused. You are still logged in: Log out at the top of this page logs you out.'
          : 'This form did not carry a valid token, so nothing was saved. Open the form again and make the change again.',
        session: sessionOf(res),
        backTo: formPageOf(req.get('Referer'), req.get('Host')),
        ...(logout ? { backLabel: 'Open that page again' } : {}),
      }),
    );
  };
}
