import type { Router } from 'express';
import type { OperatorService } from '../../domain/operator.service.js';
import type { Logger } from '../../logger.js';
import { SESSION_COOKIE, setCookie } from '../console-cookies.js';
import { field, send, sessionOf } from '../form.js';
import { LOGGED_OUT_PAGE } from '../login-routes.js';
import { SESSIONS_PAGE, sessionsPage } from '../pages/sessions.js';
import { redirectSaved, savedOutcome } from '../saved-notice.js';

/**
 * GET /sessions, the operator's own sessions, and POST /sessions/end, ending one of them, on
 * `router` behind the session gate and its CSRF check: an operator lists and ends only its
 * own, whatever id a form carries.
 */
export function sessionRoutes(router: Router, operators: OperatorService, logger: Logger): void {
  router.get('/sessions', async (req, res) => {
    const session = sessionOf(res);
    const sessions = await operators.sessionsOf(session.operator, res.locals.sessionToken);
    const ended = savedOutcome(req, ['ended']) === 'ended';
    send(res, 200, sessionsPage({ session, sessions, ended }));
  });

  router.post('/sessions/end', async (req, res) => {
    const session = sessionOf(res);
    const token = res.locals.sessionToken as string;
    const id = field(req.body, 'session');
    const sessions = await operators.sessionsOf(session.operator, token);
    if (sessions.some((s) => s.current && s.id === id)) {
      // This browser's own session: a Log out.
      await operators.logOut(token);
      setCookie(req, res, SESSION_COOKIE, '', 0);
      res.redirect(303, LOGGED_OUT_PAGE);
      return;
    }
    if (!(await operators.endSession(session.operator, id))) {
      const error = 'You have no such session (it may have ended already): nothing was ended.';
      send(res, 404, sessionsPage({ session, sessions, error }));
      return;
    }
    logger.info({ operator: session.operator, client: req.ip }, 'admin session ended');
    redirectSaved(req, res, `${SESSIONS_PAGE}?saved=ended`);
  });
}
