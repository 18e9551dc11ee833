import type { Knex } from 'knex';

/**
 * People by (partition, updated_at, id): getMultipleLeads by LastUpdateAtSelector for a SOAP
 * user confined to partitions pages and counts among its partitions in SQL (updated-between.ts),
 * so that neither its remainingCount nor its position tells of people elsewhere. Through
 * (updated_at, id) alone such a page read every partition's changes of the window to find a
 * small partition's few. Unconfined pages keep reading leads_updated_idx.
 *
 * The table can be large and the previous version keeps writing it during a rolling upgrade:
 * on PostgreSQL the index is built CONCURRENTLY, outside a transaction (`config`); a build
 * interrupted half-way leaves an invalid index, which the next run drops and builds again.
 * SQLite builds it in place under its single writer. Dropping it loses no data.
 */
const NAME = 'leads_partition_updated_idx';
const DEFINITION = 'ON leads (partition, updated_at, id)';

const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

export async function up(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) {
    await knex.raw(`CREATE INDEX IF NOT EXISTS ${NAME} ${DEFINITION}`);
    return;
  }
  const left = (await knex.raw(
    `SELECT x.indisvalid AS valid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE i.relname = ? AND pg_table_is_visible(i.oid)`,
    [NAME],
  )) as { rows: Array<{ valid: boolean }> };
  if (left.rows[0]?.valid) return;
  if (left.rows[0]) await knex.raw(`DROP INDEX CONCURRENTLY ${NAME}`);
  await knex.raw(`CREATE INDEX CONCURRENTLY ${NAME} ${DEFINITION}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX ${isPostgres(knex) ? 'CONCURRENTLY ' : ''}IF EXISTS ${NAME}`);
}

// CREATE and DROP INDEX CONCURRENTLY cannot run inside a transaction.
export const config = { transaction: false };

// Rolling back drops an index only: no data is lost.
export const rollbackDestroysData = false;
