import type { Knex } from 'knex';
import { caseFoldedKey, keyBeforeDomainMapping } from '../src/domain/email-key.js';
import { rekeyStoredAddresses, restoreStoredKeys } from './rekeying.js';

/**
 * The email key reads the spellings of one mailbox as one (src/domain/email-key.ts,
 * oneMailbox): a Punycode domain and its Unicode form (`ann@xn--bcher-kva.de`,
 * `ann@bücher.de`), a domain's trailing dot (`ann@example.com.`), U+3002 and U+FF61 as label
 * separators, and a quoted local part that needs no quotes (`"ann"@example.com`). Keys stored
 * by earlier versions are re-keyed here, in the migration's transaction, by the rules of
 * 20261203001100 (migrations/rekeying.ts): only keys that hold `xn--`, end with a dot, begin
 * with a quote or hold an ideographic full stop can change, and only those (and the rows under
 * the keys they take) are written. Spellings that now share a key merge their master statuses,
 * the most restrictive winning; the people of a subscribed spelling follow the opt-out with an
 * activity "Email key migration". History rows keep the key they had (respelled_from); the old
 * keys of statuses are kept (email_key_respellings) for `down`.
 *
 * `down` gives each person its case-folded key again and every old spelling a copy of the
 * status it was merged into; it undoes no unsubscribe.
 */

const candidates = (column: string) =>
  `(${column} LIKE '%xn--%' OR ${column} LIKE '%.' OR ${column} LIKE '"%'` +
  ` OR ${column} LIKE '%\u3002%' OR ${column} LIKE '%\uff61%')`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('email_status_history', (t) => {
    t.string('respelled_from', 254).nullable();
  });
  await knex.schema.createTable('email_key_respellings', (t) => {
    t.string('old_key', 254).primary();
    t.string('new_key', 254).notNullable();
  });
  await rekeyStoredAddresses(knex, {
    candidates,
    foldsTable: 'email_key_respellings',
    historyColumn: 'respelled_from',
  });
}

export async function down(knex: Knex): Promise<void> {
  // Each person whose key the mailbox spellings changed gets its case-folded key again: the
  // key this migration made (20261206000000's `down`, run first, restored it).
  await restoreStoredKeys(knex, {
    oldKey: caseFoldedKey,
    madeKey: keyBeforeDomainMapping,
    foldsTable: 'email_key_respellings',
    historyColumn: 'respelled_from',
  });
  await knex.schema.dropTable('email_key_respellings');
  await knex.schema.alterTable('email_status_history', (t) => {
    t.dropColumn('respelled_from');
  });
}

// Rolling back restores the keys and copies statuses to them; no unsubscribe is undone.
export const rollbackDestroysData = false;
