import type { Knex } from 'knex';
import type { SqliteStep } from './sqlite-thread/connection.js';

/*
 * The transaction handles of a SQLite group of one-step units (sqlite-group-writer.ts): each
 * unit's statements go through its step, on the writer's connection the group holds.
 */

/** The transaction `trx` whose fixed statements (sql/statement.ts) go through `step`. */
export function throughStep(trx: Knex.Transaction, step: SqliteStep): Knex.Transaction {
  const client = trx.client as unknown as { query(c: unknown, o: object): Promise<unknown> };
  const stepClient = Object.create(client, {
    query: { value: (c: unknown, o: object) => client.query(c, Object.assign(o, { step })) },
  }) as unknown;
  return Object.create(trx, { client: { value: stepClient } }) as Knex.Transaction;
}

/** A transaction's handle for one-step units on `connection`, pinned as knex's transactions do. */
export function pinnedTransaction(knex: Knex, connection: unknown): Knex.Transaction {
  const client = Object.create(knex.client as object, {
    acquireConnection: { value: () => Promise.resolve(connection) },
    releaseConnection: { value: () => Promise.resolve() },
  }) as unknown;
  return Object.create(knex, {
    client: { value: client },
    isTransaction: { value: true },
  }) as Knex.Transaction;
}

/** The writer's connection as a group of one-step units uses it (sqlite-thread/connection.ts). */
export interface StepConnection {
  openStep(): SqliteStep;
  holdSteps(): void;
  releaseSteps(): void;
}

/** Whether `connection` takes steps: the SQLite writer's does, another engine's not. */
export function stepsOn(connection: unknown): connection is StepConnection {
  return typeof (connection as Partial<StepConnection> | null)?.openStep === 'function';
}
