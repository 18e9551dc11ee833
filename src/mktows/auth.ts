import crypto from 'node:crypto';
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

export interface Authenticated {
  userId: string;
  permissions: Permissions;
}

// W3C date-time with a numeric offset (or Z), as the contract's clients send it.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

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

/** Checks an AuthenticationHeader; returns the authenticated user and what it may do. */
export class Authenticator {
  private readonly now: () => number;
  private readonly sign: SignatureFunction;

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
      if (this.options.allowAnonymous) return anonymous();
      throw this.refused(
        'incomplete header',
        typeof userId === 'string' ? userId : undefined,
        'AuthenticationHeader needs mktowsUserId, requestSignature and requestTimestamp',
      );
    }
    // An unknown id takes the same steps as a known one (the lookup, an HMAC, the comparison),
    // so that the time of the answer does not tell which ids exist.
    const found = userId.length <= 128 ? await this.users.credentialsOf(userId.trim()) : null;
    const expected = this.sign(found?.encryptionKey ?? DUMMY_KEY, timestamp, userId);
    const matches = sameSignature(expected, signature.length <= 128 ? signature.trim() : '');
    if (found === null) throw this.refused('unknown user', userId, 'Bad user or signature');
    if (!matches) throw this.refused('bad signature', userId, 'Bad user or signature');
    const trimmed = timestamp.trim();
    const at = TIMESTAMP.test(trimmed) ? Date.parse(trimmed) : NaN;
    if (Number.isNaN(at)) {
      throw this.refused(
        'bad timestamp',
        userId,
        'requestTimestamp is not a W3C date-time with an offset',
      );
    }
    if (Math.abs(this.now() - at) > this.options.windowSeconds * 1000) {
      throw new AuthenticationRefused(
        'timestamp out of window',
        userId.slice(0, 128),
        ErrorCode.REQUEST_EXPIRED,
        'requestTimestamp outside the accepted window',
      );
    }
    return { userId: userId.trim(), permissions: found.permissions };
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
