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

/** Whether `id` may name a SOAP user. */
export const isUserId = (id: string): boolean => USER_ID.test(id);

/** What a user id may be, as said to whoever gave another. */
export const USER_ID_RULE = 'User id: 1-128 of A-Z a-z 0-9 _ . @ -';

export interface Credentials {
  encryptionKey: string;
  permissions: Permissions;
}

export interface UserServiceOptions {
  /**
   * How long a copy of the stored users answers credentialsOf before the table is read again
   * (MKTOWS_USER_CACHE_SECONDS): the most a change made elsewhere (the CLI, another instance)
   * takes to be seen. 0: the database is asked on every call.
   */
  cacheSeconds?: number;
  now?: () => number;
}

/** SOAP API users: those stored in the database plus those configured in MKTOWS_USERS. */
export class UserService {
  private readonly configured: Map<string, Credentials>;
  private readonly cacheMs: number;
  private readonly now: () => number;
  // The whole table, never one entry per id asked: an unknown id is answered from the same
  // map as a known one (no lookup of its own, so its time does not tell it apart), and ids
  // asked at random add nothing to memory.
  // Every stored id; null: one that never authenticates (its key cannot be trusted).
  // Kept from its read (`from`) until `until`: a clock stepped back before `from` (an NTP
  // correction) ends it too, or a removed user would authenticate for as long as the step.
  private stored: { users: Map<string, Credentials | null>; from: number; until: number } | null =
    null;
  private loading: Promise<Map<string, Credentials | null>> | null = null;
  private generation = 0;

  constructor(
    private readonly users: UserStore,
    configured: readonly UserCredential[],
    options: UserServiceOptions = {},
  ) {
    this.configured = new Map(
      configured.map((u) => [
        u.userId,
        { encryptionKey: u.encryptionKey, permissions: u.permissions ?? FULL_ACCESS },
      ]),
    );
    this.cacheMs = (options.cacheSeconds ?? 0) * 1000;
    this.now = options.now ?? Date.now;
  }

  /** The encryption key of a user, or null (credentialsOf). */
  async encryptionKeyOf(userId: string): Promise<string | null> {
    return (await this.credentialsOf(userId))?.encryptionKey ?? null;
  }

  /**
   * A user's key and permissions, or null. Every id, configured, stored or unknown, takes the
   * same steps: the stored users are consulted too. An id both configured and stored is refused:
   * which key and permissions were meant is not guessed (read as the configured one, a stored
   * user made read-only or confined had full access, and removing it revoked nothing).
   */
  async credentialsOf(userId: string): Promise<Credentials | null> {
    const fromConfig = this.configured.get(userId);
    if (this.cacheMs === 0) {
      const stored = await asDatabaseError(() => this.users.find(userId));
      if (fromConfig !== undefined) return stored === null ? fromConfig : null;
      // A stored key that cannot be trusted (KeyCipher.open gave null) never authenticates.
      return stored && stored.encryptionKey !== null
        ? { encryptionKey: stored.encryptionKey, permissions: stored.permissions }
        : null;
    }
    const stored = (await this.storedUsers()).get(userId);
    if (fromConfig !== undefined) return stored === undefined ? fromConfig : null;
    return stored ?? null;
  }

  /** The ids given in MKTOWS_USERS and stored in the database too (refused: credentialsOf). */
  async idsConfiguredAndStored(): Promise<string[]> {
    const stored = await asDatabaseError(() => this.users.list());
    return stored
      .map((u) => u.userId)
      .filter((id) => this.configured.has(id))
      .sort();
  }

  /** Forgets the copy of the stored users: the next call reads the table again. */
  forget(): void {
    this.generation++;
    this.stored = null;
    this.loading = null;
  }

  private storedUsers():
    Promise<Map<string, Credentials | null>> | Map<string, Credentials | null> {
    const now = this.now();
    if (this.stored !== null && now >= this.stored.from && now < this.stored.until)
      return this.stored.users;
    // One read of the table at a time, whoever asks: concurrent calls share it.
    if (this.loading === null) {
      const generation = this.generation;
      const loading = this.readStoredUsers(generation).finally(() => {
        if (this.loading === loading) this.loading = null;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  private async readStoredUsers(generation: number): Promise<Map<string, Credentials | null>> {
    const started = this.now();
    const rows = await asDatabaseError(() => this.users.list());
    const users = new Map<string, Credentials | null>();
    for (const { userId, encryptionKey, permissions } of rows) {
      // A stored key that cannot be trusted (KeyCipher.open gave null) never authenticates;
      // its id is kept all the same, a configured user of that id being refused too.
      users.set(userId, encryptionKey === null ? null : { encryptionKey, permissions });
    }
    // A change made while the table was read (forget() meanwhile) leaves this copy unkept.
    if (generation === this.generation)
      this.stored = { users, from: started, until: started + this.cacheMs };
    return users;
  }

  /** Sets a stored user's permissions (users from MKTOWS_USERS are set there). */
  async updatePermissions(userId: string, permissions: Permissions): Promise<void> {
    if (this.configured.has(userId)) {
      throw new AppError(
        ErrorCode.BAD_PARAMETER,
        `User ${userId} comes from MKTOWS_USERS: set its permissions there`,
      );
    }
    const updated = await this.users.updatePermissions(userId, permissions);
    this.forget();
    if (!updated) throw new AppError(ErrorCode.BAD_PARAMETER, `No user ${userId}`);
  }

  async create(
    description: string | null = null,
    userId?: string,
    permissions: Permissions = FULL_ACCESS,
  ): Promise<NewUser> {
    const id = userId ?? `du_${crypto.randomBytes(8).toString('hex')}`;
    if (!USER_ID.test(id)) throw new AppError(ErrorCode.BAD_PARAMETER, USER_ID_RULE);
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
    this.forget();
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

  async remove(userId: string): Promise<boolean> {
    const removed = await this.users.remove(userId);
    this.forget();
    return removed;
  }

  /**
   * At start: keys sealed the old way are sealed again, bound to their user; returns what is
   * left that cannot authenticate (keys in clear, keys this secret does not open).
   */
  async upgradeStoredKeys(): Promise<KeyReport & { resealed: number }> {
    const resealed = await this.users.reseal({ unsealed: false });
    this.forget();
    return { ...(await this.users.keyReport()), resealed };
  }

  /** "users seal": seals every stored key, those kept in clear included; returns how many. */
  async sealStoredKeys(): Promise<number> {
    const sealed = await this.users.reseal({ unsealed: true });
    this.forget();
    return sealed;
  }

  async isEmpty(): Promise<boolean> {
    return this.configured.size === 0 && (await this.users.count()) === 0;
  }
}

async function asDatabaseError<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    // The store reports a database it cannot reach (or a full pool) typed; anything else
    // failing here still means no one can be authenticated now.
    throw error instanceof AppError
      ? error
      : new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'Database unavailable', { cause: error });
  }
}
