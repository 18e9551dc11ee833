import type { Knex } from 'knex';

/**
 * How a propagation (rule 2: the other people of an address follow its master status) logs
 * the people who follow:
 *
 * - `followers`: one row in `propagation_events` with what every follower's activity shows,
 *   and one narrow row per follower in `activity_followers` (id, lead_id, event_id), its id
 *   from the activities' own sequence. An unsubscribe reaching 10,000 people wrote 10,000
 *   activity rows and three or four index entries each (docs/benchmarks.md, fourteenth and
 *   fifteenth rounds).
 * - `activities`: one whole Change Data Value row in `activities` per follower, as every
 *   version before this one wrote it, and the only form those versions read.
 *
 * Readers read both forms alike (sql/activity-sources.ts). The form is the database's setting
 * (PROPAGATION_LOG), kept per knex client configuration: every handle a writer gets (a
 * transaction, a grouped step, a unit's pinned connection) shares its client's.
 */
export const PROPAGATION_LOGS = ['followers', 'activities'] as const;
export type PropagationLog = (typeof PROPAGATION_LOGS)[number];

const forms = new WeakMap<object, PropagationLog>();

const configOf = (db: Knex | Knex.Transaction) => (db.client as { config: object }).config;

/** Sets the form every writer on `knex` (and its transactions) uses. */
export function setPropagationLog(knex: Knex, form: PropagationLog): void {
  forms.set(configOf(knex), form);
}

/** The form the writers on `db` use: `followers` unless set otherwise. */
export function propagationLog(db: Knex | Knex.Transaction): PropagationLog {
  return forms.get(configOf(db)) ?? 'followers';
}
