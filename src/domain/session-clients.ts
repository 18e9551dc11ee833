import crypto from 'node:crypto';
import type { OperatorSessionRecord } from './records.js';

/** The longest User-Agent a session keeps, in characters (the column's width): the rest is cut. */
export const USER_AGENT_KEPT = 200;
/** The longest client address a session keeps (an IPv6 address with a zone fits). */
const ADDRESS_KEPT = 64;

/** Where a login came from, as the entry point saw it. */
export interface LoginClient {
  /** The client address, TRUST_PROXY applied. */
  address?: string;
  userAgent?: string;
}

/** One of an operator's sessions as it is shown: never its token nor the token's hash. */
export interface OperatorSessionSummary {
  /** Names the session in a form or a command: a digest of the token's hash. */
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  clientAddress: string | null;
  userAgent: string | null;
  /** The session of the token the listing was asked with. */
  current: boolean;
}

/** A session id as sessionId() makes them. */
export const SESSION_ID = /^[0-9a-f]{32}$/;

/**
 * A session's id: a digest of its token's hash, so that a page or a terminal showing it shows
 * neither the token nor the key the token is looked up by.
 */
export const sessionId = (tokenHash: string): string =>
  crypto
    .createHash('sha256')
    .update(`operator session\u0000${tokenHash}`)
    .digest('hex')
    .slice(0, 32);

/** `value` cut to `max` characters (code points; the last one an ellipsis when cut), or null when empty. */
function shortened(value: string | undefined, max: number): string | null {
  if (!value) return null;
  if (value.length <= max) return value;
  // A header is bounded (node's header size): one pass over at most twice the characters kept.
  return Array.from(value.slice(0, max * 2))
    .slice(0, max - 1)
    .join('')
    .concat('…');
}

/** What a new session keeps of its client. */
export function keptClient(client: LoginClient | undefined): {
  clientAddress: string | null;
  userAgent: string | null;
} {
  return {
    clientAddress: shortened(client?.address?.trim(), ADDRESS_KEPT),
    userAgent: shortened(client?.userAgent?.trim(), USER_AGENT_KEPT),
  };
}

export function sessionSummary(
  session: OperatorSessionRecord,
  currentTokenHash: string | null,
): OperatorSessionSummary {
  return {
    id: sessionId(session.tokenHash),
    createdAt: new Date(session.createdAt),
    lastSeenAt: new Date(session.lastSeenAt),
    expiresAt: new Date(session.expiresAt),
    clientAddress: session.clientAddress,
    userAgent: session.userAgent,
    current: session.tokenHash === currentTokenHash,
  };
}
