import type { Permissions } from '../permissions.js';
import type { KeyReport, OperatorRecord, OperatorSessionRecord, UserRecord } from '../records.js';

/**
 * The accounts of the SOAP API and of the console. Outside any transaction: each call is one
 * statement (or its own transaction), and a database that is not there is reported as an
 * AppError (DATABASE_UNAVAILABLE), never as a driver error.
 */

export interface UserStore {
  find(userId: string): Promise<UserRecord | null>;
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
}

export interface OperatorSessionStore {
  insert(session: OperatorSessionRecord): Promise<void>;
  findLive(tokenHash: string, now: number): Promise<OperatorSessionRecord | null>;
  remove(tokenHash: string): Promise<void>;
  removeExpired(now: number): Promise<number>;
}
