import express, { type Request, type RequestHandler, type Response } from 'express';
import type { OperatorSession } from '../domain/operator.service.js';
import { drainThen } from '../soap-transport/request-body.js';
import { routedPath, send } from './form.js';
import { errorPage } from './pages/error.js';

/** The one form that is not urlencoded: it checks its token itself, before keeping the file. */
export const UPLOAD_PATH = '/suppressions/import';

/** Whether `req` posts the CSV upload (read by its own route, not by the form parser). */
export const isUpload = (req: Request): boolean =>
  routedPath(req) === UPLOAD_PATH && req.is('multipart/form-data') !== false;

const SMALL_FORM = 16 * 1024;
// A pasted list of up to 10,000 ids or addresses.
const BULK_FORM = 1024 * 1024;

export interface FormBodyOptions {
  /** Bytes of a refused body read and discarded at most before the answer closes the connection. */
  refusedDrainBytes?: number;
  /** Longest a form's body may take to arrive, or a refused one to be discarded (BODY_TIMEOUT_MS). */
  bodyTimeoutMs?: number;
}

/** How the console reads the bodies of its forms, and refuses the ones it will not read. */
export interface FormBodies {
  /**
   * The form parser, only for a body of a length declared within its limit: the parser's own
   * refusal of a larger or chunked body reads all of it first, however much a client sends.
   * Browsers declare the length of every form they post.
   */
  forms: RequestHandler;
  /**
   * Answers a request whose body is left unread: discarded up to the drain cap or for
   * BODY_TIMEOUT_MS, then closed.
   */
  refuseUnread(req: Request, res: Response, status: number, page: string): void;
  /** The same discarding of the body, then `answer` (a redirect, say). */
  answerUnread(req: Request, res: Response, answer: () => void): void;
}

const sessionIn = (res: Response) => (res.locals.session as OperatorSession | undefined) ?? null;

export function formBodies(options: FormBodyOptions): FormBodies {
  const drainCap = options.refusedDrainBytes ?? 4 * 1024 * 1024;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 30000;
  const answerUnread = (req: Request, res: Response, answer: () => void) =>
    drainThen(req, drainCap, bodyTimeoutMs, () => {
      if (!req.complete) res.setHeader('Connection', 'close');
      answer();
    });
  const refuseUnread = (req: Request, res: Response, status: number, page: string) =>
    answerUnread(req, res, () => send(res, status, page));
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
        const message = 'The form did not arrive in time.';
        send(res, 408, errorPage({ status: 408, message, session: sessionIn(res) }));
      }, bodyTimeoutMs);
      parse(req, res, (error?: unknown) => {
        clearTimeout(timer);
        if (!late) next(error);
      });
    };
  // inflate: false: browsers never compress a form, and the login form is open to anyone, who
  // could otherwise make the service run gzip, brotli or zstd for it (415 instead).
  const parsers = new Map(
    [SMALL_FORM, BULK_FORM].map((limit) => [
      limit,
      within(express.urlencoded({ extended: false, limit, parameterLimit: 20, inflate: false })),
    ]),
  );
  const forms: RequestHandler = (req, res, next) => {
    const limit = routedPath(req).startsWith('/bulk/') ? BULK_FORM : SMALL_FORM;
    const parse = parsers.get(limit)!;
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
    if (isUpload(req) || !hasBody) return parse(req, res, next);
    const length = Number(req.headers['content-length'] ?? NaN);
    if (Number.isInteger(length) && length <= limit) return parse(req, res, next);
    const session = sessionIn(res);
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
  return { forms, refuseUnread, answerUnread };
}
