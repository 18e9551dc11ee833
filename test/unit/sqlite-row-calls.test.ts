/**
 * SQLite's set-based statements of a batch (row-sets.ts, sqliteRowCalls): a column holding one
 * text in every row is bound once instead of travelling in every row's JSON; every other value
 * stays in the JSON, read by its place there.
 */
import { expect } from 'chai';
import { sqliteRowCalls } from '../../src/data-access/batch/row-sets.js';

const placeholders = (sql: string) => (sql.match(/\?/g) ?? []).length;

describe("SQLite's set-based statements: texts every row shares bound once", () => {
  it('binds a text every row holds, in column order before the JSON of the other values', () => {
    const set = {
      columns: ['lead_id', 'activity_type', 'created_at', 'old_value', 'source', 'extra'],
      rows: [
        [1, 'Change Data Value', 10, 'a', 'Web service API', null],
        [2, 'Change Data Value', 11, 'b', 'Web service API', null],
      ],
    };
    const [call, ...more] = sqliteRowCalls('insert', 'activities', set);
    expect(more).to.deep.equal([]);
    const [sql, bindings] = call!;
    expect(bindings).to.deep.equal([
      'Change Data Value',
      'Web service API',
      JSON.stringify([
        [1, 10, 'a', null],
        [2, 11, 'b', null],
      ]),
    ]);
    expect(sql.sqlite).to.contain(
      'SELECT value ->> 0, ?, value ->> 1, value ->> 2, ?, value ->> 3\n',
    );
    expect(placeholders(sql.sqlite)).to.equal(bindings.length);
  });

  it('never binds the first column, a shifted one, a number, a boolean or a null', () => {
    const set = {
      columns: ['id', 'change_seq', 'lead_score', 'do_not_call', 'city', 'first_name'],
      rows: [
        ['k', 'same', 5, true, null, 'X'],
        ['k', 'same', 5, true, null, 'X'],
      ],
    };
    const shifts = [{ column: 'change_seq', by: '(SELECT 1)' }];
    const [sql, bindings] = sqliteRowCalls('update', 'leads', set, shifts)[0]!;
    expect(bindings).to.deep.equal([
      'X',
      JSON.stringify([
        ['k', 'same', 5, true, null],
        ['k', 'same', 5, true, null],
      ]),
    ]);
    expect(sql.sqlite).to.contain(
      'SELECT value ->> 0 AS c0, (value ->> 1) + (SELECT 1) AS c1, value ->> 2 AS c2, value ->> 3 AS c3, value ->> 4 AS c4, ? AS c5 FROM',
    );
    expect(placeholders(sql.sqlite)).to.equal(bindings.length);
  });

  it('keeps in the JSON a text that differs in any row, and sends one JSON binding when none is shared', () => {
    const set = {
      columns: ['id', 'first_name', 'last_name'],
      rows: [
        [1, 'A', 'Same'],
        [2, 'A', 'Same'],
        [3, 'B', 'Same'],
      ],
    };
    const [, bindings] = sqliteRowCalls('update', 'leads', set)[0]!;
    expect(bindings).to.deep.equal([
      'Same',
      JSON.stringify([
        [1, 'A'],
        [2, 'A'],
        [3, 'B'],
      ]),
    ]);
    const none = {
      columns: ['id', 'first_name'],
      rows: [
        [1, 'A'],
        [2, 'B'],
      ],
    };
    const [sql, only] = sqliteRowCalls('update', 'leads', none)[0]!;
    expect(only).to.deep.equal([JSON.stringify(none.rows)]);
    expect(placeholders(sql.sqlite)).to.equal(1);
  });
});
