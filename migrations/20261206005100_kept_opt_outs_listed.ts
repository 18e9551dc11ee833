import type { Knex } from 'knex';

/**
 * The suppression exports list each opt-out kept under a joined key (email_status_joined,
 * 20261206004000) under every spelling it stands for (src/domain/kept-opt-outs.ts), from this
 * version on. An incremental export (`suppressions export --since`) lists what was recorded
 * since: the kept rows carried the time their opt-out was first recorded, so an ESP fed
 * incremental exports would never get the spellings. They are recorded now: the next export
 * lists them once. The column is read by nothing else (a kept opt-out is never written again).
 *
 * `down` leaves the times: an export since then lists the spellings again, which is harmless.
 */
export async function up(knex: Knex): Promise<void> {
  await knex('email_status_joined').update({ recorded_at: Date.now() });
}

export async function down(): Promise<void> {}

// Nothing to undo: the time the kept opt-outs were listed from.
export const rollbackDestroysData = false;
