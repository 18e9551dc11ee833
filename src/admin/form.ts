import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { OperatorSession } from '../domain/operator.service.js';
import type { CallDeadline } from '../domain/ports.js';
import { STORED_TEXT_CONTROL } from '../domain/stored-text.js';
import { AppError, ErrorCode } from '../errors.js';
import type { PageSession } from './layout.js';

/** One text value of a form or query field; repeated or missing fields give ''. */
export function field(source: unknown, name: string): string {
  const value = (source as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** A text to look up: one holding a control character is answered 400. */
export function lookupField(source: unknown, name: string): string {
  const value = field(source, name);
  if (STORED_TEXT_CONTROL.test(value))
    throw new AppError(ErrorCode.BAD_PARAMETER, 'The text looked up holds a control character');
  return value;
}

export function sessionOf(res: Response): OperatorSession & PageSession {
  return res.locals.session as OperatorSession;
}

export function send(res: Response, status: number, page: string): void {
  res.status(status).type('html').send(page);
}

/** A date field (YYYY-MM-DD, as <input type=date> sends it) as the first or last ms of that day, UTC. */
export function dayBound(text: string, name: string, end: boolean): number | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const at = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== value)
    throw new AppError(ErrorCode.BAD_PARAMETER, `${name}: a date as YYYY-MM-DD`);
  return end ? at + 86400000 - 1 : at;
}

/** The largest id of a table (its column is a 32-bit integer). */
export const MAX_ID = 2147483647;

/** A whole number from a query (a page position, an id), at most `max`; null when absent. */
export function position(text: string, name: string, max = MAX_ID): number | null {
  if (text === '') return null;
  if (!/^\d{1,16}$/.test(text) || Number(text) > max)
    throw new AppError(ErrorCode.BAD_PARAMETER, `${name} must be a number from 0 to ${max}`);
  return Number(text);
}

/** The status select of the filters: '' any, unsubscribed, subscribed. */
export function statusChoice(text: string): boolean | undefined {
  if (text === 'unsubscribed') return true;
  if (text === 'subscribed') return false;
  if (text === '') return undefined;
  throw new AppError(ErrorCode.BAD_PARAMETER, 'status: unsubscribed, subscribed or empty');
}

/** Free text of a filter, bounded; one holding a control character is answered 400, as a lookup is. */
export function filterText(text: string, name: string): string | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  if (value.length > 254)
    throw new AppError(ErrorCode.BAD_PARAMETER, `${name}: at most 254 characters`);
  if (STORED_TEXT_CONTROL.test(value))
    throw new AppError(ErrorCode.BAD_PARAMETER, `${name}: the text holds a control character`);
  return value;
}

/** Constant-time comparison of a form's token with the expected one; '' never matches. */
export function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = crypto.createHash('sha256').update(expected).digest();
  const b = crypto.createHash('sha256').update(given).digest();
  return crypto.timingSafeEqual(a, b) && expected !== '';
}

/** The request's deadline (router.ts): past it, a write not yet committing is not made. */
export function deadlineOf(res: Response): CallDeadline | undefined {
  return res.locals.deadline as CallDeadline | undefined;
}

/**
 * A console path as Express routes it (in any case, with or without one trailing slash), for
 * the checks that single out one route: they answered another spelling of it otherwise.
 */
export function routedPath(req: Request): string {
  const path = req.path.toLowerCase();
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** A path segment a browser removes with the one before it, or alone: `.`, `..`, `%2e%2E`… */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Only our own pages are valid targets after login, so the form cannot redirect elsewhere. A
 * dot segment is refused too: browsers resolve `/admin/..//x` (or `/admin/%2e%2e//x`) to `//x`,
 * a path outside the console that reads as another host's address once written back.
 */
export function safeNext(next: string): string {
  if (!/^\/admin(?:[/?][\x21-\x7e]*)?$/.test(next) || next.includes('\\')) return '/admin/';
  const path = next.split(/[?#]/, 1)[0]!;
  return path.split('/').some((segment) => DOT_SEGMENT.test(segment)) ? '/admin/' : next;
}

/** Pages shown as the answer to a POST (a confirmation, a preview) and the page of their form. */
const POSTED_PAGES: ReadonlyArray<[RegExp, string]> = [
  [/^\/admin\/people\/(\d+)\/unsubscribed$/, '/admin/people/$1'],
  [/^\/admin\/address\/status$/, '/admin/address'],
  [/^\/admin\/bulk\/(?:preview|start)$/, '/admin/bulk'],
  [/^\/admin\/suppressions\/import$/, '/admin/suppressions'],
];

/**
 * The console page a form was posted from, by its Referer (which the console sends to its own
 * origin only), to come back to after logging in again; null when unknown or not one of ours.
 */
export function formPageOf(referer: string | undefined, host: string | undefined): string | null {
  if (!referer || !host) return null;
  let from: URL;
  try {
    from = new URL(referer);
  } catch {
    return null;
  }
  if (from.host !== host) return null;
  const posted = POSTED_PAGES.find(([path]) => path.test(from.pathname));
  const page = posted ? from.pathname.replace(posted[0], posted[1]) : from.pathname + from.search;
  return safeNext(page) === page && !page.startsWith('/admin/login') ? page : null;
}
