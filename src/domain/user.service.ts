import crypto from 'node:crypto';
import type { UserCredential } from '../config.js';
import type { KeyReport, UserRecord, UserRepository } from '../data-access/user.repository.js';
import { AppError, ErrorCode } from '../errors.js';

export interface NewUser {
  userId: string;
  encryptionKey: string;
}

const USER_ID = /^[A-Za-z0-9_.@-]{1,128}$/;

/** SOAP API users: those stored in the database plus those configured in MKTOWS_USERS. */
export class UserService {
  private readonly configured: Map<string, string>;

  constructor(
    private readonly users: UserRepository,
    configured: readonly UserCredential[],
  ) {
    this.configured = new Map(configured.map((u) => [u.userId, u.encryptionKey]));
  }

  /** The encryption key of a user, or null: configuration wins over the database. */
  async encryptionKeyOf(userId: string): Promise<string | null> {
    const fromConfig = this.configured.get(userId);
    if (fromConfig !== undefined) return fromConfig;
    try {
      return (await this.users.find(userId))?.encryptionKey ?? null;
    } catch (error) {
      throw new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'Database unavailable', { cause: error });
    }
  }

  async create(description: string | null = null, userId?: string): Promise<NewUser> {
    const id = userId ?? `du_${crypto.randomBytes(8).toString('hex')}`;
    if (!USER_ID.test(id))
      throw new AppError(ErrorCode.BAD_PARAMETER, 'User id: 1-128 of A-Z a-z 0-9 _ . @ -');
    if (this.configured.has(id) || (await this.users.find(id))) {
      throw new AppError(ErrorCode.BAD_PARAMETER, `User ${id} already exists`);
    }
    const encryptionKey = crypto.randomBytes(24).toString('hex').toUpperCase();
    await this.users.insert({ userId: id, encryptionKey, description, createdAt: Date.now() });
    return { userId: id, encryptionKey };
  }

  async list(): Promise<
    Array<Omit<UserRecord, 'encryptionKey'> & { origin: 'database' | 'environment' }>
  > {
    const stored = (await this.users.list()).map(({ userId, description, createdAt }) => ({
      userId,
      description,
      createdAt,
      origin: 'database' as const,
    }));
    const fromEnv = [...this.configured.keys()].map((userId) => ({
      userId,
      description: 'MKTOWS_USERS',
      createdAt: 0,
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
