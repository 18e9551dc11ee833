import type { RequestHandler, Router } from 'express';
import type { FormBodies } from './form-bodies.js';
import { errorPage } from './pages/error.js';

/** What the console's router holds, as Express's router keeps it (the `router` package). */
interface RouteLayer {
  route?: { methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}

/** The methods the console's routes answer on `path` (HEAD with GET, OPTIONS with any); none: []. */
function allowedMethods(router: Router, path: string): string[] {
  const methods = new Set<string>();
  for (const layer of router.stack as unknown as RouteLayer[]) {
    if (!layer.route) continue;
    let matches: unknown;
    try {
      matches = layer.match(path);
    } catch {
      // A parameter that does not decode (a broken escape): the route's own answer says so.
      matches = false;
    }
    if (!matches) continue;
    for (const [method, on] of Object.entries(layer.route.methods))
      if (on && method !== '_all') methods.add(method.toUpperCase());
  }
  if (methods.size === 0) return [];
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return ['GET', 'HEAD', 'POST', 'OPTIONS'].filter((m) => methods.has(m));
}

/**
 * A console path asked with a method its routes do not answer (OPTIONS, PUT, TRACE…), before
 * any session is looked up: OPTIONS is told what the path allows, any other method is refused
 * 405 with the same `Allow` (RFC 9110 §15.5.6), its body discarded up to a bound. A path no
 * route answers goes on (to the login, or the 404). GET, HEAD and POST cost nothing here.
 */
export function methodAnswers(
  router: Router,
  { refuseUnread, answerUnread }: FormBodies,
): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'POST') return next();
    const allowed = allowedMethods(router, req.path);
    if (allowed.length === 0) return next();
    const allow = allowed.join(', ');
    res.set('Allow', allow);
    if (req.method === 'OPTIONS') {
      answerUnread(req, res, () => {
        res.status(200).type('text/plain; charset=utf-8').send(`${allow}\n`);
      });
      return;
    }
    const message = `${req.method} is not served here: this page answers ${allow}.`;
    refuseUnread(req, res, 405, errorPage({ status: 405, message }));
  };
}
