import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Request } from 'express';
import { loggedText } from '../logger.js';
import type { RefusalReason } from './auth.js';

// Who and what one SOAP call is, as its log line and limits name it.

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The caller's X-Request-Id when it is a sane token, else a fresh one. */
export function requestIdOf(req: Request): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

// An unknown user id shaped like a key: 32 or more letters, digits or base64 signs, without the
// separators user ids carry (du_…, company_…). Integrations swap the two fields by mistake.
const KEY_SHAPED = /^[A-Za-z0-9+/=]{32,}$/;

/** The user id a refused header gave, for the log: never a key pasted into the id field. */
export function loggableUserId(
  given: string | undefined,
  reason: RefusalReason,
): string | undefined {
  if (given === undefined) return undefined;
  // Refused for any other reason, the id is one that exists (once trimmed: what surrounds it
  // is the client's all the same, a line separator say).
  if (reason !== 'unknown user' && reason !== 'incomplete header') return loggedText(given);
  const id = given.trim();
  return KEY_SHAPED.test(id)
    ? `(withheld: ${id.length} characters shaped like a key)`
    : loggedText(given);
}

/** The client's address as Express sees it (through the proxies TRUST_PROXY trusts). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '';
}

/** The SOAPAction header without its quotes, or undefined when empty. */
export function soapActionOf(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers.soapaction;
  const v = Array.isArray(raw) ? raw[0] : raw;
  return v === undefined ? undefined : unquotedAction(v);
}

function unquotedAction(given: string): string | undefined {
  let trimmed = given.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"'))
    trimmed = trimmed.slice(1, -1);
  return trimmed === '' ? undefined : trimmed;
}

/** Where a request names its operation outside the Body, as a refusal names it. */
export type ActionSource = 'SOAPAction' | 'the action of the Content-Type';

/** One name a request gives its operation outside the Body. */
export interface NamedAction {
  action: string;
  source: ActionSource;
}

const SOAP12_TYPE = /^\s*application\/soap\+xml\s*(?:;|$)/i;
// A quoted string (its escapes kept: no operation's name holds one) or a token.
const ACTION_PARAMETER = /;\s*action\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i;

/**
 * The action parameter of an application/soap+xml Content-Type, or undefined: SOAP 1.2's
 * SOAPAction. A SOAP 1.1 envelope sent with that type is read all the same, so it names the
 * operation as a SOAPAction does.
 */
function contentTypeActionOf(headers: IncomingHttpHeaders): string | undefined {
  const type = headers['content-type'];
  if (type === undefined || !SOAP12_TYPE.test(type)) return undefined;
  const m = ACTION_PARAMETER.exec(type);
  return m ? unquotedAction(m[1] ?? m[2]!) : undefined;
}

/**
 * Every name the request gives its operation outside its Body: its SOAPAction header, then the
 * action of an application/soap+xml Content-Type. Each is held to the Body (calledOperation):
 * with the Content-Type's left unread, a request said getLead to whatever reads its headers
 * (a proxy admitting reads only) while its Body synced.
 */
export function namedActionsOf(headers: IncomingHttpHeaders): NamedAction[] {
  const named: NamedAction[] = [];
  const header = soapActionOf(headers);
  if (header !== undefined) named.push({ action: header, source: 'SOAPAction' });
  const typed = contentTypeActionOf(headers);
  if (typed !== undefined) named.push({ action: typed, source: 'the action of the Content-Type' });
  return named;
}
