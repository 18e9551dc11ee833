import type { Knex } from 'knex';

// What getLeadChanges and getLeadActivity filter on: the type across every lead (the change
// stream, by id), and the type within a lead (a lead's log, newest first by id).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('activities', (t) => {
    t.index(['activity_type', 'id'], 'activities_type_idx');
    t.index(['lead_id', 'activity_type', 'id'], 'activities_lead_type_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('activities', (t) => {
    t.dropIndex(['activity_type', 'id'], 'activities_type_idx');
    t.dropIndex(['lead_id', 'activity_type', 'id'], 'activities_lead_type_idx');
  });
}

// Rolling back drops only indexes: no data is lost.
export const rollbackDestroysData = false;
