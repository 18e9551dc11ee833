import crypto from 'node:crypto';
import { parseDateTime, type DateForm } from '../formats/calendar-dates.js';
import { AppError, ErrorCode } from '../errors.js';
import { FULL_ACCESS, type Permissions } from '../domain/permissions.js';
import type { UserService } from '../domain/user.service.js';

export interface AuthenticationHeader {
  mktowsUserId?: unknown;
  requestSignature?: unknown;
  requestTimestamp?: unknown;
}

export type SignatureFunction = (
  encryptionKey: string,
  timestamp: string,
  userId: string,
) => string;

export interface AuthOptions {
  windowSeconds: number;
  allowAnonymous: boolean;
  now?: () => number;
  /** The contract's signature; replaceable so a test can watch it run. */
  sign?: SignatureFunction;
}

/** Why a header was refused: for the log, never for the caller. */
export type RefusalReason =
  | 'no header'
  /** None within the first HEAD_BYTES of the envelope (a long or malformed start). */
  | 'no header in the head'
  | 'incomplete header'
  | 'unknown user'
  | 'bad signature'
  | 'bad timestamp'
  | 'timestamp out of window';

/** An AuthenticationHeader refused: fault 20014 (or 20016 for the window), with the reason. */
export class AuthenticationRefused extends AppError {
  constructor(
    readonly reason: RefusalReason,
    /** The user id the header gave (bounded), if any. */
    readonly givenUserId: string | undefined,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'AuthenticationRefused';
  }
}

/** The envelope's first `bytes` (its head) hold no AuthenticationHeader and Body start tag. */
export function noHeaderWithin(bytes: number): AuthenticationRefused {
  return new AuthenticationRefused(
    'no header in the head',
    undefined,
    ErrorCode.AUTHENTICATION_FAILED,
    `No AuthenticationHeader read within the first ${bytes / 1024} KiB of the envelope: its Header must end, and its Body start, there`,
  );
}

export interface Authenticated {
  userId: string;
  permissions: Permissions;
}

/** A date-time with seconds; a space for the T, an offset without its colon, none at all (UTC). */
const REQUEST_TIMESTAMP: DateForm = {
  dateOnly: false,
  loose: true,
  secondsOptional: false,
  zoneRequired: false,
};

/**
 * The instant a requestTimestamp names, or undefined when it names none. The contract asks for
 * a W3C date-time with an offset (`2013-06-09T14:04:54-08:00`), but the vendor took what its
 * clients' libraries write, and the signature covers the text as sent whatever its shape:
 * Ruby's Time#to_s (`2015-06-05 14:04:54 +0900`, `… UTC`: embulk-input-marketo), an offset
 * without its colon (SimpleDateFormat's Z), any number of fraction digits (Haskell's %Q), no
 * offset at all (Python's isoformat(), pymarketo-soap: read as UTC, as xs:dateTime values are).
 * Only the window is asked of the instant.
 */
function timestampInstant(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed.length > 64) return undefined;
  const zoned = trimmed.replace(/ (?:UTC|GMT)$/, 'Z').replace(/ ([+-]\d{2}:?\d{2})$/, '$1');
  return parseDateTime(zoned, REQUEST_TIMESTAMP);
}

/** The contract's signature: lowercase hex HMAC-SHA1(key, requestTimestamp + mktowsUserId). */
export function requestSignature(encryptionKey: string, timestamp: string, userId: string): string {
  return crypto
    .createHmac('sha1', encryptionKey)
    .update(timestamp + userId)
    .digest('hex');
}

function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

// Stands in for the key of an unknown user, so that refusing one costs what refusing a known
// user's bad signature costs (same length as the keys `users add` makes).
const DUMMY_KEY = crypto.randomBytes(24).toString('hex').toUpperCase();

const anonymous = (): Authenticated => ({ userId: 'anonymous', permissions: FULL_ACCESS });

/** Whether a header gives any of the three credentials, not blank. */
const givesCredentials = (header: AuthenticationHeader) =>
  [header.mktowsUserId, header.requestSignature, header.requestTimestamp].some(
    (field) => field !== undefined && field !== null && String(field).trim() !== '',
  );

/** Accepted headers remembered at most; past this the oldest is forgotten first. */
export const REMEMBERED_HEADERS = 1024;
/** A header longer than this (padded fields) is checked afresh every time, never remembered. */
const MAX_REMEMBERED_LENGTH = 512;

/**
 * What an accepted header proved, so that the same header text sent again (a client signs once
 * per timestamp and reuses it) is not signed again: the key its signature matched and the
 * instant its timestamp names. Not what it was accepted for: whether that key is still the
 * user's and whether the instant is still in the window are asked again on every call.
 */
interface AcceptedHeader {
  userId: string;
  encryptionKey: string;
  at: number;
}

/** One text for the three fields, unambiguous whatever they hold (each prefixed by its length). */
const headerText = (userId: string, signature: string, timestamp: string) =>
  `${userId.length}:${userId}${signature.length}:${signature}${timestamp}`;

/** Checks an AuthenticationHeader; returns the authenticated user and what it may do. */
export class Authenticator {
  private readonly now: () => number;
  private readonly sign: SignatureFunction;
  // In the order they were first accepted, to forget the oldest first.
  private readonly accepted = new Map<string, AcceptedHeader>();

  constructor(
    private readonly users: UserService,
    private readonly options: AuthOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.sign = options.sign ?? requestSignature;
  }

  get anonymousAllowed(): boolean {
    return this.options.allowAnonymous;
  }

  async authenticate(header: AuthenticationHeader | null | undefined): Promise<Authenticated> {
    if (!header || typeof header !== 'object') {
      if (this.options.allowAnonymous) return anonymous();
      throw this.refused('no header', undefined, 'AuthenticationHeader missing');
    }
    const {
      mktowsUserId: userId,
      requestSignature: signature,
      requestTimestamp: timestamp,
    } = header;
    if (
      typeof userId !== 'string' ||
      typeof signature !== 'string' ||
      typeof timestamp !== 'string'
    ) {
      // Only a header that gives no credential at all is anonymous: one that names a user (or
      // signs for one) without the rest was taken as none, with full access, whoever it named.
      if (this.options.allowAnonymous && !givesCredentials(header)) return anonymous();
      throw this.refused(
        'incomplete header',
        typeof userId === 'string' ? userId : undefined,
        'AuthenticationHeader needs mktowsUserId, requestSignature and requestTimestamp',
      );
    }
    const text = headerText(userId, signature, timestamp);
    const remembered = this.accepted.get(text);
    if (remembered !== undefined) {
      // The same header, signed with the key the user has now: what it proved still holds.
      // A key rotated or revoked, a user removed, is asked of the users here as on every call.
      const current = await this.users.credentialsOf(remembered.userId);
      if (current !== null && current.encryptionKey === remembered.encryptionKey) {
        this.checkWindow(remembered.at, userId);
        return { userId: remembered.userId, permissions: current.permissions };
      }
      this.accepted.delete(text);
    }
    // An unknown id takes the same steps as a known one (the lookup, an HMAC, the comparison),
    // so that the time of the answer does not tell which ids exist.
    const found = userId.length <= 128 ? await this.users.credentialsOf(userId.trim()) : null;
    const expected = this.sign(found?.encryptionKey ?? DUMMY_KEY, timestamp, userId);
    const matches = sameSignature(expected, signature.length <= 128 ? signature.trim() : '');
    // Both worded as the vendor worded a refused signature: the same to the caller.
    if (found === null) throw this.refused('unknown user', userId, 'Authentication failed');
    if (!matches) throw this.refused('bad signature', userId, 'Authentication failed');
    const at = timestampInstant(timestamp);
    if (at === undefined) {
      throw this.refused(
        'bad timestamp',
        userId,
        'requestTimestamp is not a W3C date-time with an offset',
      );
    }
    this.checkWindow(at, userId);
    const accepted = { userId: userId.trim(), encryptionKey: found.encryptionKey, at };
    if (text.length <= MAX_REMEMBERED_LENGTH) this.remember(text, accepted);
    return { userId: accepted.userId, permissions: found.permissions };
  }

  /** Refuses a request whose timestamp `at` is no longer (or not yet) within the window. */
  private checkWindow(at: number, userId: string): void {
    if (Math.abs(this.now() - at) > this.options.windowSeconds * 1000) {
      throw new AuthenticationRefused(
        'timestamp out of window',
        userId.slice(0, 128),
        ErrorCode.REQUEST_EXPIRED,
        'requestTimestamp outside the accepted window',
      );
    }
  }

  private remember(text: string, accepted: AcceptedHeader): void {
    this.accepted.set(text, accepted);
    if (this.accepted.size > REMEMBERED_HEADERS) {
      const oldest = this.accepted.keys().next().value;
      if (oldest !== undefined) this.accepted.delete(oldest);
    }
  }

  private refused(reason: RefusalReason, userId: string | undefined, message: string) {
    return new AuthenticationRefused(
      reason,
      userId?.slice(0, 128),
      ErrorCode.AUTHENTICATION_FAILED,
      message,
    );
  }
}
