import type { Knex } from 'knex';

/**
 * The unsubscribe-link keys this database has seen issue links, each as a fingerprint (an HMAC
 * of a fixed label and the key id under the secret: it names the key, never reveals it). A
 * start whose configured keys match none of them is refused: a lost DATA_DIR secret file, or
 * an instance configured with another key, would otherwise break every link already sent.
 * Empty after this migration: the first start records its current key (src/startup/link-key-check.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('link_key_fingerprints', (t) => {
    t.string('fingerprint', 64).primary();
    t.string('key_id', 16).notNullable();
    t.bigInteger('recorded_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('link_key_fingerprints');
}
