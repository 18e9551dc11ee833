import type { Knex } from 'knex';
import { joinedKey, MAX_EMAIL_LENGTH } from '../src/domain/email-key.js';
import {
  FOLD_REASON,
  planFoldedKeys,
  type StoredHolder,
  type StoredStatus,
} from '../src/domain/email-key-folding.js';
import {
  DEFAULT_PROTECTED_REASONS,
  parseProtectedReasons,
  protectedReasonMatcher,
} from '../src/domain/status-reasons.js';

/**
 * Re-keying stored addresses when the email key function changes (src/domain/email-key.ts),
 * shared by the migrations that do it (20261203001100_folded_email_keys,
 * 20261204000100_mailbox_spellings). The rows whose stored key differs from the key of their
 * address are found among candidates (a condition on the key column, read a page at a time),
 * with every row already under the keys they take; the rules of the merge are the domain's
 * (src/domain/email-key-folding.ts). Not a migration itself (migrations/index.ts lists those).
 * salesforce_records.email_key (20261205000100) and salesforce_address_opt_outs
 * (20261205000200) are keys too, left alone by rekeyStoredAddresses: a re-keying written after
 * them re-keys them as well (salesforce-rekeying.ts, rekeySalesforceKeys: of salesforce_address_opt_outs rows merged,
 * the newest changed_at), as 20261206000000_idna_domain_keys does.
 *
 * A row whose address's key would now be longer than the column (NFKC lengthens some
 * characters: '㍿' is four) keeps its key: no such address is taken any more (validateEmail),
 * and the column could not hold it.
 */

export const isPostgres = (knex: Knex) =>
  (knex.client as { dialect?: string }).dialect === 'postgresql';

/** SQL: `column` holds anything but ASCII (every engine stores text as UTF-8). */
export const nonAscii = (knex: Knex, column: string) =>
  isPostgres(knex)
    ? `octet_length(${column}) <> char_length(${column})`
    : `length(CAST(${column} AS BLOB)) <> length(${column})`;

/**
 * The key function a re-keying gives: for the re-keyings written before 20261206004000, the
 * joined key (joinedKey, the key they made; that migration re-keys from it).
 */
export type KeyFunction = (raw: string) => string;

/** The key `raw` takes by `keyOf`, or null when it keeps the one it has (same, or too long). */
export function newKey(raw: string, stored: string | null, keyOf: KeyFunction): string | null {
  const key = keyOf(raw);
  return key !== stored && key.length <= MAX_EMAIL_LENGTH ? key : null;
}

/** Rows per statement: pairs, and whole rows (up to ten values each), below every limit. */
const CHUNK = 500;
const WIDE = 100;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * `(VALUES (?, ?), …)` for pairs, each value cast when a type is given (PostgreSQL types
 * parameters from it). Both engines name the columns column1 and column2.
 */
export function values(
  pairs: ReadonlyArray<readonly [unknown, unknown]>,
  first?: string,
  second?: string,
) {
  const one = (type?: string) => (type ? `CAST(? AS ${type})` : '?');
  return `(VALUES ${pairs.map(() => `(${one(first)}, ${one(second)})`).join(', ')})`;
}

export async function rowsByKey<T>(knex: Knex, table: string, columns: string[], keys: string[]) {
  const out: T[] = [];
  for (const part of chunks(keys))
    out.push(...((await knex(table).select(columns).whereIn('email_key', part)) as T[]));
  return out;
}

export const HOLDER_COLUMNS = ['id', 'email', 'email_key', 'unsubscribed'];

/** The columns of a master status besides its key, as of 20261203001100. */
export const STATUS_COLUMNS = [
  'unsubscribed',
  'reason',
  'source',
  'lead_id',
  'changed_at',
  'recorded_at',
  'lifted_reason',
  'lifted_at',
];

/** Rows read per statement while looking for the keys that change. */
export const PAGE = 5000;

/**
 * The rows of `table` whose stored key differs from the key of their address (`address`),
 * read a page at a time in `order` among those whose key `candidates` names (SQL on the
 * column it is given): the others cannot change.
 */
async function changing<T extends { email_key: string }>(
  knex: Knex,
  table: string,
  order: string,
  columns: string[],
  candidates: (column: string) => string,
  address: (row: T) => string | null,
  keyOf: KeyFunction,
): Promise<T[]> {
  const out: T[] = [];
  let after: string | number | null = null;
  for (;;) {
    let q = knex(table).select(columns).whereRaw(candidates('email_key'));
    if (after !== null) q = q.where(order, '>', after);
    const rows = (await q.orderBy(order).limit(PAGE)) as T[];
    for (const r of rows) {
      const raw = address(r);
      if (raw !== null && newKey(raw, r.email_key, keyOf) !== null) out.push(r);
    }
    if (rows.length < PAGE) return out;
    after = (rows[rows.length - 1] as Record<string, string | number>)[order]!;
  }
}

/** The next change_seq values: the sequence on PostgreSQL, max + 1 on SQLite (one writer). */
export async function nextSeqs(knex: Knex, n: number): Promise<number[]> {
  if (isPostgres(knex)) {
    const r = (await knex.raw(
      `SELECT nextval('leads_change_seq') AS v FROM generate_series(1, ?)`,
      [n],
    )) as { rows: Array<{ v: string }> };
    return r.rows.map((x) => Number(x.v));
  }
  const [row] = (await knex('leads').max({ m: 'change_seq' })) as Array<{ m: number | null }>;
  const base = Number(row?.m ?? 0) + 1;
  return Array.from({ length: n }, (_, i) => base + i);
}

/** Where a re-keying keeps what its rollback needs. */
export interface RekeyingRecord {
  /** SQL condition on a key column: the rows whose key may change. */
  candidates: (column: string) => string;
  /** Table (old_key, new_key) keeping the old keys of statuses (none: not kept). */
  foldsTable: string | null;
  /** Column of email_status_history keeping the key a row had (none: not kept). */
  historyColumn: string | null;
  /** The key each row takes (joinedKey if none). */
  keyOf?: KeyFunction;
}

/**
 * Re-keys, in the caller's transaction, the people and master statuses whose stored key
 * differs from their address's key now, with the rows under the keys they take: the most
 * restrictive status wins (a suppression PROTECTED_REASONS protects, then an opt-out no
 * unauthenticated undo may lift), and the people of a subscribed spelling follow it with an
 * activity, Reason "Email key migration". A moved or merged status is recorded now
 * (incremental exports list its new key); the history of every spelling follows its key, each
 * row keeping the key it had; the old keys of statuses are kept for the rollback.
 */
export async function rekeyStoredAddresses(knex: Knex, record: RekeyingRecord): Promise<void> {
  const keyOf = record.keyOf ?? joinedKey;
  // The rows whose key changes, a page at a time; then every row under the keys they take.
  const statuses = await changing<StoredStatus>(
    knex,
    'email_status',
    'email_key',
    ['*'],
    record.candidates,
    (s) => s.email_key,
    keyOf,
  );
  const holders = await changing<StoredHolder>(
    knex,
    'leads',
    'id',
    HOLDER_COLUMNS,
    record.candidates,
    (h) => h.email,
    keyOf,
  );
  const targets = [
    ...new Set([...statuses.map((s) => keyOf(s.email_key)), ...holders.map((h) => keyOf(h.email))]),
  ];
  const seenStatus = new Set(statuses.map((s) => s.email_key));
  const seenHolder = new Set(holders.map((h) => h.id));
  for (const s of await rowsByKey<StoredStatus>(knex, 'email_status', ['*'], targets))
    if (!seenStatus.has(s.email_key)) statuses.push(s);
  for (const h of await rowsByKey<StoredHolder>(knex, 'leads', HOLDER_COLUMNS, targets))
    if (!seenHolder.has(h.id) && h.email !== null) holders.push(h);

  const now = Date.now();
  const renames: Array<[string, string]> = [];
  const moved: StoredStatus[] = [];
  const mergeHistory: StoredStatus[] = [];
  const rekeyed: Array<[number, string]> = [];
  const followers: Array<[number, number | null]> = [];
  // The reasons the service protects (PROTECTED_REASONS, read as the service reads it: the
  // migrations run with the service's settings), and the default's always: a merge keeps a
  // protected suppression over any other, and a setting changed later finds it kept.
  const configured = process.env.PROTECTED_REASONS;
  const isProtected = protectedReasonMatcher([
    ...DEFAULT_PROTECTED_REASONS,
    ...(configured === undefined ? [] : parseProtectedReasons(configured)),
  ]);
  for (const plan of planFoldedKeys(statuses, holders, isProtected, now, keyOf)) {
    for (const old of plan.renamedKeys) renames.push([old, plan.key]);
    if (plan.status) {
      const row: StoredStatus = { ...plan.status, email_key: plan.key, recorded_at: now };
      if (plan.recordedSince !== undefined) row.opt_outs_recorded_since = plan.recordedSince;
      moved.push(row);
      if (plan.merged)
        mergeHistory.push(
          record.historyColumn === null ? row : { ...row, [record.historyColumn]: null },
        );
    }
    for (const id of plan.rekeyed) rekeyed.push([id, plan.key]);
    for (const id of plan.unsubscribed) followers.push([id, plan.status?.lead_id ?? null]);
  }

  for (const part of chunks(renames)) {
    if (record.foldsTable !== null)
      await knex(record.foldsTable).insert(part.map(([o, n]) => ({ old_key: o, new_key: n })));
    const kept = record.historyColumn === null ? '' : `, ${record.historyColumn} = m.column1`;
    await knex.raw(
      `UPDATE email_status_history SET email_key = m.column2${kept}
       FROM ${values(part)} AS m WHERE email_status_history.email_key = m.column1`,
      part.flat(),
    );
    await knex('email_status')
      .whereIn(
        'email_key',
        part.map(([o]) => o),
      )
      .delete();
  }
  for (const part of chunks(moved, WIDE))
    await knex('email_status').insert(part).onConflict('email_key').merge();
  for (const part of chunks(mergeHistory, WIDE)) await knex('email_status_history').insert(part);
  for (const part of chunks(rekeyed))
    await knex.raw(
      `UPDATE leads SET email_key = m.column2 FROM ${values(part, 'integer')} AS m
       WHERE leads.id = m.column1`,
      part.flat(),
    );
  await unsubscribeFollowers(knex, followers, now);
}

/**
 * Each person (id, the person whose status it follows, or null) unsubscribed with a new
 * change_seq and an activity, Reason "Email key migration": the people of a spelling whose
 * status a re-keying made an opt-out.
 */
export async function unsubscribeFollowers(
  knex: Knex,
  followers: ReadonlyArray<readonly [number, number | null]>,
  now: number,
): Promise<void> {
  const seqs = await nextSeqs(knex, followers.length);
  const numbered = followers.map(([id], i) => [id, seqs[i]!] as [number, number]);
  for (const part of chunks(numbered))
    await knex.raw(
      `UPDATE leads SET unsubscribed = ?, updated_at = ?, change_seq = m.column2
       FROM ${values(part, 'integer', 'bigint')} AS m WHERE leads.id = m.column1`,
      [true, now, ...part.flat()],
    );
  for (const part of chunks(followers, WIDE))
    await knex('activities').insert(
      part.map(([id, cause]) => ({
        lead_id: id,
        activity_type: 'Change Data Value',
        created_at: now,
        attribute_name: 'Unsubscribed',
        old_value: 'false',
        new_value: 'true',
        reason: FOLD_REASON,
        source: FOLD_REASON,
        actor: null,
        cause_lead_id: cause,
      })),
    );
}

/**
 * For a rollback: every old key `pairs` names (old → new) gets a copy of the status of its new
 * key when it has none, so that the people given their old keys again agree with a status and
 * no unsubscribe is undone.
 */
export async function copyStatusesBack(knex: Knex, pairs: Map<string, string>): Promise<void> {
  for (const part of chunks([...pairs]))
    await knex.raw(
      `INSERT INTO email_status (email_key, ${STATUS_COLUMNS.join(', ')})
       SELECT m.column1, ${STATUS_COLUMNS.map((c) => `s.${c}`).join(', ')}
       FROM ${values(part)} AS m JOIN email_status s ON s.email_key = m.column2
       WHERE NOT EXISTS (SELECT 1 FROM email_status t WHERE t.email_key = m.column1)`,
      part.flat(),
    );
}

/** What a re-keying's rollback needs to give people their keys before it. */
export interface KeysRestored extends Omit<RekeyingRecord, 'candidates' | 'keyOf'> {
  /** SQL condition on the email column: the people whose key may have changed (all if none). */
  candidates?: (column: string) => string;
  /** A person's key before the re-keying. */
  oldKey: (email: string) => string;
  /** The key the re-keying gave: a person whose key is another (a later change) is left. */
  madeKey?: (email: string) => string;
}

/**
 * A re-keying's rollback: each person (among `candidates`) whose key the re-keying made gets
 * its key before it again, every old key (the people's and `foldsTable`'s) a copy of the status
 * it was merged into (copyStatusesBack: no unsubscribe undone), and the history rows the key
 * they had (`historyColumn`). People are read a page at a time: a rollback is rare, and the
 * spellings have no one SQL pattern.
 */
export async function restoreStoredKeys(knex: Knex, record: KeysRestored): Promise<void> {
  const pairs = new Map<string, string>();
  const restored: Array<[number, string]> = [];
  for (let after = 0; ;) {
    const page = knex('leads').select(HOLDER_COLUMNS).whereNotNull('email');
    if (record.candidates) page.whereRaw(record.candidates('email'));
    const people = (await page.where('id', '>', after).orderBy('id').limit(PAGE)) as StoredHolder[];
    for (const p of people) {
      const old = record.oldKey(p.email);
      if (old === p.email_key) continue;
      if (record.madeKey && record.madeKey(p.email) !== p.email_key) continue;
      pairs.set(old, p.email_key);
      restored.push([p.id, old]);
    }
    if (people.length < PAGE) break;
    after = Number(people[people.length - 1]!.id);
  }
  const kept =
    record.foldsTable === null
      ? []
      : ((await knex(record.foldsTable).select('old_key', 'new_key')) as Array<{
          old_key: string;
          new_key: string;
        }>);
  for (const r of kept) pairs.set(r.old_key, r.new_key);
  await copyStatusesBack(knex, pairs);
  await setLeadKeys(knex, restored);
  if (record.historyColumn !== null)
    await knex('email_status_history')
      .whereNotNull(record.historyColumn)
      .update({ email_key: knex.ref(record.historyColumn) });
}

/** Gives each person (id, key) its key. */
export async function setLeadKeys(knex: Knex, keys: ReadonlyArray<[number, string]>) {
  for (const part of chunks(keys))
    await knex.raw(
      `UPDATE leads SET email_key = m.column2 FROM ${values(part, 'integer')} AS m
       WHERE leads.id = m.column1`,
      part.flat(),
    );
}
