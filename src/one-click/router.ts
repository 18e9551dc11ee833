/**
 * The unsubscribe-link entry point, mounted at /u:
 *   POST /u/<token>  body List-Unsubscribe=One-Click: RFC 8058 one-click, or the page's button
 *                    (with via=page); body resubscribe=<proof>: the page's "resubscribe",
 *                    with the proof only the page's own unsubscribe was given, within
 *                    UNSUBSCRIBE_UNDO_MINUTES
 *   GET  /u/<token>  the page: which address, a button; never changes anything
 * The page's forms post to their own URL (action ""), so a prefix a proxy adds is kept.
 * The token is checked from the URL before a byte of body is read.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { LinkSubject, LinkUnsubscribeService } from '../domain/link-unsubscribe.service.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { withinDeadline, type RequestDeadlineLimits } from '../http/request-deadline.js';
import { drainThen, readBody, refusedDrainBytes } from '../soap-transport/request-body.js';
import { otherMethodAnswer } from '../http/other-methods.js';
import { LinkBudgets, rateLimited, type LinkBudgetLimits } from './budgets.js';
import {
  FormError,
  formMediaType,
  isOneClickForm,
  parseFormAs,
  type FormFields,
  type FormMediaType,
} from './form-body.js';
import { LinkTokens, type LinkContent } from './link-token.js';
import { chooseLanguage, LANGUAGES, type Language } from './messages.js';
import { maskAddress, pagePolicy, renderPage, type Branding, type PageState } from './page.js';
import { LINK_HEADERS, writePlain, type PlainExtra } from './plain-answer.js';
import { Refusal, refusalOf, refusalText, tokenRefusal } from './refusals.js';

export interface OneClickOptions extends LinkBudgetLimits {
  links: LinkUnsubscribeService;
  /** null: no UNSUBSCRIBE_LINK_SECRET, links are off. */
  tokens: LinkTokens | null;
  undoMinutes: number;
  maxBodyBytes: number;
  /** UNSUBSCRIBE_MAX_FORM_FIELDS: more fields in a POST's body is a 400. */
  maxFormFields: number;
  bodyTimeoutMs: number;
  /** REQUEST_TIMEOUT_MS and COMMIT_GRACE_MS: each request is answered within them. */
  deadline: RequestDeadlineLimits;
  branding: Branding;
  logger: Logger;
  metrics: Metrics;
}

/** Where the router is mounted: a link is `${LINK_PATH}/<token>` (the log leaves the token out). */
export const LINK_PATH = '/u';

/** The methods a link's URL answers (OPTIONS, and the Allow of a 405, say so). */
const LINK_METHODS = 'GET, HEAD, POST, OPTIONS';

/** Links off (no UNSUBSCRIBE_LINK_SECRET): every request for one is answered so. */
const DISABLED = new Refusal(404, 'disabled', { kind: 'invalid' }, true);

function subjectOf(link: LinkContent): LinkSubject {
  return { email: link.email, linkId: link.linkId, list: link.list };
}

/** The /u router, and the parts of it that direct-post.ts runs without Express's dispatch. */
export interface OneClickRoutes {
  router: Router;
  /** POST /u/:token, given `req.params.token`. */
  post: (req: Request, res: Response) => Promise<void>;
  /** What the router answers an error its routes let through. */
  onError: (error: unknown, req: Request, res: Response, next: NextFunction) => void;
}

export function createOneClickRouter(options: OneClickOptions): OneClickRoutes {
  const { tokens, links, logger, metrics } = options;
  const router = express.Router();
  const budgets = new LinkBudgets(options);
  const undoWindowMs = options.undoMinutes * 60000;
  const policy = pagePolicy(options.branding.logoUrl);

  const setLinkHeaders = (res: Response) => {
    res.set(LINK_HEADERS);
  };
  const sendPage = (
    res: Response,
    status: number,
    state: PageState,
    lang: Language,
    address = '',
  ) => {
    setLinkHeaders(res);
    res
      .status(status)
      .set('Content-Security-Policy', policy)
      .type('text/html; charset=utf-8')
      .send(renderPage({ state, lang, branding: options.branding, maskedAddress: address }));
  };
  const sendText = (res: Response, status: number, text: string, extra?: PlainExtra) => {
    // A POST's answer straight through node: the very headers Express would set (a POST is
    // never "fresh", no ETag is made), without its per-call header plumbing.
    if (res.req.method === 'POST') return writePlain(res, status, `${text}\n`, extra);
    if (extra?.close) res.set('Connection', 'close');
    if (extra?.retryAfter) res.set('Retry-After', '60');
    setLinkHeaders(res);
    res.status(status).type('text/plain; charset=utf-8').send(`${text}\n`);
  };
  const wantsPage = (req: Request) => /text\/html/i.test(req.get('accept') ?? '');
  /** The page's language: chosen only when a page is rendered (the plain answer has none). */
  const languageOf = (req: Request, fields?: FormFields): Language =>
    chooseLanguage(queryLang(req) ?? fields?.get('lang'), req.get('accept-language'));
  const accepted = metrics.linkUnsubscribes.labels({ outcome: 'accepted' });
  const unchanged = metrics.linkUnsubscribes.labels({ outcome: 'unchanged' });
  const queryLang = (req: Request) =>
    typeof req.query.lang === 'string' ? req.query.lang : undefined;

  /** The reads' budget, then the token: before the database. */
  const admitRead = (req: Request): LinkContent => {
    if (!tokens) throw DISABLED;
    budgets.read(req.ip);
    const verified = tokens.verify(String(req.params.token));
    if (!verified.ok) throw tokenRefusal(verified.reason);
    return verified.link;
  };

  /**
   * A POST counted in its address's budget, then the token: before any body or database. A
   * refused token from an address past its budget is refused for the budget, as before; an
   * authentic one goes on (`spent`: only an unsubscribe may then be carried out).
   */
  const admitPost = (req: Request): { link: LinkContent; spent: boolean } => {
    if (!tokens) throw DISABLED;
    const spent = !budgets.countPost(req.ip);
    const verified = tokens.verify(String(req.params.token));
    if (!verified.ok) throw spent ? rateLimited(true) : tokenRefusal(verified.reason);
    return { link: verified.link, spent };
  };

  /** The posted form; null for a body of no bytes at all. */
  const readForm = async (req: Request): Promise<FormFields | null> => {
    // An empty coding is none, as the SOAP listeners' and the console's body readers take it.
    const encoding = (req.get('content-encoding') ?? '').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== '')
      throw new Refusal(415, 'unsupported_media', { kind: 'invalid' }, true);
    let media: FormMediaType;
    try {
      // Refused before reading when the media type is wrong.
      media = formMediaType(req.get('content-type'));
    } catch {
      throw new Refusal(415, 'unsupported_media', { kind: 'invalid' }, true);
    }
    let body: Buffer;
    try {
      body = await readBody(req, options.maxBodyBytes, options.bodyTimeoutMs);
    } catch (error) {
      const code = error instanceof AppError ? error.code : ErrorCode.REQUEST_NOT_UNDERSTOOD;
      if (code === ErrorCode.REQUEST_TOO_LARGE)
        throw new Refusal(413, 'too_large', { kind: 'invalid' }, true);
      if (code === ErrorCode.REQUEST_TIMEOUT)
        throw new Refusal(408, 'body_timeout', { kind: 'invalid' }, true);
      throw new Refusal(400, 'bad_body', { kind: 'invalid' }, true);
    }
    if (body.length === 0) return null;
    try {
      return parseFormAs(media, body, options.maxFormFields);
    } catch (error) {
      if (error instanceof FormError) throw new Refusal(400, error.reason, { kind: 'invalid' });
      throw error;
    }
  };

  /** `lang` is called only when the refusal is a page. */
  const refuse = (res: Response, refusal: Refusal, page: boolean, lang: () => Language) => {
    metrics.linkRefusals.inc({ reason: refusal.reason });
    // A POST whose body was left unread: the connection cannot carry another request.
    const close = refusal.closeConnection && res.req.method === 'POST';
    const retryAfter = refusal.status === 429 || refusal.status === 503;
    if (page) {
      if (close) res.set('Connection', 'close');
      if (retryAfter) res.set('Retry-After', '60');
      sendPage(res, refusal.status, refusal.page, lang());
    } else sendText(res, refusal.status, refusalText(refusal), { close, retryAfter });
  };

  /**
   * A GET (or HEAD) of a link a mail client took with a sentence's full stop or a closing
   * bracket: sent on to the link itself, whose page changes nothing either. A POST never is:
   * it is refused, as a provider would not follow a redirect with its POST.
   */
  const sendOnToLink = (req: Request, res: Response): boolean => {
    const token = tokens?.linkedWithPunctuation(String(req.params.token));
    if (!token) return false;
    const asked = queryLang(req)?.trim().toLowerCase();
    const lang = LANGUAGES.find((known) => known === asked);
    setLinkHeaders(res);
    res
      .status(301)
      .set('Location', `./${token}${lang ? `?lang=${lang}` : ''}`)
      .type('text/plain; charset=utf-8')
      .send('Moved Permanently.\n');
    return true;
  };

  router.get('/:token', async (req, res) => {
    const lang = chooseLanguage(queryLang(req), req.get('accept-language'));
    try {
      const link = admitRead(req);
      const state = await withinDeadline(options.deadline, () => links.state(subjectOf(link)));
      sendPage(
        res,
        200,
        { kind: state.unsubscribed ? 'already' : 'confirm' },
        lang,
        maskAddress(link.email),
      );
    } catch (error) {
      const refusal = refusalOf(error, logger);
      if (refusal.reason === 'malformed' && sendOnToLink(req, res)) return;
      refuse(res, refusal, true, () => lang);
    }
  });

  /** The one-click POST (a mailbox provider's, or the page's button with via=page). */
  const unsubscribe = async (
    link: LinkContent,
    page: boolean,
    lang: () => Language,
    res: Response,
  ) => {
    // Answered within the deadline: 503 then, and nothing stored unless already committing.
    const result = await withinDeadline(options.deadline, (deadline) =>
      links.unsubscribe(subjectOf(link), page ? 'page' : 'one-click', deadline),
    );
    (result.changed ? accepted : unchanged).inc();
    if (result.changed) {
      logger.info(
        {
          event: 'link_unsubscribe',
          link: link.linkId,
          keyId: link.keyId,
          list: link.list,
          people: result.people,
          via: page ? 'page' : 'one-click',
        },
        'address unsubscribed through a link',
      );
    }
    if (!page) return sendText(res, 200, 'Unsubscribed.');
    // The proof of this very change, shown to whoever made it and to no one else.
    const undo =
      result.changed && result.undoable !== false && undoWindowMs > 0 && tokens
        ? { code: tokens.undoCode(link.linkId, result.changedAt), minutes: options.undoMinutes }
        : null;
    sendPage(
      res,
      200,
      result.changed ? { kind: 'done', undo } : { kind: 'already' },
      lang(),
      maskAddress(link.email),
    );
  };

  /** The page's "resubscribe": only with the proof of this link's own, latest unsubscribe. */
  const resubscribe = async (link: LinkContent, code: string, lang: Language, res: Response) => {
    if (undoWindowMs === 0) throw new Refusal(403, 'undo_off', { kind: 'undoRefused' });
    // A code no page was ever given costs nothing: not even the read its check needs.
    if (!LinkTokens.undoCodeShaped(code))
      throw new Refusal(403, 'undo_bad_proof', { kind: 'undoRefused' });
    const { outcome, people } = await withinDeadline(options.deadline, (deadline) =>
      links.resubscribe(
        subjectOf(link),
        undoWindowMs,
        (changedAt) => tokens!.checkUndoCode(link.linkId, changedAt, code),
        deadline,
      ),
    ).catch((error: unknown) => {
      // Not made for a passing fault (the database down or busy, the deadline), or still being
      // committed at the deadline (said so of the resubscribe, not of an unsubscribe): the
      // page gives its button again, with the proof the person posted. Going back to the
      // confirmation instead would post the unsubscribe again, which then cannot be undone.
      const refusal = refusalOf(error, logger);
      if (refusal.status !== 503) throw refusal;
      const page: PageState =
        refusal.reason === 'outcome_unknown'
          ? { kind: 'undoUnconfirmed', code }
          : { kind: 'error', undoCode: code };
      throw new Refusal(503, refusal.reason, page);
    });
    if (outcome !== 'resubscribed' && outcome !== 'already_subscribed')
      throw new Refusal(403, `undo_${outcome}`, { kind: 'undoRefused' });
    if (outcome === 'resubscribed') {
      metrics.linkUnsubscribes.inc({ outcome: 'resubscribed' });
      logger.info(
        { event: 'link_resubscribe', link: link.linkId, keyId: link.keyId, people },
        'address resubscribed by its owner on the unsubscribe page',
      );
    }
    sendPage(res, 200, { kind: 'resubscribed' }, lang, maskAddress(link.email));
  };

  const post = async (req: Request, res: Response): Promise<void> => {
    let page = wantsPage(req);
    let fields: FormFields | undefined;
    const lang = () => languageOf(req, fields);
    try {
      const { link, spent } = admitPost(req);
      const form = await readForm(req).catch((error: unknown) => {
        // Past the address's budget, only an unsubscribe is carried out.
        throw spent && error instanceof Refusal ? rateLimited(error.closeConnection) : error;
      });
      fields = form ?? undefined;
      // RFC 8058 has the provider post `List-Unsubscribe=One-Click`, yet some mail clients post
      // nothing at all. Nothing posted still means the person pressed Unsubscribe in their mail
      // client (GETs, what scanners send, never change anything), so it is honoured as the
      // same one-click request; a body that says something else stays refused.
      // An unsubscribe is bounded by the link's budget, never by the address's: a provider's
      // shared address past it still has its recipients' opt-outs recorded. The undo button,
      // or a body that is neither, keeps the address's budget.
      if (form === null) {
        budgets.unsubscribe(link.linkId);
        await unsubscribe(link, false, lang, res);
      } else if (isOneClickForm(form)) {
        page = form.get('via') === 'page';
        budgets.unsubscribe(link.linkId);
        await unsubscribe(link, page, lang, res);
      } else if (form.has('resubscribe')) {
        page = true;
        if (spent) throw rateLimited(false);
        await resubscribe(link, form.get('resubscribe')!, lang(), res);
      } else throw spent ? rateLimited(false) : new Refusal(400, 'bad_body', { kind: 'invalid' });
    } catch (error) {
      refuse(res, refusalOf(error, logger), page, lang);
    }
  };
  router.post('/:token', post);
  // Any other method on a link's URL: OPTIONS is told what it allows, the others are refused
  // 405 with the same list (RFC 9110 §15.5.6), a body they carry discarded up to a bound. The
  // token is not looked at: the answer is the same for every URL of this shape.
  const drainCap = refusedDrainBytes(options.maxBodyBytes);
  router.all('/:token', (req, res) => {
    drainThen(req, drainCap, options.bodyTimeoutMs, () => {
      const close = !req.complete;
      if (!tokens) return sendText(res, 404, refusalText(DISABLED), { close });
      const send = (status: number, headers: Record<string, string>, text: string) => {
        if (close) res.set('Connection', 'close');
        setLinkHeaders(res);
        res.set(headers).status(status).send(text);
      };
      otherMethodAnswer(req.method, LINK_METHODS, send, 'a link');
    });
  });
  // What no route above answered (/u/ or /u/a/b) goes on to the app's 404: a path under /u
  // may hold a token, so it may not be cached, indexed or sent on as a referrer.
  router.use((_req, res, next) => {
    setLinkHeaders(res);
    next();
  });

  // What Express itself refuses within /u (a broken percent-escape in the token…).
  const onError = (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    refuse(res, new Refusal(400, 'malformed', { kind: 'invalid' }), wantsPage(req), () =>
      languageOf(req),
    );
  };
  router.use(onError);

  return { router, post, onError };
}
