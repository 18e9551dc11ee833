import type { Database } from '../../src/data-access/database.js';
import type { StatementForm } from '../../src/data-access/sql/fixed-sql.js';
import {
  runGroupedStep,
  type StepClient,
  type StepResult,
} from '../../src/data-access/sql/pg-step-group.js';

/** A step's statement: its text, and its form where the test gives one. */
export interface GroupedStatement {
  text: string;
  form?: StatementForm;
}

/**
 * `steps` handed to the PostgreSQL client of `db` at once, so they run as one group on the
 * pool's connection: each step's results (or its error), in order.
 */
export function stepsAsOneGroup(
  db: Database,
  steps: ReadonlyArray<readonly GroupedStatement[]>,
): Array<Promise<StepResult[]>> {
  return steps.map(
    (statements) =>
      new Promise<StepResult[]>((resolve, reject) =>
        runGroupedStep(db.knex.client as unknown as StepClient, {
          statements: statements.map((s) => s.text),
          forms: statements.map((s) => s.form),
          resolve,
          reject,
        }),
      ),
  );
}
