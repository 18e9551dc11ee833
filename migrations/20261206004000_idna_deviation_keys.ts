import type { Knex } from 'knex';
import { emailKey, joinedKey, MAX_EMAIL_LENGTH } from '../src/domain/email-key.js';
import {
  chunks,
  nonAscii,
  PAGE,
  rekeyStoredAddresses,
  rowsByKey,
  setLeadKeys,
  STATUS_COLUMNS,
  unsubscribeFollowers,
} from './rekeying.js';
import {
  holdsJsonEscape,
  rekeySalesforceKeys,
  rekeySalesforceRecords,
} from './salesforce-rekeying.js';

/**
 * The email key maps a non-ASCII domain as UTS #46 (IDNA, non-transitional) maps it, 'ß', 'ς'
 * and 'ı' kept and 'İ' read as 'i̇' (src/domain/email-key.ts, idnaDomain): `ann@straße.de`
 * (xn--strae-oqa.de) and `ann@strasse.de` are two mailboxes. Keys made before (the "joined"
 * key, joinedKey) read both as strasse.de: a re-subscribe at one lifted the other's opt-out.
 *
 * - Each person whose key changes takes it, read from its stored address (candidates: a
 *   non-ASCII address, or one holding `xn--`, a page at a time). The master status under its
 *   old key k is copied under its new key t (t is new: joinedKey(t) = k), with a history row;
 *   the row under k stays, for the plain spelling (over-suppressing it is the safe side).
 * - Every opt-out whose key could be the joined key of such a spelling (a domain holding 'ss',
 *   'σ' or 'i') is copied into email_status_joined: an opt-out recorded under k may have come
 *   from a spelling nobody holds (a one-click or SOAP unsubscribe of an unknown address, a
 *   deleted person, an import), and which cannot be told. Where t has no status of its own,
 *   the opt-out there counts as t's (data-access/sql/joined-status.ts); a lift at k never
 *   touches it.
 * - Salesforce: each record's email_key is its reported Email's key again, and the opt-outs of
 *   salesforce_address_opt_outs under k are copied to the new keys (candidates: reported
 *   fields holding non-ASCII text, `xn--` or a JSON escape; the escapes were missed at first,
 *   20261206005000_idna_escaped_salesforce_emails catches those re-keyed without them).
 *
 * `down` gives everyone the joined key again, merging statuses (an opt-out wins), puts each
 * opt-out of email_status_joined back under its key where that has none, the people there
 * following it; no unsubscribe is undone.
 */

/** Opt-outs whose key's domain may be the joined spelling of a domain with 'ß', 'ς', 'ı' or 'İ'. */
const JOINED_CANDIDATE = `unsubscribed = ? AND (email_key LIKE '%@%ss%' OR email_key LIKE '%@%σ%'
  OR email_key LIKE '%@%i%')`;

/** SQL: `column` may hold an address whose key changes: non-ASCII, or a Punycode label. */
const mayChange = (knex: Knex, column: string) =>
  `(${nonAscii(knex, column)} OR lower(${column}) LIKE '%xn--%')`;

const JOINED_COLUMNS = [...STATUS_COLUMNS, 'opt_outs_recorded_since'];

type Row = Record<string, unknown>;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('email_status_joined', (t) => {
    t.string('joined_key', 254).primary();
    t.boolean('unsubscribed').notNullable();
    t.text('reason').nullable();
    t.string('source', 128).notNullable();
    t.integer('lead_id').nullable();
    t.bigInteger('changed_at').notNullable();
    t.bigInteger('recorded_at').nullable();
    t.text('lifted_reason').nullable();
    t.bigInteger('lifted_at').nullable();
    t.bigInteger('opt_outs_recorded_since').nullable();
  });
  await keepJoinedOptOuts(knex);

  // The people whose key changes, and the key each had (its status's).
  const rekeyed: Array<[number, string]> = [];
  const sources = new Map<string, string>();
  for (let after = 0; ;) {
    const people = (await knex('leads')
      .select('id', 'email', 'email_key')
      .whereNotNull('email')
      .whereRaw(mayChange(knex, 'email'))
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)) as Array<{ id: number; email: string; email_key: string | null }>;
    for (const p of people) {
      const key = emailKey(p.email);
      if (key === p.email_key || key.length > MAX_EMAIL_LENGTH) continue;
      rekeyed.push([Number(p.id), key]);
      if (p.email_key !== null && !sources.has(key)) sources.set(key, p.email_key);
    }
    if (people.length < PAGE) break;
    after = Number(people[people.length - 1]!.id);
  }
  await setLeadKeys(knex, rekeyed);
  await copyStatuses(knex, sources);
  // A reported Email written with JSON escapes ("Stra\u00dfe.de") is ASCII text.
  await rekeySalesforceRecords(
    knex,
    `(${mayChange(knex, 'reported_fields')} OR ${holdsJsonEscape(knex, 'reported_fields')})`,
  );
}

/**
 * Every opt-out whose key may be the joined key of a spelling with 'ß', 'ς', 'ı' or 'İ' copied
 * into email_status_joined; with `keys`, only those of them (the reference model's runs start
 * from opt-outs kept so: test/support/durable-model-run.ts).
 */
export async function keepJoinedOptOuts(knex: Knex, keys?: readonly string[]): Promise<void> {
  if (keys?.length === 0) return;
  const only = keys ? ` AND email_key IN (${keys.map(() => '?').join(', ')})` : '';
  await knex.raw(
    `INSERT INTO email_status_joined (joined_key, ${JOINED_COLUMNS.join(', ')})
     SELECT email_key, ${JOINED_COLUMNS.join(', ')} FROM email_status
     WHERE ${JOINED_CANDIDATE}${only}`,
    [true, ...(keys ?? [])],
  );
}

/**
 * Each new key (of `sources`: new → old) that has no status gets a copy of its old key's,
 * recorded now (incremental exports list it), with a history row.
 */
async function copyStatuses(knex: Knex, sources: Map<string, string>): Promise<void> {
  const olds = [...new Set(sources.values())];
  const byOld = new Map<string, Row>();
  for (const r of await rowsByKey<Row>(knex, 'email_status', ['*'], olds))
    byOld.set(r.email_key as string, r);
  const present = new Set(
    (await rowsByKey<Row>(knex, 'email_status', ['email_key'], [...sources.keys()])).map(
      (r) => r.email_key as string,
    ),
  );
  const now = Date.now();
  const copies: Row[] = [];
  for (const [key, old] of sources) {
    const status = byOld.get(old);
    if (!status || present.has(key)) continue;
    const copy: Row = { email_key: key };
    for (const c of STATUS_COLUMNS) copy[c] = status[c];
    copy.recorded_at = now;
    copies.push(copy);
  }
  for (const part of chunks(copies, 100)) {
    await knex('email_status').insert(part);
    await knex('email_status_history').insert(part);
  }
}

export async function down(knex: Knex): Promise<void> {
  // Everyone the joined key again; a status under a new key merged into the joined key's, the
  // most restrictive winning, the people of a subscribed spelling following an opt-out.
  const candidates = (column: string) => nonAscii(knex, column);
  await rekeyStoredAddresses(knex, {
    candidates,
    foldsTable: null,
    historyColumn: null,
    keyOf: joinedKey,
  });
  await restoreJoinedOptOuts(knex);
  await rekeySalesforceKeys(knex, candidates, null, joinedKey);
  await knex.schema.dropTable('email_status_joined');
}

/**
 * Each opt-out of email_status_joined back under its key where that has no opt-out (lifted at
 * the plain spelling since, or gone), recorded now with a history row, and the people holding
 * the key unsubscribed with an activity: no unsubscribe the joined key stood for is undone.
 */
async function restoreJoinedOptOuts(knex: Knex): Promise<void> {
  const now = Date.now();
  for (let after = ''; ;) {
    const rows = (await knex('email_status_joined')
      .select('*')
      .where('joined_key', '>', after)
      .orderBy('joined_key')
      .limit(PAGE)) as Row[];
    const keys = rows.map((r) => r.joined_key as string);
    const optedOut = new Set(
      (await rowsByKey<Row>(knex, 'email_status', ['email_key', 'unsubscribed'], keys))
        .filter((r) => r.unsubscribed === true || r.unsubscribed === 1)
        .map((r) => r.email_key as string),
    );
    const back: Row[] = [];
    for (const r of rows) {
      if (optedOut.has(r.joined_key as string)) continue;
      const status: Row = { email_key: r.joined_key };
      for (const c of STATUS_COLUMNS) status[c] = r[c];
      status.recorded_at = now;
      back.push(status);
    }
    for (const part of chunks(back, 100)) {
      await knex('email_status').insert(part).onConflict('email_key').merge();
      await knex('email_status_history').insert(part);
    }
    await unsubscribeHolders(
      knex,
      back.map((s) => s.email_key as string),
      now,
    );
    if (rows.length < PAGE) break;
    after = keys[keys.length - 1]!;
  }
}

/** The subscribed people holding `keys` unsubscribed, each with an activity. */
async function unsubscribeHolders(knex: Knex, keys: string[], now: number): Promise<void> {
  const people: number[] = [];
  for (const part of chunks(keys)) {
    const rows = (await knex('leads')
      .select('id')
      .whereIn('email_key', part)
      .where('unsubscribed', false)) as Array<{ id: number }>;
    people.push(...rows.map((r) => Number(r.id)));
  }
  await unsubscribeFollowers(
    knex,
    people.map((id) => [id, null] as const),
    now,
  );
}

// Rolling back restores the joined keys and puts every kept opt-out back; none is undone.
export const rollbackDestroysData = false;
