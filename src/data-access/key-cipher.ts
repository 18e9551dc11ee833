import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Protects stored SOAP encryption keys. The HMAC check needs the key itself, so it cannot be
 * hashed: it is sealed with AES-256-GCM under a secret kept outside the database.
 */
export interface KeyCipher {
  readonly protects: boolean;
  seal(plain: string): string;
  open(stored: string): string;
}

const PREFIX = 'v1:';

class AesGcmCipher implements KeyCipher {
  readonly protects = true;
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = crypto
      .createHash('sha256')
      .update(`durable-unsubscribe user keys\0${secret}`)
      .digest();
  }

  seal(plain: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored; // written before keys were sealed
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

class PlainCipher implements KeyCipher {
  readonly protects = false;
  seal(plain: string): string {
    return plain;
  }
  open(stored: string): string {
    if (stored.startsWith(PREFIX))
      throw new Error('User keys are sealed but USER_KEY_SECRET is not set');
    return stored;
  }
}

export const SECRET_FILE_NAME = 'user-key.secret';

/**
 * The secret comes from USER_KEY_SECRET; with SQLite and no secret set, one is made once in
 * the data directory (readable by its owner only). PostgreSQL without a secret stores keys
 * unsealed: several instances must share the secret, so only the operator can provide it.
 */
export function keyCipher(options: {
  secret: string;
  dataDir: string;
  embedded: boolean;
}): KeyCipher {
  if (options.secret) return new AesGcmCipher(options.secret);
  if (!options.embedded || options.dataDir === ':memory:') return new PlainCipher();
  return new AesGcmCipher(dataDirSecret(options.dataDir, SECRET_FILE_NAME));
}

/** A random secret kept in a file of the data directory (owner-only), made on first use. */
export function dataDirSecret(dataDir: string, fileName: string): string {
  const file = path.join(dataDir, fileName);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
  return fs.readFileSync(file, 'utf8').trim();
}

export const LINK_SECRET_FILE_NAME = 'unsubscribe-link.secret';

/**
 * The unsubscribe-link secret of an embedded SQLite install without UNSUBSCRIBE_LINK_SECRET:
 * made once in the data directory, shared by the service and the CLI. PostgreSQL (several
 * instances, senders computing links) needs the operator to set one: null.
 */
export function embeddedLinkSecret(config: {
  databaseUrl: string;
  dataDir: string;
}): string | null {
  if (config.databaseUrl !== '' || config.dataDir === ':memory:') return null;
  return dataDirSecret(config.dataDir, LINK_SECRET_FILE_NAME);
}
