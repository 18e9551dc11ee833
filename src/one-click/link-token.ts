/**
 * Unsubscribe-link tokens: the address sealed with AES-256-GCM under a key derived by
 * HMAC-SHA256 from a named secret, so a link says nothing in clear and cannot be forged or
 * altered. Any sender can compute one (docs/one-click.md gives the recipe and a Python
 * version); this module is the reference and the small library senders in Node.js may use.
 *
 *   token = "1" "." keyId "." base64url( nonce(12) || ciphertext || tag(16) )
 *   key   = HMAC-SHA256(secret, "durable-unsubscribe/link/v1")
 *   plain = issuedAt (unix seconds, decimal) "\n" list (may be empty) "\n" address
 *   AAD   = "1." keyId
 */
import { isUtf8 } from 'node:buffer';
import crypto from 'node:crypto';
import { ConfigError, type Config } from '../config.js';
import { canonicalBase64url, withoutPadding } from './token-body.js';
import { linkBaseUrl } from './link-base-url.js';
import { LinkKeyError } from './link-key-error.js';

export const TOKEN_VERSION = '1';
const KEY_LABEL = 'durable-unsubscribe/link/v1';
const UNDO_LABEL = 'durable-unsubscribe/undo/v1';
const FINGERPRINT_LABEL = 'durable-unsubscribe/link-key-fingerprint/v1';
const NONCE_BYTES = 12;
/** An undo code: the first 32 characters of an HMAC in base64url. */
const UNDO_CODE = /^[A-Za-z0-9_-]{32}$/;
const TAG_BYTES = 16;
/** The longest key id, list name, issuedAt and address (UTF-16 code units, as validated). */
const MAX_KEY_ID = 16;
const MAX_LIST = 64;
const MAX_ISSUED_AT_DIGITS = 12;
/**
 * An issuedAt as verify reads it from a sender's token (docs/one-click.md): up to 13 digits
 * (milliseconds, as Date.now() gives the time), then a fraction of up to 9 (Python's
 * time.time()), dropped; its longest spelling.
 */
const ISSUED_AT_READ = String.raw`(\d{1,13})(?:\.\d{1,9})?`;
const MAX_ISSUED_AT_READ = 13 + 1 + 9;
const MAX_ADDRESS_UNITS = 254;
/**
 * The longest list name a sender's own pipeline may seal, in bytes of UTF-8: MAX_LIST
 * characters of any script, four bytes each at most. This module seals only names of the
 * documented shape (ASCII); a sender's recipe takes any text, and a name of another script
 * must still fit beside the longest address (it was counted as MAX_LIST bytes: such a link
 * was refused as malformed, its opt-out lost).
 */
export const MAX_LIST_BYTES = MAX_LIST * 4;
/**
 * The longest plaintext a token may seal: an issuedAt as verify reads it (longer than this
 * module writes), a list name of MAX_LIST_BYTES, and an address of MAX_ADDRESS_UNITS code
 * units, which takes up to three times as many bytes of UTF-8 (a character outside the BMP,
 * two units, takes four), then the CRLF of the list a sender read it from (trimmed when read).
 */
const MAX_PLAIN_BYTES = MAX_ISSUED_AT_READ + 1 + MAX_LIST_BYTES + 1 + MAX_ADDRESS_UNITS * 3 + 2;
/**
 * The longest token of any address a person may hold, of any script, dated in any way verify
 * reads, with a list name of any script: one longer is refused before any decoding. (It was
 * 600, enough for an ASCII address only: a link for a long address in another script, made by
 * this very module, was refused as malformed; then 1,177, which a sender's token of such an
 * address dated in milliseconds or with a fraction passed, and was refused so; then 1,194,
 * which a sender's list name in another script passed.)
 */
export const MAX_TOKEN_LENGTH =
  `${TOKEN_VERSION}.`.length +
  MAX_KEY_ID +
  1 +
  Math.ceil(((NONCE_BYTES + MAX_PLAIN_BYTES + TAG_BYTES) * 4) / 3);
const KEY_ID = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_KEY_ID}}$`);
const LIST = new RegExp(`^[A-Za-z0-9._-]{0,${MAX_LIST}}$`);
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The most "=" a base64url body may end with when padded (withoutPadding). */
const MAX_PADDING = 2;
/** White space a folded header line leaves within a token, and the most characters of it. */
const FOLD = /[ \t\r\n]/g;
const MAX_FOLDS = 8;
/** An address as a token holds it: one line of 3 to MAX_ADDRESS_UNITS code units. */
const ADDRESS = new RegExp(`^[^\\n]{3,${MAX_ADDRESS_UNITS}}$`);
/**
 * A token and what a mail client may have linked with it from a plain-text footer ("visit
 * <url>."): one to three characters outside the body's alphabet (a full stop, a comma, a
 * closing bracket or quote); or a link tracker's parameters appended with `&` to a URL it took
 * for one with a query already (`…&utm_source=news`), up to MAX_APPENDED characters.
 */
const TRAILING_PUNCTUATION = new RegExp(
  `^(${TOKEN_VERSION}\\.[A-Za-z0-9_-]{1,${MAX_KEY_ID}}\\.[A-Za-z0-9_-]+)(?:[^A-Za-z0-9_-]{1,3}|&[\\s\\S]*)$`,
);
/** The most characters of parameters appended after a token with `&` that are looked past. */
const MAX_APPENDED = 1024;
/** A plaintext as verify reads it: issuedAt, list and address, one line each (the last may break). */
const PLAIN = new RegExp(String.raw`^${ISSUED_AT_READ}\n([^\n]*)\n([\s\S]*)$`);
/**
 * Whether the address of a plaintext (its bytes after the second line end) is UTF-8, as the
 * recipe seals it. Bytes of another encoding (a pipeline's Latin-1 `café@`) read with
 * replacement characters named an address nobody holds: it was unsubscribed, and answered so,
 * while the person's own stayed subscribed. The list may be of any bytes: it is not recorded.
 */
function addressIsUtf8(plain: Buffer): boolean {
  const afterList = plain.indexOf(0x0a, plain.indexOf(0x0a) + 1) + 1;
  return isUtf8(plain.subarray(afterList));
}
/** A link issued this far in the future (clock skew) is still taken; further is refused. */
const FUTURE_SLACK_SECONDS = 86400;

export interface LinkKey {
  id: string;
  secret: string;
}

/** The current key (new links) and the retired ones (old links keep working). */
export interface LinkKeyRing {
  current: LinkKey;
  retired: readonly LinkKey[];
}

interface DerivedKey {
  id: string;
  aesKey: Buffer;
  undoKey: Buffer;
  /** The AAD of this key's tokens, "1." keyId, made once. */
  aad: Buffer;
}

export type RefusalReason = 'malformed' | 'unknown_key' | 'bad_signature' | 'expired';

export interface LinkContent {
  email: string;
  /** Optional list or topic the sender named; recorded with the change. */
  list: string | null;
  issuedAt: number;
  keyId: string;
  /** A short digest of the token: names this link in the history and logs, reveals nothing. */
  linkId: string;
}

export type VerifyResult = { ok: true; link: LinkContent } | { ok: false; reason: RefusalReason };

export { LinkKeyError };

function derive(key: LinkKey): DerivedKey {
  if (!KEY_ID.test(key.id)) throw new LinkKeyError('A link key id is 1 to 16 of A-Z a-z 0-9 _ -');
  // Trimmed, as the settings are read: a sender given the value with its line end (a secret
  // store's file) sealed links under another key, each refused (403), its opt-out lost.
  const secret = key.secret.trim();
  if (secret.length < 32) throw new LinkKeyError('A link secret has 32 or more characters');
  const hmac = (label: string) => crypto.createHmac('sha256', secret).update(label).digest();
  return {
    id: key.id,
    aesKey: hmac(KEY_LABEL),
    undoKey: hmac(UNDO_LABEL),
    aad: Buffer.from(`${TOKEN_VERSION}.${key.id}`, 'ascii'),
  };
}

/** Whether a token may name `list` (the sender's list or topic). */
export function isListName(list: string): boolean {
  return LIST.test(list);
}

function checkList(list: string | null | undefined): string {
  const value = list ?? '';
  if (!LIST.test(value)) throw new LinkKeyError('A list name is 0 to 64 of A-Z a-z 0-9 . _ -');
  return value;
}

/**
 * Seals and opens link tokens with a key ring. Keys are derived once; verifying costs one
 * AES-GCM decryption of at most 1,074 bytes, with no allocation before the format is checked.
 */
export class LinkTokens {
  private readonly current: DerivedKey;
  private readonly byId = new Map<string, DerivedKey>();
  /** The keys undo proofs are checked with: the current one first, then the retired ones. */
  private readonly undoKeys: Buffer[] = [];

  constructor(
    ring: LinkKeyRing,
    private readonly maxAgeSeconds: number,
  ) {
    this.current = derive(ring.current);
    this.byId.set(this.current.id, this.current);
    for (const key of ring.retired) {
      if (this.byId.has(key.id)) throw new LinkKeyError(`Link key id "${key.id}" appears twice`);
      this.byId.set(key.id, derive(key));
    }
    for (const key of this.byId.values()) this.undoKeys.push(key.undoKey);
  }

  /**
   * A token for `email`, under the current key. `nonce` is for reference tests only. Made with
   * a random nonce, it ends with a letter or a digit (the nonce drawn again otherwise, one time
   * in 32 when the sealed bytes are a multiple of three): Markdown-style autolinkers leave a
   * trailing `_` or `-` out of a link, as punctuation.
   *
   * The address is trimmed, as every path of the service trims it (an address read from a
   * file's line keeps its line end), and one no request could open (longer than an address
   * may be, or of two lines) is refused here: made, its link failed only when used, and the
   * opt-out it was sent for was lost.
   */
  create(email: string, options: { list?: string | null; issuedAt?: number; nonce?: Buffer } = {}) {
    const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
    // Date.now() (milliseconds) or a fraction made a link refused when used.
    if (!Number.isSafeInteger(issuedAt) || issuedAt < 0 || issuedAt >= 10 ** MAX_ISSUED_AT_DIGITS)
      throw new LinkKeyError('issuedAt is a whole number of Unix seconds');
    if (options.nonce && options.nonce.length !== NONCE_BYTES)
      throw new LinkKeyError('A nonce is 12 bytes');
    const address = email.trim();
    // Half a surrogate pair is sealed as U+FFFD: the link would name another address.
    if (!ADDRESS.test(address) || /\p{Cs}/u.test(address))
      throw new LinkKeyError(
        `An address in a link is 3 to ${MAX_ADDRESS_UNITS} characters on one line`,
      );
    const plain = Buffer.from(`${issuedAt}\n${checkList(options.list)}\n${address}`, 'utf8');
    for (;;) {
      const token = this.seal(plain, options.nonce ?? crypto.randomBytes(NONCE_BYTES));
      if (options.nonce || !/[-_]$/.test(token)) return token;
    }
  }

  private seal(plain: Buffer, nonce: Buffer): string {
    const cipher = crypto.createCipheriv('aes-256-gcm', this.current.aesKey, nonce);
    cipher.setAAD(this.current.aad);
    const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final()]);
    return `${TOKEN_VERSION}.${this.current.id}.${Buffer.concat([sealed, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** Opens a token from a URL; never throws. */
  verify(token: string, nowMs = Date.now()): VerifyResult {
    if (token.length > MAX_TOKEN_LENGTH + MAX_PADDING + MAX_FOLDS)
      return { ok: false, reason: 'malformed' };
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0) return { ok: false, reason: 'malformed' };
    const version = token.slice(0, first);
    const keyId = token.slice(first + 1, second);
    // A long link's List-Unsubscribe line is folded within the token (listUnsubscribeHeaders):
    // a mail client that unfolds it as any header keeps the space RFC 2369 has ignored.
    const body = withoutPadding(token.slice(second + 1).replace(FOLD, ''));
    if (second + 1 + body.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
    if (version !== TOKEN_VERSION || !KEY_ID.test(keyId) || !BASE64URL.test(body))
      return { ok: false, reason: 'malformed' };
    const key = this.byId.get(keyId);
    if (!key) return { ok: false, reason: 'unknown_key' };
    // Only the canonical spelling (with or without its padding): two strings of characters
    // must never open as the same link. Unpadded base64url is canonical when no character is
    // left over (length % 4 == 1) and the last character's bits beyond the bytes are zero, as
    // encoding the bytes again would give.
    if (!canonicalBase64url(body)) return { ok: false, reason: 'malformed' };
    const bytes = Buffer.from(body, 'base64url');
    if (bytes.length < NONCE_BYTES + TAG_BYTES + 5) return { ok: false, reason: 'malformed' };
    let opened: Buffer;
    try {
      const decipher = crypto.createDecipheriv(
        'aes-256-gcm',
        key.aesKey,
        bytes.subarray(0, NONCE_BYTES),
      );
      decipher.setAAD(key.aad);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      opened = decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES));
      // GCM's final() yields no bytes; it checks the tag (throws when forged or altered).
      decipher.final();
    } catch {
      return { ok: false, reason: 'bad_signature' };
    }
    // Authentic from here on: a malformed content is a sender's bug, not an attack. White space
    // around the address (a list's line end) loses nothing: every path trims an address.
    const match = PLAIN.exec(opened.toString('utf8'));
    const email = match?.[3]?.trim() ?? '';
    if (!match || !ADDRESS.test(email) || !addressIsUtf8(opened))
      return { ok: false, reason: 'malformed' };
    // Thirteen digits are milliseconds (as many seconds are 30,000 years ahead), and a fraction
    // (Python's time.time()) is dropped: such pipelines' every opt-out was lost.
    const issuedAt = Math.floor(
      Number(match[1]) / (match[1]!.length > MAX_ISSUED_AT_DIGITS ? 1000 : 1),
    );
    const now = Math.floor(nowMs / 1000);
    if (issuedAt > now + FUTURE_SLACK_SECONDS) return { ok: false, reason: 'malformed' };
    if (now - issuedAt > this.maxAgeSeconds) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      link: {
        email,
        // A list of another shape ("Weekly News": the recipe takes any text) is not recorded,
        // nor shown in the history or the logs; the opt-out it was sent for is not lost.
        list: match[2] !== '' && LIST.test(match[2]!) ? match[2]! : null,
        issuedAt,
        keyId,
        linkId: crypto.hash('sha256', bytes, 'hex').slice(0, 16),
      },
    };
  }

  /**
   * The proof, shown only to whoever made an unsubscribe through a link's page, that lets
   * them undo it: bound to the link and to the exact change (its time).
   */
  undoCode(linkId: string, changedAt: number): string {
    return undoCodeWith(this.current.undoKey, linkId, changedAt);
  }

  /**
   * The token of a URL's last segment that is a token followed by trailing punctuation or a
   * tracker's appended parameters (see TRAILING_PUNCTUATION), if it opens as a link; null
   * otherwise. One decryption at most, of a token within the length bound.
   */
  linkedWithPunctuation(segment: string, nowMs = Date.now()): string | null {
    if (segment.length > MAX_TOKEN_LENGTH + MAX_APPENDED) return null;
    const token = TRAILING_PUNCTUATION.exec(segment)?.[1];
    return token && this.verify(token, nowMs).ok ? token : null;
  }

  /** Whether `code` is spelled as undoCode makes them: one of another shape is refused unread. */
  static undoCodeShaped(code: string): boolean {
    return UNDO_CODE.test(code);
  }

  /**
   * Whether `code` is the proof of this link's change at `changedAt`, made with any key of the
   * ring: a proof shown just before a rotation stays good, as the link it was shown for does,
   * while its key is kept among the retired ones (the undo window bounds it anyway).
   */
  checkUndoCode(linkId: string, changedAt: number, code: string): boolean {
    const given = Buffer.from(code);
    let good = false;
    for (const key of this.undoKeys) {
      const expected = Buffer.from(undoCodeWith(key, linkId, changedAt));
      // Every key tried, whichever matches: the time says nothing of which one did.
      if (given.length === expected.length && crypto.timingSafeEqual(given, expected)) good = true;
    }
    return good;
  }
}

function undoCodeWith(undoKey: Buffer, linkId: string, changedAt: number): string {
  const mac = crypto.createHmac('sha256', undoKey).update(`${linkId}\n${changedAt}`);
  return mac.digest('base64url').slice(0, 32);
}

/**
 * What the database remembers of a key that issued links: an HMAC, under the secret (trimmed,
 * as derive reads it), of a fixed label and the key id (a token names its key id, so the same
 * secret under another id opens none of its links). It reveals nothing of the secret nor of
 * the keys derived from it.
 */
export function linkKeyFingerprint(key: LinkKey): string {
  return crypto
    .createHmac('sha256', key.secret.trim())
    .update(`${FINGERPRINT_LABEL}\n${key.id}`)
    .digest('hex');
}

// The header lines of a link, in the library senders import (package.json's ./link).
export { listUnsubscribeHeaders } from './list-headers.js';

/**
 * The library function for senders in Node.js: the link for `email`.
 *
 *   unsubscribeLink('ann@example.com', { baseUrl: 'https://unsub.example.com',
 *     key: { id: 'k1', secret: process.env.UNSUBSCRIBE_LINK_SECRET } })
 */
export function unsubscribeLink(
  email: string,
  options: { baseUrl: string; key: LinkKey; list?: string; issuedAt?: number },
): string {
  // maxAge plays no part in creating a token.
  const tokens = new LinkTokens({ current: options.key, retired: [] }, 0);
  const token = tokens.create(email, { list: options.list, issuedAt: options.issuedAt });
  return `${linkBaseUrl(options.baseUrl)}/u/${token}`;
}

/**
 * The tokens of the configured keys. Without UNSUBSCRIBE_LINK_SECRET, the secret `fallback`
 * gives (the embedded install's own), or null: links are off.
 */
export function linkTokensFromConfig(
  config: Pick<
    Config,
    | 'unsubscribeLinkSecret'
    | 'unsubscribeLinkKeyId'
    | 'unsubscribeLinkOldKeys'
    | 'unsubscribeLinkMaxAgeDays'
  >,
  fallback: () => string | null = () => null,
): LinkTokens | null {
  const secret = config.unsubscribeLinkSecret || fallback();
  if (!secret) return null;
  try {
    return new LinkTokens(
      {
        current: { id: config.unsubscribeLinkKeyId, secret },
        retired: config.unsubscribeLinkOldKeys,
      },
      config.unsubscribeLinkMaxAgeDays * 86400,
    );
  } catch (error) {
    throw new ConfigError(
      `UNSUBSCRIBE_LINK_KEY_ID / UNSUBSCRIBE_LINK_OLD_KEYS: ${(error as Error).message}`,
    );
  }
}
