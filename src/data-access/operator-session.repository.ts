import type { Knex } from 'knex';
import { classified } from './classified.js';
import type { OperatorSessionRecord } from '../domain/records.js';

type Row = Record<string, unknown>;

const toRecord = (r: Row): OperatorSessionRecord => ({
  tokenHash: r.token_hash as string,
  operatorName: r.operator_name as string,
  csrfToken: r.csrf_token as string,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  credentialTag: (r.credential_tag as string | null | undefined) ?? null,
});

/** Login sessions of the /admin pages, keyed by the hash of the cookie's token. */
export class OperatorSessionRepository {
  constructor(private readonly db: Knex) {}

  async insert(session: OperatorSessionRecord): Promise<void> {
    return classified(async () => {
      await this.db('operator_sessions').insert({
        token_hash: session.tokenHash,
        operator_name: session.operatorName,
        csrf_token: session.csrfToken,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
        credential_tag: session.credentialTag,
      });
    });
  }

  /** The session of a token hash, unless it has expired. */
  async findLive(tokenHash: string, now: number): Promise<OperatorSessionRecord | null> {
    return classified(async () => {
      const row = (await this.db('operator_sessions')
        .where('token_hash', tokenHash)
        .andWhere('expires_at', '>', now)
        .first()) as Row | undefined;
      return row ? toRecord(row) : null;
    });
  }

  async remove(tokenHash: string): Promise<void> {
    return classified(async () => {
      await this.db('operator_sessions').where('token_hash', tokenHash).delete();
    });
  }

  async removeForOperator(name: string): Promise<number> {
    return classified(() => this.db('operator_sessions').where('operator_name', name).delete());
  }

  async removeExpired(now: number): Promise<number> {
    return classified(() => this.db('operator_sessions').where('expires_at', '<=', now).delete());
  }
}
