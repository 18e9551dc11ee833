import { AppError, ErrorCode } from '../errors.js';

/** What one SOAP user may do. Users stored before permissions existed have full access. */
export interface Permissions {
  /** Reads only: every call that would change a lead is refused. */
  readOnly: boolean;
  /** May call deleteLead. */
  mayDelete: boolean;
  /** The partitions whose people the user may read and change; null: every partition. */
  partitions: readonly string[] | null;
}

export const FULL_ACCESS: Permissions = Object.freeze({
  readOnly: false,
  mayDelete: true,
  partitions: null,
});

/** The most characters a partition's name has (a lead naming a longer one is refused). */
export const MAX_PARTITION_LENGTH = 64;

const PARTITION = /^[A-Za-z0-9 _.@-]{1,64}$/;

/** A partition name as `users add/update --partitions` and MKTOWS_USERS accept it. */
export function isPartitionName(name: string): boolean {
  return PARTITION.test(name);
}

const denied = (why: string) => new AppError(ErrorCode.ACCESS_DENIED, why);

export function requireWrite(p: Permissions): void {
  if (p.readOnly) throw denied('This user may only read');
}

export function requireDelete(p: Permissions): void {
  requireWrite(p);
  if (!p.mayDelete) throw denied('This user may not delete leads');
}

/** Refuses calls that span every partition to a user confined to some. */
export function requireAllPartitions(p: Permissions, what: string): void {
  if (p.partitions !== null) throw denied(`${what} spans every partition; this user may not`);
}

/** "read-only", "no-delete", "partitions=A+B" (empty: full access): the text CLI and docs show. */
export function describePermissions(p: Permissions): string {
  const parts: string[] = [];
  if (p.readOnly) parts.push('read-only');
  else if (!p.mayDelete) parts.push('no-delete');
  if (p.partitions !== null) parts.push(`partitions=${p.partitions.join('+')}`);
  return parts.length === 0 ? 'full access' : parts.join(' ');
}
