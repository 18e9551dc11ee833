import type { Knex } from 'knex';
import { classified } from './classified.js';
import type { Database } from './database.js';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';
import {
  keyCipher,
  SECRET_FILE_NAME,
  sealFormatOf,
  type KeyCipher,
  type SealFormat,
} from './key-cipher.js';
import type { KeyReport, Permissions, UserRecord } from '../domain/records.js';

type Row = Record<string, unknown>;

const toRecord = (r: Row, cipher: KeyCipher): UserRecord => ({
  userId: r.user_id as string,
  encryptionKey: cipher.open(r.encryption_key as string, r.user_id as string),
  description: (r.description as string | null) ?? null,
  createdAt: Number(r.created_at),
  permissions: permissionsOf(r),
});

// Columns of the permissions migration; rows written before it read as full access.
function permissionsOf(r: Row): Permissions {
  const partitions = r.partitions ? (JSON.parse(r.partitions as string) as string[]) : null;
  return {
    readOnly: Boolean(r.read_only),
    mayDelete: r.may_delete === undefined || r.may_delete === null ? true : Boolean(r.may_delete),
    partitions,
  };
}

function permissionColumns(p: Permissions): Row {
  return {
    read_only: p.readOnly,
    may_delete: p.mayDelete,
    partitions: p.partitions === null ? null : JSON.stringify(p.partitions),
  };
}

const STAND_IN_USER = 'stand-in for an unknown user id';

/** SOAP API users (mktowsUserId and encryption key, sealed at rest by the cipher). */
export class UserRepository {
  // A sealed key opened for an id that is not stored, as a stored one is opened: the time of
  // an answer must not tell which user ids exist.
  private standIn: string | undefined;

  constructor(
    private readonly db: Knex,
    private readonly cipher: KeyCipher,
  ) {}

  async find(userId: string): Promise<UserRecord | null> {
    return classified(async () => {
      const row = (await this.db('mktows_users').where('user_id', userId).first()) as
        Row | undefined;
      if (row) return toRecord(row, this.cipher);
      this.standIn ??= this.cipher.seal('0'.repeat(48), STAND_IN_USER);
      this.cipher.open(this.standIn, STAND_IN_USER);
      return null;
    });
  }

  async list(): Promise<UserRecord[]> {
    return ((await this.db('mktows_users').orderBy('user_id')) as Row[]).map((r) =>
      toRecord(r, this.cipher),
    );
  }

  async insert(user: UserRecord & { encryptionKey: string }): Promise<void> {
    await this.db('mktows_users').insert({
      user_id: user.userId,
      encryption_key: this.cipher.seal(user.encryptionKey, user.userId),
      description: user.description,
      created_at: user.createdAt,
      ...permissionColumns(user.permissions),
    });
  }

  /** Counts stored keys by how they are kept. */
  async keyReport(): Promise<KeyReport> {
    const report: KeyReport = { legacy: 0, unsealed: 0, unreadable: 0, total: 0 };
    for (const r of (await this.db('mktows_users').select('user_id', 'encryption_key')) as Row[]) {
      report.total++;
      const stored = r.encryption_key as string;
      const format: SealFormat = sealFormatOf(stored);
      if (format === 'plain' && this.cipher.protects) report.unsealed++;
      else if (this.cipher.open(stored, r.user_id as string) === null) report.unreadable++;
      else if (format === 'v1') report.legacy++;
    }
    return report;
  }

  /**
   * Seals again, bound to their user, the keys sealed the old way (v1); with `unsealed`, also
   * the keys stored in clear (an operator's decision: a planted row would be sealed too).
   * Returns how many rows changed.
   */
  async reseal(options: { unsealed: boolean }): Promise<number> {
    if (!this.cipher.protects) return 0;
    let changed = 0;
    const rows = (await this.db('mktows_users').select('user_id', 'encryption_key')) as Row[];
    for (const r of rows) {
      const userId = r.user_id as string;
      const stored = r.encryption_key as string;
      const format = sealFormatOf(stored);
      let plain: string | null = null;
      if (format === 'v1') plain = this.cipher.open(stored, userId);
      else if (format === 'plain' && options.unsealed) plain = stored;
      if (plain === null) continue;
      // Only the value read is replaced: a concurrent change of the row wins.
      changed += await this.db('mktows_users')
        .where({ user_id: userId, encryption_key: stored })
        .update({ encryption_key: this.cipher.seal(plain, userId) });
    }
    return changed;
  }

  /** Sets a stored user's permissions; false when there is no such user. */
  async updatePermissions(userId: string, permissions: Permissions): Promise<boolean> {
    const n = await this.db('mktows_users')
      .where('user_id', userId)
      .update(permissionColumns(permissions));
    return n > 0;
  }

  async remove(userId: string): Promise<boolean> {
    return (await this.db('mktows_users').where('user_id', userId).delete()) > 0;
  }

  async count(): Promise<number> {
    const [row] = (await this.db('mktows_users').count({ n: '*' })) as Array<{
      n: number | string;
    }>;
    return Number(row?.n ?? 0);
  }
}

/** The user repository of a database, with the cipher its settings call for. */
export function openUserRepository(
  database: Database,
  options: { userKeySecret: string; dataDir: string; allowUnsealedKeys?: boolean },
): UserRepository {
  const cipher = keyCipher({
    secret: options.userKeySecret,
    dataDir: options.dataDir,
    embedded: database.engine === 'sqlite',
    allowUnsealed: options.allowUnsealedKeys,
  });
  return new UserRepository(database.knex, cipher);
}

type SecretOptions = { userKeySecret: string; dataDir: string; userKeySecretFile?: string };

/** Fewest characters of a USER_KEY_SECRET that keys are newly sealed under. */
export const MIN_USER_KEY_SECRET_LENGTH = 16;

/**
 * A USER_KEY_SECRET (or USER_KEY_SECRET_FILE's content) shorter than MIN_USER_KEY_SECRET_LENGTH.
 * The sealing key is one SHA-256 of it, so a copy of the database lets a short one be guessed:
 * refused (ConfigError) while no stored key is sealed with it (a new deployment, a new secret).
 * A secret that already seals stored keys is kept (refusing it would leave every integration
 * without its key: there is no re-sealing command); the warning to log is returned.
 */
export async function refuseShortUserKeySecret(
  database: Database,
  options: SecretOptions,
): Promise<string | null> {
  const secret = options.userKeySecret;
  if (secret === '' || secret.length >= MIN_USER_KEY_SECRET_LENGTH) return null;
  const setting = options.userKeySecretFile
    ? `USER_KEY_SECRET_FILE (${options.userKeySecretFile})`
    : 'USER_KEY_SECRET';
  const cipher = keyCipher({ secret, dataDir: options.dataDir, embedded: false });
  let sealed = 0;
  if (await database.knex.schema.hasTable('mktows_users')) {
    const rows = (await database.knex('mktows_users').select('user_id', 'encryption_key')) as Row[];
    for (const r of rows) {
      const stored = r.encryption_key as string;
      if (sealFormatOf(stored) !== 'plain' && cipher.open(stored, r.user_id as string) !== null)
        sealed++;
    }
  }
  const length = `${setting} has ${secret.length} characters`;
  if (sealed === 0)
    throw new ConfigError(
      `${length}: a secret sealing SOAP user keys needs ${MIN_USER_KEY_SECRET_LENGTH} or more (a copy of the database would let a shorter one be guessed); make one with "openssl rand -base64 32"`,
    );
  return `${length}, fewer than the ${MIN_USER_KEY_SECRET_LENGTH} a new secret needs: kept, since stored SOAP user keys are sealed with it (${sealed}); change it (docs/operations.md, "Rotating keys and passwords")`;
}

/** Whether the keys of `database` are sealed with DATA_DIR/user-key.secret, and it is not there. */
function secretFileMissing(database: Database, options: SecretOptions): boolean {
  if (database.engine !== 'sqlite' || options.userKeySecret || options.dataDir === ':memory:')
    return false;
  return !fs.existsSync(path.join(options.dataDir, SECRET_FILE_NAME));
}

/**
 * Refuses, naming the file and the setting and how to recover, when the embedded database
 * holds SOAP user keys sealed with DATA_DIR/user-key.secret and that file is gone (USER_KEY_SECRET
 * not set): a new secret made then would leave every stored key unreadable, for good once the
 * old file could no longer be told apart. A database with no sealed key may make one.
 */
export async function refuseLostUserKeySecret(
  database: Database,
  options: SecretOptions,
): Promise<void> {
  if (!secretFileMissing(database, options)) return;
  if (!(await database.knex.schema.hasTable('mktows_users'))) return;
  const rows = (await database.knex('mktows_users').select('user_id', 'encryption_key')) as Row[];
  const sealed = rows
    .filter((r) => sealFormatOf(r.encryption_key as string) !== 'plain')
    .map((r) => r.user_id as string)
    .sort();
  if (sealed.length === 0) return;
  const shown = sealed.slice(0, 10).join(', ') + (sealed.length > 10 ? ', …' : '');
  throw new ConfigError(
    `USER_KEY_SECRET is not set and ${path.join(options.dataDir, SECRET_FILE_NAME)} (DATA_DIR/user-key.secret) is missing, ` +
      `but stored SOAP user keys are sealed with it (users ${shown}): a new secret would leave them unreadable, so none is made. ` +
      `Put the file back from a backup of DATA_DIR, or set USER_KEY_SECRET to what it held; ` +
      `if it is lost for good, remove those users ("durable-unsubscribe users remove ID") and add them again`,
  );
}

/** A cipher for the commands that never open or seal a key (list, remove): it makes no secret. */
const NO_KEYS: KeyCipher = {
  protects: true,
  seal() {
    throw new Error('no key is sealed without the user-key secret');
  },
  open: () => null,
};

/**
 * The user repository of a `users` command: as openUserRepository, but nothing makes a secret
 * while sealed keys are stored without theirs (refused, in one line); "list" makes none when
 * there is none yet (a command that only reads creates nothing); "remove" needs no key, and is
 * the way out when the secret is lost for good.
 */
export async function openUserRepositoryFor(
  database: Database,
  options: SecretOptions & { allowUnsealedKeys?: boolean },
  action: string | undefined,
): Promise<UserRepository> {
  const missing = secretFileMissing(database, options);
  if (missing && action === 'remove') return new UserRepository(database.knex, NO_KEYS);
  await refuseLostUserKeySecret(database, options);
  if (missing && action === 'list') return new UserRepository(database.knex, NO_KEYS);
  // "list" and "remove" seal nothing; the others must not seal under a secret too short.
  if (action !== 'list' && action !== 'remove') await refuseShortUserKeySecret(database, options);
  return openUserRepository(database, options);
}
