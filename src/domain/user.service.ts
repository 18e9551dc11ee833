import crypto from 'node:crypto';
import type { UserCredential } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';
import { FULL_ACCESS, type Permissions } from './permissions.js';
import type { UserStore } from './ports.js';
import type { KeyReport, UserRecord } from './records.js';

export interface NewUser {
  userId: string;
  encryptionKey: string;
}

const USER_ID = /^[A-Za-z0-9_.@-]{1,128}$/;

/** SOAP API users: those stored in the database plus those configured in MKTOWS_USERS. */
export class UserService {
  private readonly configured: Map<string, { encryptionKey: string; permissions: Permissions }>;

  constructor(
    private readonly users: UserStore,
    configured: readonly UserCredential[],
  ) {
    this.configured = new Map(
      configured.map((u) => [
        u.userId,
        { encryptionKey: u.encryptionKey, permissions: u.permissions ?? FULL_ACCESS },
      ]),
    );
  }

  /** The encryption key of a user, or null: configuration wins over the database. */
  async encryptionKeyOf(userId: string): Promise<string | null> {
    return (await this.credentialsOf(userId))?.encryptionKey ?? null;
  }

  /**
   * A user's key and permissions, or null; configuration wins over the database. The database
   * is asked even for a configured user, so that every id costs the same lookup.
   */
  async credentialsOf(
    userId: string,
  ): Promise<{ encryptionKey: string; permissions: Permissions } | null> {
    let stored: UserRecord | null;
    try {
      stored = await this.users.find(userId);
    } catch (error) {
      // The store reports a database it cannot reach (or a full pool) typed; anything else
      // failing here still means no one can be authenticated now.
      throw error instanceof AppError
        ? error
        : new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'Database unavailable', { cause: error });
    }
    const fromConfig = this.configured.get(userId);
    if (fromConfig !== undefined) return fromConfig;
    // A stored key that cannot be trusted (KeyCipher.open gave null) never authenticates.
    return stored && stored.encryptionKey !== null
      ? { encryptionKey: stored.encryptionKey, permissions: stored.permissions }
      : null;
  }

  /** Sets a stored user's permissions (users from MKTOWS_USERS are set there). */
  async updatePermissions(userId: string, permissions: Permissions): Promise<void> {
    if (this.configured.has(userId)) {
      throw new AppError(
        ErrorCode.BAD_PARAMETER,
        `User ${userId} comes from MKTOWS_USERS: set its permissions there`,
      );
    }
    if (!(await this.users.updatePermissions(userId, permissions))) {
      throw new AppError(ErrorCode.BAD_PARAMETER, `No user ${userId}`);
    }
  }

  async create(
    description: string | null = null,
    userId?: string,
    permissions: Permissions = FULL_ACCESS,
  ): Promise<NewUser> {
    const id = userId ?? `du_${crypto.randomBytes(8).toString('hex')}`;
    if (!USER_ID.test(id))
      throw new AppError(ErrorCode.BAD_PARAMETER, 'User id: 1-128 of A-Z a-z 0-9 _ . @ -');
    if (this.configured.has(id) || (await this.users.find(id))) {
      throw new AppError(ErrorCode.BAD_PARAMETER, `User ${id} already exists`);
    }
    const encryptionKey = crypto.randomBytes(24).toString('hex').toUpperCase();
    await this.users.insert({
      userId: id,
      encryptionKey,
      description,
      createdAt: Date.now(),
      permissions,
    });
    return { userId: id, encryptionKey };
  }

  async list(): Promise<
    Array<Omit<UserRecord, 'encryptionKey'> & { origin: 'database' | 'environment' }>
  > {
    const stored = (await this.users.list()).map(
      ({ userId, description, createdAt, permissions }) => ({
        userId,
        description,
        createdAt,
        permissions,
        origin: 'database' as const,
      }),
    );
    const fromEnv = [...this.configured].map(([userId, { permissions }]) => ({
      userId,
      description: 'MKTOWS_USERS',
      createdAt: 0,
      permissions,
      origin: 'environment' as const,
    }));
    return [...fromEnv, ...stored];
  }

  remove(userId: string): Promise<boolean> {
    return this.users.remove(userId);
  }

  /**
   * At start: keys sealed the old way are sealed again, bound to their user; returns what is
   * left that cannot authenticate (keys in clear, keys this secret does not open).
   */
  async upgradeStoredKeys(): Promise<KeyReport & { resealed: number }> {
    const resealed = await this.users.reseal({ unsealed: false });
    return { ...(await this.users.keyReport()), resealed };
  }

  /** "users seal": seals every stored key, those kept in clear included; returns how many. */
  sealStoredKeys(): Promise<number> {
    return this.users.reseal({ unsealed: true });
  }

  async isEmpty(): Promise<boolean> {
    return this.configured.size === 0 && (await this.users.count()) === 0;
  }
}
