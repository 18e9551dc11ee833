import type { Knex } from 'knex';

export interface UserRecord {
  userId: string;
  encryptionKey: string;
  description: string | null;
  createdAt: number;
}

type Row = Record<string, unknown>;

const toRecord = (r: Row): UserRecord => ({
  userId: r.user_id as string,
  encryptionKey: r.encryption_key as string,
  description: (r.description as string | null) ?? null,
  createdAt: Number(r.created_at),
});

/** SOAP API users (mktowsUserId and encryption key). */
export class UserRepository {
  constructor(private readonly db: Knex) {}

  async find(userId: string): Promise<UserRecord | null> {
    const row = (await this.db('mktows_users').where('user_id', userId).first()) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  async list(): Promise<UserRecord[]> {
    return ((await this.db('mktows_users').orderBy('user_id')) as Row[]).map(toRecord);
  }

  async insert(user: UserRecord): Promise<void> {
    await this.db('mktows_users').insert({
      user_id: user.userId,
      encryption_key: user.encryptionKey,
      description: user.description,
      created_at: user.createdAt,
    });
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
