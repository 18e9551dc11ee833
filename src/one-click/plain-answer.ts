import type { Response } from 'express';
import { SAFE_ANSWER_HEADERS } from '../http/protocol-answers.js';

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
 * The usual answers' header lists (no Connection, no Retry-After) by text, made once each: a
 * POST's answer is one of a few sentences, so its headers go to writeHead as a list already
 * made (no object spread, no Content-Length measured, no keys listed per answer). Bounded: a
 * text beyond the first PLAIN_LISTS_KEPT gets a list of its own each time.
 */
const PLAIN_LISTS_KEPT = 64;
const plainLists = new Map<string, readonly string[]>();
const COMMON_PLAIN_RAW: readonly string[] = Object.entries(COMMON_PLAIN).flat();

function plainList(text: string): readonly string[] {
  let list = plainLists.get(text);
  if (!list) {
    list = [...COMMON_PLAIN_RAW, 'Content-Length', String(Buffer.byteLength(text))];
    if (plainLists.size < PLAIN_LISTS_KEPT) plainLists.set(text, list);
  }
  return list;
}

/**
 * The plain-text answer through node alone, byte for byte what the router's headers and
 * Express's res.type('text/plain; charset=utf-8').send(text) give a POST: the same headers in
 * the same order (node adds Date and the keep-alive ones after them, as it does for Express).
 */
export function writePlain(res: Response, status: number, text: string, extra?: PlainExtra) {
  if (!extra?.close && !extra?.retryAfter) {
    // node reads the list and never changes it (nor keeps it past the call).
    res.writeHead(status, plainList(text) as string[]).end(text);
    return;
  }
  const headers: Record<string, string | number> = {
    ...(extra.close ? { Connection: 'close' } : {}),
    ...(extra.retryAfter ? { 'Retry-After': '60' } : {}),
    ...COMMON_PLAIN,
    'Content-Length': Buffer.byteLength(text),
  };
  res.writeHead(status, headers).end(text);
}
