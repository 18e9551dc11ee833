import crypto from 'node:crypto';
import { AppError, ErrorCode } from '../errors.js';
import type { UserService } from '../domain/user.service.js';

export interface AuthenticationHeader {
  mktowsUserId?: unknown;
  requestSignature?: unknown;
  requestTimestamp?: unknown;
}

export interface AuthOptions {
  windowSeconds: number;
  allowAnonymous: boolean;
  now?: () => number;
}

// W3C date-time with a numeric offset (or Z), as the contract's clients send it.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

const denied = (why: string) => new AppError(ErrorCode.AUTHENTICATION_FAILED, why);

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

/** Checks an AuthenticationHeader; returns the authenticated user id. */
export class Authenticator {
  private readonly now: () => number;

  constructor(
    private readonly users: UserService,
    private readonly options: AuthOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get anonymousAllowed(): boolean {
    return this.options.allowAnonymous;
  }

  async authenticate(header: AuthenticationHeader | null | undefined): Promise<string> {
    if (!header || typeof header !== 'object') {
      if (this.options.allowAnonymous) return 'anonymous';
      throw denied('AuthenticationHeader missing');
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
      if (this.options.allowAnonymous) return 'anonymous';
      throw denied(
        'AuthenticationHeader needs mktowsUserId, requestSignature and requestTimestamp',
      );
    }
    const key = userId.length <= 128 ? await this.users.encryptionKeyOf(userId.trim()) : null;
    if (key === null || signature.length > 128) throw denied('Bad user or signature');
    if (!sameSignature(requestSignature(key, timestamp, userId), signature.trim())) {
      throw denied('Bad user or signature');
    }
    const at = TIMESTAMP.test(timestamp.trim()) ? Date.parse(timestamp.trim()) : NaN;
    if (Number.isNaN(at)) throw denied('requestTimestamp is not a W3C date-time with an offset');
    if (Math.abs(this.now() - at) > this.options.windowSeconds * 1000) {
      throw new AppError(ErrorCode.REQUEST_EXPIRED, 'requestTimestamp outside the accepted window');
    }
    return userId.trim();
  }
}
