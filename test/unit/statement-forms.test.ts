import { expect } from 'chai';
import type { Knex } from 'knex';
import { fixedSql, formText, inlined } from '../../src/data-access/sql/fixed-sql.js';
import { queueCalls, runStatement } from '../../src/data-access/sql/statement.js';
import { groupForms, PLAIN, statementAt } from '../../src/data-access/sql/pg-step-forms.js';

/**
 * A PostgreSQL statement whose values can be written in goes to a client that takes forms (a
 * one-step unit's: sql/pg-step.ts) as its form alone: its text is written only where the group
 * sends it as text (pg-step-forms.ts, statementAt), not for a form kept prepared, which goes as
 * EXECUTE with its literals. Other clients get the text, as before.
 */

interface Seen {
  sql: string;
  form?: { template: string; literals: readonly string[] };
}

/** A knex stand-in whose PostgreSQL client records what statement.ts hands it. */
function recording(takesForms: boolean) {
  const queried: Seen[] = [];
  const queued: Seen[] = [];
  const client = {
    dialect: 'postgresql',
    ...(takesForms ? { takesForms: true } : {}),
    acquireConnection: () => Promise.resolve({}),
    releaseConnection: () => Promise.resolve(),
    query: (_c: unknown, obj: Seen & { response?: unknown }) => {
      queried.push({ sql: obj.sql, ...(obj.form ? { form: obj.form } : {}) });
      obj.response = { rows: [], rowCount: 0 };
      return Promise.resolve(obj);
    },
    sendWithNext: (_c: unknown, sql: string, _r: unknown, form?: Seen['form']) => {
      queued.push({ sql, ...(form ? { form } : {}) });
      return true;
    },
  };
  const db = { client, isTransaction: true } as unknown as Knex.Transaction;
  return { db, queried, queued };
}

const STATEMENT = fixedSql('UPDATE t SET a = ? WHERE b = ? AND c = ?');
const VALUES = ["it's", 7, true];
const LITERALS = ["'it''s'", '7', 'TRUE'];
const TEXT = "UPDATE t SET a = 'it''s' WHERE b = 7 AND c = TRUE";

describe('statements handed over as their forms (fixed-sql.ts, statement.ts)', () => {
  it('a form’s text is what inlined writes', () => {
    const form = { template: STATEMENT.postgres, literals: LITERALS };
    expect(formText(form)).to.equal(TEXT);
    expect(inlined(STATEMENT, VALUES)).to.deep.include({ postgres: TEXT, literals: LITERALS });
    expect(() => formText({ template: STATEMENT.postgres, literals: ['1'] })).to.throw(
      /placeholders and literals differ/,
    );
  });

  it('a client that takes forms gets the template and the form, no text written', async () => {
    const { db, queried, queued } = recording(true);
    await runStatement(db, STATEMENT, VALUES);
    await queueCalls(db, [[STATEMENT, VALUES]]);
    const form = { template: STATEMENT.postgres, literals: LITERALS };
    expect(queried).to.deep.equal([{ sql: STATEMENT.postgres, form }]);
    expect(queued).to.deep.equal([{ sql: STATEMENT.postgres, form }]);
  });

  it('any other client gets the text with the values written in, and the form', async () => {
    const { db, queried, queued } = recording(false);
    await runStatement(db, STATEMENT, VALUES);
    await queueCalls(db, [[STATEMENT, VALUES]]);
    const form = { template: STATEMENT.postgres, literals: LITERALS };
    expect(queried).to.deep.equal([{ sql: TEXT, form }]);
    expect(queued).to.deep.equal([{ sql: TEXT, form }]);
  });

  it('a value that cannot be written in goes as a binding, to either client', async () => {
    const { db, queried } = recording(true);
    await runStatement(db, STATEMENT, ['x', 1.5, true]);
    expect(queried).to.deep.equal([{ sql: STATEMENT.postgres }]);
  });

  it('a step’s statement given by its form is written as text only where it is not prepared', () => {
    const form = { template: STATEMENT.postgres, literals: LITERALS };
    const other = { template: 'SELECT ? AS x', literals: ['1'] };
    const step = {
      statements: ['SELECT 0', undefined, undefined],
      forms: [undefined, form, other],
    };
    expect(statementAt(step, 0)).to.equal('SELECT 0');
    expect(statementAt(step, 1)).to.equal(TEXT);
    expect(PLAIN.statementsOf(step)).to.deep.equal(['SELECT 0;', `${TEXT};`, 'SELECT 1 AS x;']);
    const forms = groupForms([step], new Set(), new Map([[STATEMENT.postgres, 2]]));
    const [, prepared, plain] = forms.statementsOf(step);
    expect(prepared).to.match(/^EXECUTE du_f_[0-9a-f]{24}\('it''s', 7, TRUE\);$/);
    expect(plain).to.equal('SELECT 1 AS x;');
    expect(() => statementAt({ statements: [undefined] }, 0)).to.throw(/neither a text nor/);
  });
});
