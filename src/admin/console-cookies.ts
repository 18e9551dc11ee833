import type { Request, Response } from 'express';
import { parseCookies, serializeCookie } from './cookies.js';

/** The operator's session. */
export const SESSION_COOKIE = 'du_admin_session';
/** Double-submit token of the login form, which has no session to hold a token yet. */
export const LOGIN_COOKIE = 'du_admin_login';
/** The page a change just led to, whose "Saved" notice it may show (saved-notice.ts). */
export const SAVED_COOKIE = 'du_admin_saved';
export type ConsoleCookie = typeof SESSION_COOKIE | typeof LOGIN_COOKIE | typeof SAVED_COOKIE;

/**
 * Over HTTPS (req.secure: TLS here, or X-Forwarded-Proto when TRUST_PROXY is on) the console's
 * cookies are `__Host-` ones: a browser takes them only Secure, for Path=/ and without Domain,
 * so that a page of a sibling subdomain cannot set or overwrite them (plant a session, or the
 * login form's double-submit token, for the whole parent domain). Over plain HTTP (development)
 * a browser refuses the prefix, and the names are unprefixed, for /admin, as before.
 */
const HOST_PREFIX = '__Host-';

const nameOf = (req: Request, cookie: ConsoleCookie) =>
  req.secure ? `${HOST_PREFIX}${cookie}` : cookie;

/** The value of the console's cookie; over HTTPS an unprefixed one is nobody's. */
export const readCookie = (req: Request, cookie: ConsoleCookie): string =>
  parseCookies(req.headers.cookie).get(nameOf(req, cookie)) ?? '';

/** Sets the console's cookie (maxAge 0: removes it). */
export function setCookie(
  req: Request,
  res: Response,
  cookie: ConsoleCookie,
  value: string,
  maxAge?: number,
): void {
  res.append(
    'Set-Cookie',
    serializeCookie(nameOf(req, cookie), value, {
      path: req.secure ? '/' : '/admin',
      secure: req.secure,
      sameSite: 'Lax',
      maxAge,
    }),
  );
}

/**
 * Over HTTPS, removes what earlier versions set under the unprefixed name (for /admin): the
 * browser would otherwise keep sending a session cookie nothing reads any longer.
 */
export function removeUnprefixed(req: Request, res: Response, cookie: ConsoleCookie): void {
  if (!req.secure || !parseCookies(req.headers.cookie).has(cookie)) return;
  res.append(
    'Set-Cookie',
    serializeCookie(cookie, '', { path: '/admin', secure: true, sameSite: 'Lax', maxAge: 0 }),
  );
}
