import crypto from 'node:crypto';
import { otherJoinedKey } from './email-key.js';
import type { StatusStore } from './ports.js';
import type { EmailStatusRecord } from './records.js';

/**
 * The master status of an address, as every rule reads it: its own row, or else, for a key
 * whose joined key differs (a domain holding 'ß', 'ς', 'ı' or 'İ': email-key.ts, joinedKey),
 * the opt-out recorded under the joined key before the key kept those letters apart (migration
 * 20261206004000, email_status_joined). Such an opt-out may have come from either spelling,
 * and which cannot be told: it counts for both until the address has a status of its own.
 * Writes go under the key as always (then its own row is read); a lift at the joined key
 * never touches the kept opt-out. An ordinary key costs no second read (a test of its text).
 */
export async function masterStatus(
  store: StatusStore,
  key: string,
): Promise<EmailStatusRecord | null> {
  return (await masterStatusRead(store, key)).status;
}

/** masterStatus, and the joined key it was kept under when it is a kept opt-out (else null). */
export interface MasterStatusRead {
  status: EmailStatusRecord | null;
  keptUnder: string | null;
}

/**
 * masterStatus and where it lives: what an operator is shown of an address (its page, `explain`)
 * says when the opt-out and its history are the joined key's, recorded there before.
 */
export async function masterStatusRead(store: StatusStore, key: string): Promise<MasterStatusRead> {
  const own = await store.get(key);
  if (own) return { status: own, keptUnder: null };
  const joined = otherJoinedKey(key);
  if (joined === null) return { status: null, keptUnder: null };
  const kept = (await store.joinedOptOuts([joined])).get(joined);
  return kept
    ? { status: { ...kept, emailKey: key }, keptUnder: joined }
    : { status: null, keptUnder: null };
}

/**
 * masterStatus of many addresses: their own rows (`own`, the store's read of them), and for a
 * key without one whose joined key differs, the opt-out kept under that joined key.
 */
export async function masterStatuses(
  store: Pick<StatusStore, 'joinedOptOuts'>,
  keys: readonly string[],
  own: Map<string, EmailStatusRecord>,
): Promise<Map<string, EmailStatusRecord>> {
  const joinedOf = new Map<string, string>();
  for (const key of keys) {
    const joined = own.has(key) ? null : otherJoinedKey(key);
    if (joined !== null) joinedOf.set(key, joined);
  }
  if (joinedOf.size === 0) return own;
  const kept = await store.joinedOptOuts([...new Set(joinedOf.values())]);
  const all = new Map(own);
  for (const [key, joined] of joinedOf) {
    const status = kept.get(joined);
    if (status) all.set(key, { ...status, emailKey: key });
  }
  return all;
}

/**
 * A short text naming one master status as a page showed it: what it says, since when, why and
 * from where. A lift form carries the version of the suppression it showed, so that posted late
 * or twice it lifts that suppression only, never an opt-out recorded after the page was shown
 * (an address unsubscribed again, or taken over: acknowledged-opt-outs.ts). Not a secret.
 */
export function statusVersion(status: EmailStatusRecord | null): string {
  if (status === null) return 'none';
  return crypto
    .createHash('sha256')
    .update(
      JSON.stringify([status.unsubscribed, status.changedAt, status.source, status.reason ?? null]),
    )
    .digest('base64url')
    .slice(0, 22);
}
