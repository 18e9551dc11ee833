import { expect } from 'chai';
import type { Knex } from 'knex';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import type { TestEngine } from './database.js';
import { openHarness, type Harness } from './harness.js';

/** A fresh harness on `engine`, a UnitOfWork over its database, and that database's knex. */
export async function openUnitOfWork(
  engine: TestEngine,
): Promise<{ h: Harness; uow: UnitOfWork; k: Knex }> {
  const h = await openHarness(engine);
  return { h, uow: new UnitOfWork(h.db), k: h.db.knex };
}

/**
 * SQLite: makes every `write` (as 'UPDATE ON leads') of the rows of the address `key` fail
 * with SQLITE_CONSTRAINT_TRIGGER ('refused by the test').
 */
export const refuseWrites = (
  k: Knex,
  write: 'UPDATE ON leads' | 'INSERT ON email_status',
  key: string,
) =>
  k.raw(
    `CREATE TRIGGER refuse_bad BEFORE ${write} WHEN NEW.email_key = '${key}'
     BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
  );

/**
 * Expects `count` settled results, the one at `rejected` rejected (with the error `code` when
 * one is given) and all the others fulfilled.
 */
export function expectRejectedAlone(
  results: ReadonlyArray<PromiseSettledResult<unknown>>,
  count: number,
  rejected: number,
  code?: string,
): void {
  expect(results.map((r) => r.status)).to.deep.equal(
    Array.from({ length: count }, (_, i) => (i === rejected ? 'rejected' : 'fulfilled')),
  );
  if (code === undefined) return;
  const reason = (results[rejected] as PromiseRejectedResult).reason as { code?: string };
  expect(reason.code).to.equal(code);
}
