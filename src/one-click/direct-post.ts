import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, NextFunction, Request, Response } from 'express';
import { LINK_PATH, type OneClickRoutes } from './router.js';

/**
 * The path of a one-click POST as links are made (`/u/` and a token of its alphabet): one that
 * Express's dispatch would hand to the /u router's POST route as it is, its token unchanged by
 * the parameter's decoding (no escape), with no query, no trailing slash, no other case.
 */
const PLAIN_POST_PATH = new RegExp(`^${LINK_PATH}/[A-Za-z0-9._-]+$`);

/**
 * A link's path with more than one slash before `u` or before the token: a sender's template
 * joined the link to a base URL ending with its own slash (`https://host/` + `/u/` + token, or
 * `https://host/u/` + `/` + token). Its page and its one-click were answered 404, and the
 * opt-out lost; the link's path is read without the extra slashes. Anchored, each run of
 * slashes matched once: linear in the path.
 */
const SLASHES_AROUND_LINK = /^\/+(u)\/+(?=[^/])/i;

type ErrorHandler = (error: unknown, req: Request, res: Response, next: NextFunction) => void;

/** Express 5's application as its request listener calls it (lib/application.js). */
interface Dispatching {
  handle(req: IncomingMessage, res: ServerResponse, callback?: (error?: unknown) => void): void;
  request: object;
  response: object;
  enabled(setting: string): boolean;
}

/**
 * The one-click POST is the hottest unauthenticated call, and Express's dispatch (the app's
 * router, the mount's prefix trim, the route's path match and parameter decoding, the final
 * handler made per request) was about a tenth of the main thread's work for it. A POST whose
 * path is PLAIN_POST_PATH goes to the route's own handler with what that dispatch would have
 * given it: the same request and response objects (prototypes, circular references, locals),
 * the same parameter and URLs; and an error it lets through goes to the same two error
 * handlers, the router's (`routes.onError`) and then the app's (`appError`). Any other
 * request, and any call from a parent app (a callback), takes Express's dispatch. A link's
 * path with doubled slashes is read first as the link's own (SLASHES_AROUND_LINK).
 */
export function directOneClickPosts(
  app: Express,
  routes: Pick<OneClickRoutes, 'post' | 'onError'>,
  appError: ErrorHandler,
): void {
  const dispatching = app as unknown as Dispatching;
  const handle = dispatching.handle;
  dispatching.handle = function (req, res, callback) {
    // Two characters looked at for any other request.
    if (req.url?.charCodeAt(1) === 0x2f || req.url?.charCodeAt(3) === 0x2f)
      req.url = req.url.replace(SLASHES_AROUND_LINK, '/$1/');
    const url = req.url ?? '';
    if (callback || req.method !== 'POST' || !PLAIN_POST_PATH.test(url))
      return handle.call(this, req, res, callback);
    // app.handle's own preparation, then the router's for the route under /u. On the
    // service's own server the objects already have these prototypes (app-messages.ts).
    if (dispatching.enabled('x-powered-by')) res.setHeader('X-Powered-By', 'Express');
    const request = Object.setPrototypeOf(req, dispatching.request) as Request;
    const response = Object.setPrototypeOf(res, dispatching.response) as Response;
    request.res = response;
    response.req = request;
    response.locals ??= Object.create(null) as Response['locals'];
    request.originalUrl = url;
    request.baseUrl = LINK_PATH;
    request.url = url.slice(LINK_PATH.length);
    request.params = { token: url.slice(LINK_PATH.length + 1) };
    routes
      .post(request, response)
      .catch((error: unknown) =>
        routes.onError(error, request, response, (passed) =>
          appError(passed, request, response, () => undefined),
        ),
      );
  };
}
