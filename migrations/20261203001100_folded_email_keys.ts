import type { Knex } from 'knex';
import { previousEmailKey } from '../src/domain/email-key-folding.js';
import { isPostgres, rekeyStoredAddresses, restoreStoredKeys } from './rekeying.js';

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

/** Text holding anything but ASCII (every engine stores text as UTF-8). */
const nonAscii = (knex: Knex, column: string) =>
  isPostgres(knex)
    ? `octet_length(${column}) <> char_length(${column})`
    : `length(CAST(${column} AS BLOB)) <> length(${column})`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('email_status_history', (t) => {
    t.string('folded_from', 254).nullable();
  });
  await knex.schema.createTable('email_key_folds', (t) => {
    t.string('old_key', 254).primary();
    t.string('new_key', 254).notNullable();
  });

  // ASCII keys never changed: the candidates are the non-ASCII ones.
  await rekeyStoredAddresses(knex, {
    candidates: (column) => nonAscii(knex, column),
    foldsTable: 'email_key_folds',
    historyColumn: 'folded_from',
  });
}

export async function down(knex: Knex): Promise<void> {
  // Each person the key of its spelling again; each old spelling the status it was folded into.
  await restoreStoredKeys(knex, {
    candidates: (column) => nonAscii(knex, column),
    oldKey: previousEmailKey,
    foldsTable: 'email_key_folds',
    historyColumn: 'folded_from',
  });
  await knex.schema.dropTable('email_key_folds');
  await knex.schema.alterTable('email_status_history', (t) => {
    t.dropColumn('folded_from');
  });
}

// Rolling back restores the keys and copies statuses to them; no unsubscribe is undone.
export const rollbackDestroysData = false;
