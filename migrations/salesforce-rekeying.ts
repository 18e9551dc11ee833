import type { Knex } from 'knex';
import { emailKey, joinedKey, MAX_EMAIL_LENGTH } from '../src/domain/email-key.js';
import { chunks, isPostgres, type KeyFunction, newKey, PAGE, values } from './rekeying.js';

// Salesforce records' keys and their address opt-outs moved with a re-keying: the migrations that
// change the email key share these, as they share rekeying.ts for people and statuses.

/** A Salesforce record's key and the fields it was last reported with. */
export interface SalesforceRow {
  organization_id: string | null;
  record_id: string;
  email_key: string;
  reported_fields: string | null;
}

/** The Email a Salesforce record was last reported with, if any. */
export function reportedEmail(reportedFields: string | null): string | null {
  try {
    const email = (JSON.parse(reportedFields || '{}') as Record<string, unknown>).Email;
    return typeof email === 'string' && email.trim() !== '' ? email : null;
  } catch {
    return null;
  }
}

/**
 * SQL: `column` (JSON text) holds an escape (`\u00df`): a reported Email may be non-ASCII,
 * or hold `xn--`, written so in ASCII text.
 */
export const holdsJsonEscape = (knex: Knex, column: string) =>
  isPostgres(knex) ? `strpos(${column}, '\\u') > 0` : `instr(${column}, '\\u') > 0`;

/**
 * Each Salesforce record its reported Email's key (emailKey), where that changes, among those
 * `candidates` (SQL on reported_fields) names, read a page at a time by position; the address
 * opt-outs under an old key copied to the new one.
 */
export async function rekeySalesforceRecords(knex: Knex, candidates: string): Promise<void> {
  const moves = new Map<string, string>();
  for (let offset = 0; ; offset += PAGE) {
    const rows = (await knex('salesforce_records')
      .select('organization_id', 'record_id', 'email_key', 'reported_fields')
      .whereNotNull('email_key')
      .whereRaw(candidates)
      .orderBy(['record_id', 'organization_id'])
      .offset(offset)
      .limit(PAGE)) as SalesforceRow[];
    for (const r of rows) {
      const email = reportedEmail(r.reported_fields);
      if (email === null) continue;
      const key = emailKey(email);
      if (key === r.email_key || key.length > MAX_EMAIL_LENGTH) continue;
      await setSalesforceRecordKey(knex, r, key);
      moves.set(key, r.email_key);
    }
    if (rows.length < PAGE) break;
  }
  await copySalesforceOptOuts(knex, [...moves]);
}

/**
 * Each key `pairs` names first (to, from) gets a copy of the Salesforce address opt-out of the
 * second, with its change order, when it has none: no opt-out Salesforce reported is lost to a
 * key change.
 */
export async function copySalesforceOptOuts(
  knex: Knex,
  pairs: ReadonlyArray<readonly [string, string]>,
): Promise<void> {
  for (const part of chunks(pairs))
    await knex.raw(
      `INSERT INTO salesforce_address_opt_outs (email_key, changed_at)
       SELECT m.column1, s.changed_at FROM ${values(part)} AS m
       JOIN salesforce_address_opt_outs s ON s.email_key = m.column2
       WHERE NOT EXISTS (SELECT 1 FROM salesforce_address_opt_outs t WHERE t.email_key = m.column1)`,
      part.flat(),
    );
}

/** Gives one Salesforce record (a record id may stand for two organisations') its key. */
export async function setSalesforceRecordKey(
  knex: Knex,
  record: Pick<SalesforceRow, 'record_id' | 'organization_id'>,
  key: string,
): Promise<void> {
  const q = knex('salesforce_records').where('record_id', record.record_id);
  await (
    record.organization_id === null
      ? q.whereNull('organization_id')
      : q.where('organization_id', record.organization_id)
  ).update({ email_key: key });
}

/**
 * Re-keys salesforce_records.email_key and salesforce_address_opt_outs, in the caller's
 * transaction, among the keys `candidates` names: each record its address's key now; the
 * opt-outs kept per address merged under their new key, the newest change order winning (an
 * opt-out Salesforce reported is never dated earlier than it was). The old keys of the kept
 * opt-outs are written to `renamesTable` (old_key, new_key) for a rollback.
 */
export async function rekeySalesforceKeys(
  knex: Knex,
  candidates: (column: string) => string,
  renamesTable: string | null,
  keyOf: KeyFunction = joinedKey,
): Promise<void> {
  // By key: a record id may stand for two records (two organisations), each its own Email.
  for (let after = ''; ;) {
    const rows = (await knex('salesforce_records')
      .distinct('email_key')
      .whereNotNull('email_key')
      .whereRaw(candidates('email_key'))
      .where('email_key', '>', after)
      .orderBy('email_key')
      .limit(PAGE)) as Array<{ email_key: string }>;
    for (const r of rows) {
      const key = newKey(r.email_key, r.email_key, keyOf);
      if (key !== null)
        await knex('salesforce_records').where('email_key', r.email_key).update({ email_key: key });
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.email_key;
  }

  const moved = new Map<string, { old: string[]; at: number }>();
  for (let after = ''; ;) {
    const rows = (await knex('salesforce_address_opt_outs')
      .select('email_key', 'changed_at')
      .whereRaw(candidates('email_key'))
      .where('email_key', '>', after)
      .orderBy('email_key')
      .limit(PAGE)) as Array<{ email_key: string; changed_at: number | string }>;
    for (const r of rows) {
      const key = newKey(r.email_key, r.email_key, keyOf);
      if (key === null) continue;
      const m = moved.get(key) ?? { old: [], at: Number(r.changed_at) };
      m.old.push(r.email_key);
      m.at = Math.max(m.at, Number(r.changed_at));
      moved.set(key, m);
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.email_key;
  }
  const targets = [...moved.keys()];
  for (const part of chunks(targets)) {
    const present = (await knex('salesforce_address_opt_outs')
      .select('email_key', 'changed_at')
      .whereIn('email_key', part)) as Array<{ email_key: string; changed_at: number | string }>;
    for (const p of present) {
      const m = moved.get(p.email_key)!;
      m.at = Math.max(m.at, Number(p.changed_at));
    }
  }
  const renames = [...moved].flatMap(([key, m]) =>
    m.old.map((o) => ({ old_key: o, new_key: key })),
  );
  for (const part of chunks(renames)) {
    if (renamesTable !== null) await knex(renamesTable).insert(part);
    await knex('salesforce_address_opt_outs')
      .whereIn(
        'email_key',
        part.map((r) => r.old_key),
      )
      .delete();
  }
  const rows = [...moved].map(([key, m]) => ({ email_key: key, changed_at: m.at }));
  for (const part of chunks(rows))
    await knex('salesforce_address_opt_outs').insert(part).onConflict('email_key').merge();
}
