/**
 * The batch needs something it did not load (or more than it may hold): the caller must do the
 * work another way. Never a caller's fault.
 */
export class BatchUnsupported extends Error {
  override name = 'BatchUnsupported';
}

/**
 * What the batch read changed under it (an address moved before its lock was taken, a person
 * was deleted): the transaction is redone.
 */
export class BatchMoved extends Error {
  override name = 'BatchMoved';
}

/**
 * PostgreSQL: the SQLSTATE of batch_moved_unless (migration 20261203001300), with which a
 * batch's UPDATE fails when it updated fewer people than it read: BatchMoved, found by the
 * statement (row-sets.ts, queueCheckedRows). unit-of-work.ts runs the transaction again.
 */
export const PG_BATCH_MOVED_CODE = 'SR002';
