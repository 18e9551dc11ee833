import type { Knex } from 'knex';
import { holdsJsonEscape, rekeySalesforceRecords } from './salesforce-rekeying.js';

/**
 * 20261206004000_idna_deviation_keys gave each Salesforce record its reported Email's key again
 * among the records whose reported fields hold non-ASCII text or `xn--`: a reported Email
 * written with JSON escapes (`{"Email":"ann@stra\u00dfe.de"}`, ASCII text) was missed, and the
 * record kept the joined key (`ann@strasse.de`), so a Salesforce opt-out of it reached the plain
 * spelling instead. This gives those records their key, the address opt-outs of the joined key
 * copied to it, as that migration does (it now reads the escapes too: after it, nothing is
 * left to do here).
 *
 * `down` does nothing: the rollback of 20261206004000 gives every Salesforce key holding a
 * deviation letter its joined key again, these included.
 */
export async function up(knex: Knex): Promise<void> {
  await rekeySalesforceRecords(knex, holdsJsonEscape(knex, 'reported_fields'));
}

export async function down(): Promise<void> {}

// Nothing to undo: a record's key is its reported Email's, and no opt-out is removed.
export const rollbackDestroysData = false;
