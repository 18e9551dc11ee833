import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';
import { dataDirWriteProblem } from './data-dir-problems.js';
import { keepOwnerOnly, makeDataDir } from './make-dir.js';

/** How a stored key is kept: sealed and bound to its user (v2), sealed the old way (v1), or plain. */
export type SealFormat = 'v2' | 'v1' | 'plain';

/**
 * Protects stored SOAP encryption keys. The HMAC check needs the key itself, so it cannot be
 * hashed: it is sealed with AES-256-GCM under a secret kept outside the database, with the user
 * id as additional data, so that a sealed key copied onto another user's row does not open.
 */
export interface KeyCipher {
  readonly protects: boolean;
  seal(plain: string, userId: string): string;
  /**
   * The key of `userId`, or null when the stored value cannot be trusted: not sealed while
   * sealing is on (a planted row), sealed while no secret is set, or failing its check (another
   * secret, another user's row, tampered).
   */
  open(stored: string, userId: string): string | null;
}

const V1 = 'v1:';
const V2 = 'v2:';

export function sealFormatOf(stored: string): SealFormat {
  if (stored.startsWith(V2)) return 'v2';
  if (stored.startsWith(V1)) return 'v1';
  return 'plain';
}

const boundTo = (userId: string) => Buffer.from(`mktows user\0${userId}`, 'utf8');

class AesGcmCipher implements KeyCipher {
  readonly protects = true;
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = crypto
      .createHash('sha256')
      .update(`durable-unsubscribe user keys\0${secret}`)
      .digest();
  }

  seal(plain: string, userId: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(boundTo(userId));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return V2 + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(stored: string, userId: string): string | null {
    const format = sealFormatOf(stored);
    // An unsealed row is refused: only someone writing to the database could have put it there
    // since sealing is on (rows from before are sealed with "users seal").
    if (format === 'plain') return null;
    try {
      const raw = Buffer.from(stored.slice(3), 'base64');
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      // v1 (before keys were bound to their user) is read once, then sealed again as v2.
      if (format === 'v2') decipher.setAAD(boundTo(userId));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}

/** Development only (ALLOW_UNSEALED_KEYS, or SQLite in memory): keys are stored as they are. */
class PlainCipher implements KeyCipher {
  readonly protects = false;
  seal(plain: string): string {
    return plain;
  }
  open(stored: string): string | null {
    return sealFormatOf(stored) === 'plain' ? stored : null;
  }
}

export const SECRET_FILE_NAME = 'user-key.secret';

/**
 * The secret comes from USER_KEY_SECRET; with SQLite and no secret set, one is made once in
 * the data directory (readable by its owner only). PostgreSQL needs the secret: several
 * instances must share it, so only the operator can provide it.
 */
export function keyCipher(options: {
  secret: string;
  dataDir: string;
  embedded: boolean;
  allowUnsealed?: boolean;
}): KeyCipher {
  if (options.secret) return new AesGcmCipher(options.secret);
  if (!options.embedded) {
    if (options.allowUnsealed) return new PlainCipher();
    // Several instances must share the secret, so it cannot be made here.
    throw new ConfigError(
      'USER_KEY_SECRET is not set: on PostgreSQL stored SOAP user keys must be sealed; set USER_KEY_SECRET (or USER_KEY_SECRET_FILE), the same for every instance (ALLOW_UNSEALED_KEYS=true for development only)',
    );
  }
  if (options.dataDir === ':memory:') return new PlainCipher();
  return new AesGcmCipher(dataDirSecret(options.dataDir, SECRET_FILE_NAME));
}

/**
 * A random secret kept in a file of the data directory (owner-only), made on first use. It is
 * written beside the file and linked into place whole: a write that failed (a full disk) left
 * an empty file, which every later start read as the secret '' (links then silently off, keys
 * sealed under a key anyone can derive). An empty file found is refused, naming it.
 */
function dataDirSecret(dataDir: string, fileName: string): string {
  const file = path.join(dataDir, fileName);
  try {
    if (!fs.existsSync(file)) {
      makeDataDir(dataDir);
      writeOnce(file, crypto.randomBytes(32).toString('base64'));
    }
  } catch (error) {
    throw dataDirWriteProblem(dataDir, error) ?? error;
  }
  return existingDataDirSecret(dataDir, fileName)!;
}

/** The secret kept in `fileName` of the data directory, or null when there is no such file. */
function existingDataDirSecret(dataDir: string, fileName: string): string | null {
  const file = path.join(dataDir, fileName);
  let secret: string;
  try {
    secret = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw dataDirWriteProblem(dataDir, error) ?? error;
  }
  if (secret === '')
    throw new ConfigError(
      `DATA_DIR: ${file} is empty (a write that failed: a full disk?); restore it from a backup of DATA_DIR, or remove it`,
    );
  keepOwnerOnly(file);
  return secret;
}

/** Creates `file` holding `text`, or leaves the one another process made first. */
function writeOnce(file: string, text: string): void {
  const partial = `${file}.partial-${process.pid}`;
  try {
    fs.writeFileSync(partial, text, { mode: 0o600 });
    fs.linkSync(partial, file);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

export const LINK_SECRET_FILE_NAME = 'unsubscribe-link.secret';

/**
 * The file of the unsubscribe-link secret of an embedded SQLite install without
 * UNSUBSCRIBE_LINK_SECRET: made once in the data directory, shared by the service and the CLI.
 * PostgreSQL (several instances, senders computing links) needs the operator to set one: null.
 */
export function embeddedLinkSecretFile(config: { databaseUrl: string; dataDir: string }): {
  file: string;
  read(): string | null;
  make(): string;
} | null {
  if (config.databaseUrl !== '' || config.dataDir === ':memory:') return null;
  return {
    file: path.join(config.dataDir, LINK_SECRET_FILE_NAME),
    read: () => existingDataDirSecret(config.dataDir, LINK_SECRET_FILE_NAME),
    make: () => dataDirSecret(config.dataDir, LINK_SECRET_FILE_NAME),
  };
}
