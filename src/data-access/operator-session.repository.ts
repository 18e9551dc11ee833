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
  lastSeenAt: Number(r.last_seen_at ?? r.created_at),
  clientAddress: (r.client_address as string | null | undefined) ?? null,
  userAgent: (r.user_agent as string | null | undefined) ?? null,
});

/** The session's last use: its login time when none was recorded (opened before the column). */
const LAST_SEEN = 'coalesce(last_seen_at, created_at)';

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
        last_seen_at: session.lastSeenAt,
        client_address: session.clientAddress,
        user_agent: session.userAgent,
      });
    });
  }

  /** The session of a token hash, unless it has expired or has been idle since `idleSince`. */
  async findLive(
    tokenHash: string,
    now: number,
    idleSince: number,
  ): Promise<OperatorSessionRecord | null> {
    return classified(async () => {
      const row = (await this.db('operator_sessions')
        .where('token_hash', tokenHash)
        .andWhere('expires_at', '>', now)
        .andWhereRaw(`${LAST_SEEN} > ?`, [idleSince])
        .first()) as Row | undefined;
      return row ? toRecord(row) : null;
    });
  }

  /** One conditional update: instances touching the same session at once keep the latest. */
  async touch(tokenHash: string, seenAt: number): Promise<void> {
    return classified(async () => {
      await this.db('operator_sessions')
        .where('token_hash', tokenHash)
        .andWhereRaw(`${LAST_SEEN} < ?`, [seenAt])
        .update({ last_seen_at: seenAt });
    });
  }

  /** The operator's live sessions, the latest login first. */
  async listLive(name: string, now: number, idleSince: number): Promise<OperatorSessionRecord[]> {
    return classified(async () => {
      const rows = (await this.db('operator_sessions')
        .where('operator_name', name)
        .andWhere('expires_at', '>', now)
        .andWhereRaw(`${LAST_SEEN} > ?`, [idleSince])
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'token_hash', order: 'desc' },
        ])) as Row[];
      return rows.map(toRecord);
    });
  }

  /** Ends the session of `tokenHash` if it is the operator's; whether it did. */
  async removeOperators(name: string, tokenHash: string): Promise<boolean> {
    return classified(
      async () =>
        (await this.db('operator_sessions')
          .where('operator_name', name)
          .andWhere('token_hash', tokenHash)
          .delete()) > 0,
    );
  }

  async remove(tokenHash: string): Promise<void> {
    return classified(async () => {
      await this.db('operator_sessions').where('token_hash', tokenHash).delete();
    });
  }

  async removeForOperator(name: string, keepTokenHash?: string): Promise<number> {
    return classified(() => {
      const rows = this.db('operator_sessions').where('operator_name', name);
      if (keepTokenHash !== undefined) rows.andWhereNot('token_hash', keepTokenHash);
      return rows.delete();
    });
  }

  async removeOldest(name: string, newTokenHash: string, keepOthers: number): Promise<number> {
    return classified(() => {
      // The newest first, ties in a fixed order: every instance ends the same ones.
      const beyond = this.db('operator_sessions')
        .select('token_hash')
        .where('operator_name', name)
        .andWhereNot('token_hash', newTokenHash)
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'token_hash', order: 'desc' },
        ])
        .offset(keepOthers);
      return this.db('operator_sessions')
        .where('operator_name', name)
        .whereIn('token_hash', beyond)
        .delete();
    });
  }

  async removeExpired(now: number, idleSince: number): Promise<number> {
    return classified(() =>
      this.db('operator_sessions')
        .where('expires_at', '<=', now)
        .orWhereRaw(`${LAST_SEEN} <= ?`, [idleSince])
        .delete(),
    );
  }
}
