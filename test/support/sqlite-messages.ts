import type { Database } from '../../src/data-access/database.js';
import { fixedSql } from '../../src/data-access/sql/statement.js';
import { sqlitePerTest } from './database.js';

/**
 * What the SQLite thread message suites share: a fresh SQLite database per test holding the
 * operator 'taken', and statements on the operators table whose failures are easy to cause
 * (inserting 'taken' again breaks the primary key).
 */

export const INSERT_OPERATOR = fixedSql(
  'INSERT INTO operators (name, password_hash, created_at) VALUES (?, ?, ?)',
);
export const COUNT_OPERATORS = fixedSql('SELECT count(*) AS n FROM operators');
export const operator = (name: string) => [name, 'x', 1];

/** A fresh SQLite database per test (as `sqlitePerTest`), holding the operator 'taken'. */
export function sqliteWithTakenOperator(
  opened: (made: { db: Database; dataDir: string }) => unknown,
): void {
  sqlitePerTest(async (made) => {
    opened(made);
    await made.db.knex('operators').insert({ name: 'taken', password_hash: 'x', created_at: 1 });
  });
}

/** The operators stored in `db`, by name. */
export const operatorNames = async (db: Database) =>
  ((await db.knex('operators').select('name').orderBy('name')) as Array<{ name: string }>).map(
    (r) => r.name,
  );
