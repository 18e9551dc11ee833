import type { Response } from 'express';
import { SAFE_ANSWER_HEADERS } from '../protocol-answers.js';

/**
 * Every answer under /u: never cached, never indexed, no referrer (the URL holds the token),
 * no sniffing, never in a frame (the page's CSP says frame-ancestors 'none', which older
 * browsers ignore; X-Frame-Options is what they read).
 */
export const LINK_HEADERS = SAFE_ANSWER_HEADERS;

const COMMON_PLAIN = { ...LINK_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } as const;

export interface PlainExtra {
  /** Connection: close (a body left unread). */
  close?: boolean;
  /** Retry-After: 60. */
  retryAfter?: boolean;
}

/**
 * The plain-text answer through node alone, byte for byte what the router's headers and
 * Express's res.type('text/plain; charset=utf-8').send(text) give a POST: the same headers in
 * the same order (node adds Date and the keep-alive ones after them, as it does for Express).
 */
export function writePlain(res: Response, status: number, text: string, extra?: PlainExtra) {
  const length = Buffer.byteLength(text);
  const headers: Record<string, string | number> =
    extra?.close || extra?.retryAfter
      ? {
          ...(extra.close ? { Connection: 'close' } : {}),
          ...(extra.retryAfter ? { 'Retry-After': '60' } : {}),
          ...COMMON_PLAIN,
          'Content-Length': length,
        }
      : { ...COMMON_PLAIN, 'Content-Length': length };
  res.writeHead(status, headers).end(text);
}
