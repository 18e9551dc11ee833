/**
 * The ports: the interfaces the domain declares for what it needs of storage, one file per
 * topic under ports/. data-access implements them (SQL repositories, the in-memory batch); the
 * composition root hands the implementations to the services.
 *
 * - ports/write-scope.ts: what the rules of one change read and write (sync, durable status);
 * - ports/queries.ts: the reads of the services and the console, and set-based writes;
 * - ports/transactions.ts: units of work (write, writeStep, read, readReplicated) and the batch;
 * - ports/console-jobs.ts, ports/salesforce.ts, ports/accounts.ts, ports/link-keys.ts: the stores
 *   of those topics.
 */
export * from './ports/write-scope.js';
export * from './ports/queries.js';
export * from './ports/transactions.js';
export type * from './ports/console-jobs.js';
export type * from './ports/salesforce.js';
export type * from './ports/accounts.js';
export type * from './ports/link-keys.js';
