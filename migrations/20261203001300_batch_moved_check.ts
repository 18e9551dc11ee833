import type { Knex } from 'knex';

/**
 * PostgreSQL: batch_moved_unless(ok), which fails its statement with SQLSTATE SR002 unless `ok`
 * is true (false and NULL fail). A syncMultipleLeads batch's UPDATE of the people it read
 * (data-access/batch/row-sets.ts) checks in the same statement that it updated every one of
 * them: one deleted since the batch read it (deletes take no address lock) means what the
 * rules ran on has moved. The UPDATE is then sent with the batch's other writes and COMMIT, in
 * one message, instead of being awaited for its row count. SR002, not stale_read_unless's
 * SR001: this one means "redo the whole transaction" (unit-of-work.ts retries it, as it did
 * the count compared in JavaScript), where SR001 sends a checked step to the locked path.
 * SQLite needs nothing stored: its batch is written under the file's only write lock, or
 * checked on the writer thread (batch-checked.ts).
 */
export async function up(knex: Knex): Promise<void> {
  if ((knex.client as { dialect?: string }).dialect !== 'postgresql') return;
  await knex.raw(`
    CREATE FUNCTION batch_moved_unless(ok boolean) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'a person a batch read changed or was deleted before its write'
          USING ERRCODE = 'SR002';
      END IF;
      RETURN true;
    END $$`);
}

export async function down(knex: Knex): Promise<void> {
  if ((knex.client as { dialect?: string }).dialect !== 'postgresql') return;
  await knex.raw('DROP FUNCTION IF EXISTS batch_moved_unless(boolean)');
}
