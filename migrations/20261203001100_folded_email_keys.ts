import type { Knex } from 'knex';
import { emailKey } from '../src/domain/email-key.js';
import {
  FOLD_REASON,
  planFoldedKeys,
  previousEmailKey,
  type StoredHolder,
  type StoredStatus,
} from '../src/domain/email-key-folding.js';
import {
  DEFAULT_PROTECTED_REASONS,
  parseProtectedReasons,
  protectedReasonMatcher,
} from '../src/domain/status-reasons.js';

/**
 * The email key folds non-ASCII addresses in full (src/domain/email-key.ts): 'ÉLODIE' and
 * 'élodie', NFC and NFD, full-width letters, final sigma, Turkish i, 'ß' and 'ss'. Keys stored
 * by earlier versions are re-keyed here, on both engines, in the migration's transaction: the
 * people and master statuses whose stored key differs from their address's folded key (looked
 * for among non-ASCII keys, a page at a time), and the master statuses and people already under
 * a key those fold to (an ASCII 'strasse' for 'straße'). The rules of the merge
 * are the domain's (src/domain/email-key-folding.ts): the most restrictive status wins (a
 * suppression PROTECTED_REASONS protects, then an opt-out no unauthenticated undo may lift), and the
 * people of a subscribed spelling follow it with an activity, Reason "Email key migration".
 * A moved or merged status is recorded now (incremental exports list its new key); the history
 * of every spelling follows its key, each row keeping the key it had (folded_from); the old
 * keys of statuses are kept (email_key_folds) for `down`.
 *
 * ASCII keys are unchanged, and only the rows above are read and written.
 *
 * `down` gives each person the key of its spelling again and every old spelling a copy of the
 * status of the key it had been folded into, so the people of each agree with their status;
 * history returns to its keys. It undoes no unsubscribe: an opt-out is never lost.
 */
const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

/** Text holding anything but ASCII (every engine stores text as UTF-8). */
const nonAscii = (knex: Knex, column: string) =>
  isPostgres(knex)
    ? `octet_length(${column}) <> char_length(${column})`
    : `length(CAST(${column} AS BLOB)) <> length(${column})`;

/** Rows per statement: pairs, and whole rows (up to ten values each), below every limit. */
const CHUNK = 500;
const WIDE = 100;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * `(VALUES (?, ?), …)` for pairs, each value cast when a type is given (PostgreSQL types
 * parameters from it). Both engines name the columns column1 and column2.
 */
function values(
  pairs: ReadonlyArray<readonly [unknown, unknown]>,
  first?: string,
  second?: string,
) {
  const one = (type?: string) => (type ? `CAST(? AS ${type})` : '?');
  return `(VALUES ${pairs.map(() => `(${one(first)}, ${one(second)})`).join(', ')})`;
}

async function rowsByKey<T>(knex: Knex, table: string, columns: string[], keys: string[]) {
  const out: T[] = [];
  for (const part of chunks(keys))
    out.push(...((await knex(table).select(columns).whereIn('email_key', part)) as T[]));
  return out;
}

const HOLDER_COLUMNS = ['id', 'email', 'email_key', 'unsubscribed'];

/** The columns of a master status besides its key, as of this migration. */
const STATUS_COLUMNS = [
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
const PAGE = 5000;

/**
 * The rows of `table` whose stored key differs from the key of their address (`address`),
 * read a page at a time in `order` among those whose key holds non-ASCII text: ASCII keys
 * never change.
 */
async function changing<T extends { email_key: string }>(
  knex: Knex,
  table: string,
  order: string,
  columns: string[],
  address: (row: T) => string | null,
): Promise<T[]> {
  const out: T[] = [];
  let after: string | number | null = null;
  for (;;) {
    let q = knex(table).select(columns).whereRaw(nonAscii(knex, 'email_key'));
    if (after !== null) q = q.where(order, '>', after);
    const rows = (await q.orderBy(order).limit(PAGE)) as T[];
    for (const r of rows) {
      const raw = address(r);
      if (raw !== null && emailKey(raw) !== r.email_key) out.push(r);
    }
    if (rows.length < PAGE) return out;
    after = (rows[rows.length - 1] as Record<string, string | number>)[order]!;
  }
}

/** The next change_seq values: the sequence on PostgreSQL, max + 1 on SQLite (one writer). */
async function nextSeqs(knex: Knex, n: number): Promise<number[]> {
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

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('email_status_history', (t) => {
    t.string('folded_from', 254).nullable();
  });
  await knex.schema.createTable('email_key_folds', (t) => {
    t.string('old_key', 254).primary();
    t.string('new_key', 254).notNullable();
  });

  // The rows whose key changes, a page at a time; then every row under the keys they take.
  const statuses = await changing<StoredStatus>(
    knex,
    'email_status',
    'email_key',
    ['*'],
    (s) => s.email_key,
  );
  const holders = await changing<StoredHolder>(knex, 'leads', 'id', HOLDER_COLUMNS, (h) => h.email);
  const targets = [
    ...new Set([
      ...statuses.map((s) => emailKey(s.email_key)),
      ...holders.map((h) => emailKey(h.email)),
    ]),
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
  for (const plan of planFoldedKeys(statuses, holders, isProtected)) {
    for (const old of plan.renamedKeys) renames.push([old, plan.key]);
    if (plan.status) {
      const row = { ...plan.status, email_key: plan.key, recorded_at: now };
      moved.push(row);
      if (plan.merged) mergeHistory.push({ ...row, folded_from: null });
    }
    for (const id of plan.rekeyed) rekeyed.push([id, plan.key]);
    for (const id of plan.unsubscribed) followers.push([id, plan.status?.lead_id ?? null]);
  }

  for (const part of chunks(renames)) {
    await knex('email_key_folds').insert(part.map(([o, n]) => ({ old_key: o, new_key: n })));
    await knex.raw(
      `UPDATE email_status_history SET email_key = m.column2, folded_from = m.column1
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

export async function down(knex: Knex): Promise<void> {
  // Each person the key of its spelling again; each old spelling the status it was folded into.
  const people = (await knex('leads')
    .select(HOLDER_COLUMNS)
    .whereNotNull('email')
    .whereRaw(nonAscii(knex, 'email'))) as StoredHolder[];
  const pairs = new Map<string, string>();
  const restored: Array<[number, string]> = [];
  for (const p of people) {
    const old = previousEmailKey(p.email);
    if (old === p.email_key) continue;
    pairs.set(old, p.email_key);
    restored.push([p.id, old]);
  }
  const folds = (await knex('email_key_folds').select('old_key', 'new_key')) as Array<{
    old_key: string;
    new_key: string;
  }>;
  for (const f of folds) pairs.set(f.old_key, f.new_key);
  for (const part of chunks([...pairs]))
    await knex.raw(
      `INSERT INTO email_status (email_key, ${STATUS_COLUMNS.join(', ')})
       SELECT m.column1, ${STATUS_COLUMNS.map((c) => `s.${c}`).join(', ')}
       FROM ${values(part)} AS m JOIN email_status s ON s.email_key = m.column2
       WHERE NOT EXISTS (SELECT 1 FROM email_status t WHERE t.email_key = m.column1)`,
      part.flat(),
    );
  for (const part of chunks(restored))
    await knex.raw(
      `UPDATE leads SET email_key = m.column2 FROM ${values(part, 'integer')} AS m
       WHERE leads.id = m.column1`,
      part.flat(),
    );
  await knex('email_status_history')
    .whereNotNull('folded_from')
    .update({ email_key: knex.ref('folded_from') });
  await knex.schema.dropTable('email_key_folds');
  await knex.schema.alterTable('email_status_history', (t) => {
    t.dropColumn('folded_from');
  });
}

// Rolling back restores the keys and copies statuses to them; no unsubscribe is undone.
export const rollbackDestroysData = false;
