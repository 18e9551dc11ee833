import type { Knex } from 'knex';
import type { Database } from './database.js';
import { keyCipher, type KeyCipher } from './key-cipher.js';

/** A user's permissions as stored (the domain's Permissions). */
export interface Permissions {
  readOnly: boolean;
  mayDelete: boolean;
  partitions: readonly string[] | null;
}

export interface UserRecord {
  userId: string;
  encryptionKey: string;
  description: string | null;
  createdAt: number;
  permissions: Permissions;
}

type Row = Record<string, unknown>;

const toRecord = (r: Row, cipher: KeyCipher): UserRecord => ({
  userId: r.user_id as string,
  encryptionKey: cipher.open(r.encryption_key as string),
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

/** SOAP API users (mktowsUserId and encryption key, sealed at rest by the cipher). */
export class UserRepository {
  constructor(
    private readonly db: Knex,
    private readonly cipher: KeyCipher,
  ) {}

  async find(userId: string): Promise<UserRecord | null> {
    const row = (await this.db('mktows_users').where('user_id', userId).first()) as Row | undefined;
    return row ? toRecord(row, this.cipher) : null;
  }

  async list(): Promise<UserRecord[]> {
    return ((await this.db('mktows_users').orderBy('user_id')) as Row[]).map((r) =>
      toRecord(r, this.cipher),
    );
  }

  async insert(user: UserRecord): Promise<void> {
    await this.db('mktows_users').insert({
      user_id: user.userId,
      encryption_key: this.cipher.seal(user.encryptionKey),
      description: user.description,
      created_at: user.createdAt,
      ...permissionColumns(user.permissions),
    });
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
  options: { userKeySecret: string; dataDir: string },
): UserRepository {
  const cipher = keyCipher({
    secret: options.userKeySecret,
    dataDir: options.dataDir,
    embedded: database.engine === 'sqlite',
  });
  return new UserRepository(database.knex, cipher);
}
