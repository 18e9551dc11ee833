import type { Request, Response } from 'express';
import { readCookie, SAVED_COOKIE, setCookie } from './console-cookies.js';
import { field } from './form.js';

/** How long after a change its page may still show the notice (a slow redirect, a reload). */
const SAVED_SECONDS = 120;

/**
 * Answers a saved change by sending the browser to `location`, the page whose `saved` query
 * tells the outcome, and remembers in this browser that it was sent there by the change.
 */
export function redirectSaved(req: Request, res: Response, location: string): void {
  setCookie(req, res, SAVED_COOKIE, location, SAVED_SECONDS);
  res.redirect(303, location);
}

/**
 * The page's `saved` outcome (one of `outcomes`) when this browser was sent to this very URL by
 * its own change; null otherwise. The query alone is anyone's to write: a link sent to an
 * operator would have the console confirm a suppression, or a lift, that was never made.
 */
export function savedOutcome<T extends string>(req: Request, outcomes: readonly T[]): T | null {
  const saved = field(req.query, 'saved');
  if (!(outcomes as readonly string[]).includes(saved)) return null;
  return readCookie(req, SAVED_COOKIE) === req.originalUrl ? (saved as T) : null;
}
