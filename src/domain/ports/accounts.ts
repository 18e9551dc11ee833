import type { Permissions } from '../permissions.js';
import type { KeyReport, OperatorRecord, OperatorSessionRecord, UserRecord } from '../records.js';

/**
 * The accounts of the SOAP API and of the console, outside any transaction: each call is one
 * statement (or its own transaction). What a request waits on (finding a user, every operator
 * and session call) reports a database that is not there, or a full pool, as an AppError
 * (DATABASE_UNAVAILABLE, CONCURRENCY_LIMIT_EXCEEDED), so that callers answer with its code.
 */

export interface UserStore {
  /** Asked on every SOAP call: errors typed as above. */
  find(userId: string): Promise<UserRecord | null>;
  /** The rest serve the `users` command. */
  list(): Promise<UserRecord[]>;
  insert(user: UserRecord & { encryptionKey: string }): Promise<void>;
  keyReport(): Promise<KeyReport>;
  /** Seals again the keys sealed the old way (`unsealed`: those stored in clear too); how many. */
  reseal(options: { unsealed: boolean }): Promise<number>;
  updatePermissions(userId: string, permissions: Permissions): Promise<boolean>;
  remove(userId: string): Promise<boolean>;
  count(): Promise<number>;
}

export interface OperatorStore {
  find(name: string): Promise<OperatorRecord | null>;
  list(): Promise<OperatorRecord[]>;
  insert(operator: OperatorRecord): Promise<void>;
  /** Removes the operator and its sessions; false if there was none. */
  remove(name: string): Promise<boolean>;
  /**
   * Gives the stored operator a new password hash and ends its sessions, at once; how many
   * sessions ended, null if no such operator is stored.
   */
  replacePassword(name: string, passwordHash: string): Promise<number | null>;
}

export interface OperatorSessionStore {
  insert(session: OperatorSessionRecord): Promise<void>;
  /** The session, unless it has expired (at `now`) or was last seen at or before `idleSince`. */
  findLive(
    tokenHash: string,
    now: number,
    idleSince: number,
  ): Promise<OperatorSessionRecord | null>;
  /** Records a use at `seenAt`; never moves the time back (another instance's later use). */
  touch(tokenHash: string, seenAt: number): Promise<void>;
  /** The operator's sessions neither expired (at `now`) nor idle since `idleSince`, latest login first. */
  listLive(name: string, now: number, idleSince: number): Promise<OperatorSessionRecord[]>;
  /** Ends the session of `tokenHash` if it is the operator's (and no other); whether it did. */
  removeOperators(name: string, tokenHash: string): Promise<boolean>;
  remove(tokenHash: string): Promise<void>;
  /** Ends the operator's sessions, but for the one of `keepTokenHash`; how many ended. */
  removeForOperator(name: string, keepTokenHash?: string): Promise<number>;
  /**
   * Ends the operator's sessions but the one of `newTokenHash` and the `keepOthers` opened
   * last before it (the earliest logins go first); how many ended.
   */
  removeOldest(name: string, newTokenHash: string, keepOthers: number): Promise<number>;
  /** Removes the sessions expired at `now` or idle since `idleSince`. */
  removeExpired(now: number, idleSince: number): Promise<number>;
}
