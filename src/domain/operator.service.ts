import crypto from 'node:crypto';
import { AppError, ErrorCode } from '../errors.js';
import type { OperatorSessionStore, OperatorStore } from './ports.js';
import {
  keptClient,
  SESSION_ID,
  sessionId,
  sessionSummary,
  type LoginClient,
  type OperatorSessionSummary,
} from './session-clients.js';

/** An operator configured in ADMIN_USERS. */
export interface OperatorCredential {
  name: string;
  password: string;
}

export interface OperatorSummary {
  name: string;
  origin: 'database' | 'environment';
  createdAt: Date | null;
}

/** A live login: who, the token every form must carry back, and when it ends. */
export interface OperatorSession {
  operator: string;
  csrfToken: string;
  expiresAt: Date;
}

export interface NewOperatorSession extends OperatorSession {
  /** The secret the browser holds (in a cookie); only its hash is stored. */
  token: string;
  /** The operator's oldest sessions this login ended, past sessionsPerOperator. */
  endedOldest: number;
}

export interface OperatorServiceOptions {
  sessionHours: number;
  /** Minutes without a request after which a session ends (ADMIN_SESSION_IDLE_MINUTES); 30. */
  idleMinutes?: number;
  /**
   * Live sessions one operator may hold (ADMIN_SESSIONS_PER_OPERATOR); a login past them ends
   * the oldest. 5 if absent.
   */
  sessionsPerOperator?: number;
  now?: () => number;
}

/** The coarsest step of a session's recorded last use: one write a minute at most. */
const LAST_SEEN_STEP_MS = 60_000;

export const OPERATOR_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;
export const OPERATOR_NAME_RULE = 'Operator name: 1-64 of A-Z a-z 0-9 _ . @ -';
export const MIN_PASSWORD_LENGTH = 12;
// scrypt's cost does not grow with the input, but there is no reason to accept megabytes.
const MAX_PASSWORD_LENGTH = 1024;
/** C0 and C1 control characters and DEL (Unicode's Cc). */
const CONTROL = /\p{Cc}/u;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

// N=2^14, r=8: about 16 MiB and tens of milliseconds per guess, OWASP's floor for scrypt.
const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32, maxmem: 64 * 1024 * 1024 };

function scrypt(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number; keyLength: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(
      password.normalize('NFC'),
      salt,
      params.keyLength,
      { N: params.N, r: params.r, p: params.p, maxmem: SCRYPT.maxmem },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64): the parameters travel with the hash. */
export async function hashPassword(
  password: string,
  salt: Buffer = crypto.randomBytes(16),
): Promise<string> {
  const key = await scrypt(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')]
    .map(String)
    .join('$');
}

/** Constant-time check of a password against a stored hash; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const params = { N: Number(n), r: Number(r), p: Number(p), keyLength: expected.length };
  if (expected.length < 16 || ![params.N, params.r, params.p].every(Number.isSafeInteger))
    return false;
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), params);
  return crypto.timingSafeEqual(actual, expected);
}

/** Refuses a password no operator may be given: too short, too long, or one nobody can type. */
function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError(
      ErrorCode.BAD_PARAMETER,
      `Password: ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
    );
  }
  // Nobody types one at the login page: a password holding one (piped from a file, given
  // as an argument) would be stored as a password nobody can log in with.
  if (CONTROL.test(password)) {
    throw new AppError(
      ErrorCode.BAD_PARAMETER,
      'Password: holds a control character (a tab, a line break, NUL, an escape…), which the login page cannot take',
    );
  }
}

const sha256 = (value: string): string => crypto.createHash('sha256').update(value).digest('hex');

/**
 * The salt of an ADMIN_USERS password's hash: the same on every instance for one name, so
 * that every instance derives the same credential tag from the same password.
 */
const configuredSalt = (name: string): Buffer =>
  crypto.createHash('sha256').update(`admin user\u0000${name}`).digest().subarray(0, 16);

/**
 * What a session of an ADMIN_USERS operator records of the password it was opened with: a
 * digest of the password's scrypt hash (which a copy of the table cannot log in with). When
 * the password in ADMIN_USERS changes, the tag changes and the older sessions end.
 */
const credentialTag = (hash: string): string => sha256(hash).slice(0, 32);
const randomToken = (): string => crypto.randomBytes(32).toString('base64url');

interface PreparedHashes {
  dummy: string;
  /** Each ADMIN_USERS name's password hash. */
  configured: Map<string, string>;
  /** Each ADMIN_USERS name's credential tag, kept with its sessions. */
  tags: Map<string, string>;
}

/**
 * Operators of the /admin pages (stored ones plus those in ADMIN_USERS) and their sessions.
 * Sessions are rows in the database, so every instance sharing it knows every login.
 */
export class OperatorService {
  private readonly configured: Map<string, string>;
  /** Hashes of a dummy and of the configured passwords, so that every check costs one scrypt. */
  private prepared: Promise<PreparedHashes> | null = null;
  private readonly sessionMs: number;
  private readonly idleMs: number;
  private readonly sessionsPerOperator: number;
  /** How stale the recorded last use may grow before a request records it anew. */
  private readonly seenStepMs: number;
  private readonly now: () => number;

  constructor(
    private readonly operators: OperatorStore,
    private readonly sessions: OperatorSessionStore,
    configured: readonly OperatorCredential[],
    options: OperatorServiceOptions,
  ) {
    this.configured = new Map(configured.map((o) => [o.name, o.password]));
    this.sessionMs = options.sessionHours * 3600 * 1000;
    this.idleMs = (options.idleMinutes ?? 30) * 60 * 1000;
    this.sessionsPerOperator = options.sessionsPerOperator ?? 5;
    // A tenth of the idle time under ten minutes: a session in use never looks idle for want
    // of a write skipped (the recorded use lags the last one by a step at most).
    this.seenStepMs = Math.min(LAST_SEEN_STEP_MS, this.idleMs / 10);
    this.now = options.now ?? Date.now;
  }

  async add(name: string, password: string): Promise<void> {
    if (!OPERATOR_NAME.test(name)) throw new AppError(ErrorCode.BAD_PARAMETER, OPERATOR_NAME_RULE);
    checkNewPassword(password);
    if (this.configured.has(name) || (await this.operators.find(name))) {
      throw new AppError(ErrorCode.BAD_PARAMETER, `Operator ${name} already exists`);
    }
    const passwordHash = await hashPassword(password);
    await this.operators.insert({ name, passwordHash, createdAt: this.now() });
  }

  /**
   * Gives a stored operator a new password and ends every session it had (one opened with the
   * old password, a thief's too); how many ended, null when no such operator is stored.
   */
  async changePassword(name: string, password: string): Promise<number | null> {
    checkNewPassword(password);
    return this.operators.replacePassword(name, await hashPassword(password));
  }

  async list(): Promise<OperatorSummary[]> {
    const fromEnv = [...this.configured.keys()].map((name) => ({
      name,
      origin: 'environment' as const,
      createdAt: null,
    }));
    const stored = (await this.operators.list()).map((o) => ({
      name: o.name,
      origin: 'database' as const,
      createdAt: new Date(o.createdAt),
    }));
    return [...fromEnv, ...stored];
  }

  /** Removes a stored operator and ends its sessions at once. */
  remove(name: string): Promise<boolean> {
    return this.operators.remove(name);
  }

  /** The operator's name if the password is right, else null; unknown names cost the same. */
  async authenticate(name: string, password: string): Promise<string | null> {
    return (await this.check(name, password))?.name ?? null;
  }

  /** The operator and the password hash its password matched; null when wrong. */
  private async check(
    name: string,
    password: string,
  ): Promise<{ name: string; hash: string } | null> {
    // Every hash a check may compare with is made at the first check, whatever name it is
    // for: made at a name's first check, it cost that check a second scrypt, which told an
    // ADMIN_USERS name from an unknown one (once per name and process).
    const hashes = await this.hashes();
    const valid = password.length <= MAX_PASSWORD_LENGTH && OPERATOR_NAME.test(name);
    // The stored operators are asked for every name, configured ones too: skipping the
    // lookup for them told them apart by its time.
    const stored = valid ? await this.operators.find(name) : null;
    const hash = valid ? (hashes.configured.get(name) ?? stored?.passwordHash ?? '') : '';
    const matches = await verifyPassword(
      password.slice(0, MAX_PASSWORD_LENGTH),
      hash !== '' ? hash : hashes.dummy,
    );
    return hash !== '' && matches ? { name, hash } : null;
  }

  /**
   * Checks the password and opens a new session, keeping where it came from (`client`); null
   * when the name or password is wrong.
   */
  async logIn(
    name: string,
    password: string,
    client?: LoginClient,
  ): Promise<NewOperatorSession | null> {
    const checked = await this.check(name, password);
    if (checked === null) return null;
    const operator = checked.name;
    const now = this.now();
    const token = randomToken();
    const session = {
      operatorName: operator,
      csrfToken: randomToken(),
      createdAt: now,
      expiresAt: now + this.sessionMs,
      // The hash the password was checked against, stored operators' too: an operator removed
      // and added again while this login was being checked has another hash (its own salt), so
      // the session opened with the old password opens nothing (session()).
      credentialTag: credentialTag(checked.hash),
      lastSeenAt: now,
      ...keptClient(client),
    };
    const tokenHash = sha256(token);
    await this.sessions.removeExpired(now, now - this.idleMs);
    await this.sessions.insert({ tokenHash, ...session });
    // A stolen password opens no endless sessions beside the operator's own: past the cap the
    // earliest logins end (after the insert, so that logins at once on several instances all
    // count each other).
    const endedOldest = await this.sessions.removeOldest(
      operator,
      tokenHash,
      this.sessionsPerOperator - 1,
    );
    return {
      token,
      endedOldest,
      operator,
      csrfToken: session.csrfToken,
      expiresAt: new Date(session.expiresAt),
    };
  }

  /** The live session of a cookie's token, or null (unknown, expired, or operator gone). */
  async session(token: string): Promise<OperatorSession | null> {
    if (!TOKEN.test(token)) return null;
    const now = this.now();
    const tokenHash = sha256(token);
    const found = await this.sessions.findLive(tokenHash, now, now - this.idleMs);
    if (!found) return null;
    // An ADMIN_USERS operator's session lasts while its password stays the one it was opened
    // with (changing the pair and restarting is how such a password is rotated); a stored
    // operator's, while the operator is stored (removing it also deletes its sessions).
    const tag = this.configured.has(found.operatorName)
      ? (await this.hashes()).tags.get(found.operatorName)
      : null;
    if (tag !== undefined && tag !== null) {
      if (found.credentialTag !== tag) return null;
    } else {
      // The stored operator, as it was when the session was opened: not one removed and added
      // again since (its hash differs). Sessions opened before the tag was kept have none.
      const stored = await this.operators.find(found.operatorName);
      if (stored === null) return null;
      if (
        found.credentialTag !== null &&
        found.credentialTag !== credentialTag(stored.passwordHash)
      )
        return null;
    }
    // Used now: recorded once a step (a minute), not at every request.
    if (now - found.lastSeenAt >= this.seenStepMs) await this.sessions.touch(tokenHash, now);
    return {
      operator: found.operatorName,
      csrfToken: found.csrfToken,
      expiresAt: new Date(found.expiresAt),
    };
  }

  async logOut(token: string): Promise<void> {
    if (TOKEN.test(token)) await this.sessions.remove(sha256(token));
  }

  /** Ends the operator's other sessions (a lost laptop), keeping the one of `token`. */
  async logOutOthers(operator: string, token: string): Promise<number> {
    return this.sessions.removeForOperator(operator, sha256(token));
  }

  /** The operator's live sessions, the latest login first; `token`'s is marked current. */
  async sessionsOf(operator: string, token?: string): Promise<OperatorSessionSummary[]> {
    const now = this.now();
    const current = token !== undefined && TOKEN.test(token) ? sha256(token) : null;
    const live = await this.sessions.listLive(operator, now, now - this.idleMs);
    return live.map((s) => sessionSummary(s, current));
  }

  /**
   * Ends the operator's live session of `id` (sessionsOf); false when the operator has none
   * of that id (ended already, another operator's, made up).
   */
  async endSession(operator: string, id: string): Promise<boolean> {
    if (!SESSION_ID.test(id)) return false;
    const now = this.now();
    const live = await this.sessions.listLive(operator, now, now - this.idleMs);
    const found = live.find((s) => sessionId(s.tokenHash) === id);
    return found !== undefined && this.sessions.removeOperators(operator, found.tokenHash);
  }

  /** Ends every session of the operator (the CLI's "operators logout"); how many ended. */
  logOutEverywhere(operator: string): Promise<number> {
    return this.sessions.removeForOperator(operator);
  }

  /** Whether `name` is an operator (stored or in ADMIN_USERS). */
  async exists(name: string): Promise<boolean> {
    return this.configured.has(name) || (await this.operators.find(name)) !== null;
  }

  /** A dummy's hash and those of the configured passwords: made once, all at once. */
  private hashes(): Promise<PreparedHashes> {
    this.prepared ??= (async () => {
      const names = [...this.configured.keys()];
      const [dummy, ...made] = await Promise.all([
        hashPassword(randomToken()),
        ...names.map((name) => hashPassword(this.configured.get(name)!, configuredSalt(name))),
      ]);
      return {
        dummy: dummy!,
        configured: new Map(names.map((name, i) => [name, made[i]!])),
        tags: new Map(names.map((name, i) => [name, credentialTag(made[i]!)])),
      };
    })().catch((error: unknown) => {
      this.prepared = null;
      throw error;
    });
    return this.prepared;
  }
}
