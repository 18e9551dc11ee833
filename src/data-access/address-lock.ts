import crypto from 'node:crypto';

/**
 * The PostgreSQL advisory lock of an address: every writer of an address takes this one (the
 * general path, and the unsubscribe function of the migrations), so they serialise.
 */
export function addressLockId(key: string): bigint {
  return crypto.createHash('sha256').update(key).digest().readBigInt64BE(0);
}
