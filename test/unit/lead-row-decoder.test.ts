import { expect } from 'chai';
import {
  decodeValues,
  decoderOf,
  fromRow,
  fromValues,
  OWN_COLUMNS,
} from '../../src/data-access/lead-row.js';

/**
 * A lead's row given as values (a batch's people read as JSON arrays, a RowSet) is made a
 * record by a decoder made once per list of names: the same record, its columns in the same
 * order, as the row read one name at a time and as the row's object through fromRow.
 */
describe('lead rows decoded from their values', () => {
  const row = (names: readonly string[], values: readonly unknown[]) =>
    Object.fromEntries(names.map((n, i) => [n, values[i]]));

  const full = [
    ...OWN_COLUMNS,
    'unsubscribed_reason',
    'first_name',
    'do_not_call',
    'email_invalid',
  ];
  const cases: Array<[string, unknown[]]> = [
    [
      'every value set',
      [
        7,
        'A@x.org',
        'a@x.org',
        'P',
        'F-1',
        'SFDC',
        1,
        '{"Tier":"gold"}',
        10,
        20,
        30,
        'why',
        'Ann',
        1,
        '1',
      ],
    ],
    [
      'nulls, 0s and a missing change_seq',
      [8, null, null, 'Default', null, null, 0, null, 11, 12, null, null, null, 0, null],
    ],
    [
      'text numbers and booleans as SQLite and PostgreSQL give them',
      [
        '9',
        'b@x.org',
        'b@x.org',
        'P',
        null,
        null,
        '1',
        '',
        '13',
        '14',
        '15',
        undefined,
        '',
        true,
        false,
      ],
    ],
  ];

  for (const [what, values] of cases) {
    it(`gives the record fromRow gives: ${what}`, () => {
      const decoded = fromValues(full, values);
      expect(decoded).to.deep.equal(fromRow(row(full, values)));
      expect(decoded).to.deep.equal(decodeValues(full, values));
      expect(Object.keys(decoded.columns)).to.deep.equal(
        Object.keys(decodeValues(full, values).columns),
      );
      expect(Object.keys(decoded)).to.deep.equal(Object.keys(decodeValues(full, values)));
    });
  }

  it('reads a list without some of a record’s own columns as fromRow does', () => {
    const names = ['email_key', 'id', 'first_name', 'unsubscribed'];
    const values = ['c@x.org', 5, 'Cy', 1];
    expect(fromValues(names, values)).to.deep.equal(fromRow(row(names, values)));
  });

  it('makes one decoder per list of names', () => {
    expect(decoderOf([...full])).to.equal(decoderOf(full));
    expect(decoderOf(['id', 'email'])).to.not.equal(decoderOf(full));
  });

  it('reads names a literal cannot hold one at a time (a name repeated, __proto__)', () => {
    const names = ['id', 'first_name', 'first_name', '__proto__', 'partition'];
    const values = [3, 'one', 'two', 'p', 'P'];
    const decoded = fromValues(names, values);
    expect(decoded).to.deep.equal(decodeValues(names, values));
    expect(decoded.columns.first_name).to.equal('two');
  });
  it('makes no function per call once the bound of kept decoders is reached', () => {
    const lists = Array.from({ length: 80 }, (_, n) => ['id', 'partition', `custom_${n}`]);
    const made = { count: 0 };
    const real = globalThis.Function;
    globalThis.Function = new Proxy(real, {
      construct(target, args: string[]) {
        made.count++;
        return Reflect.construct(target, args) as object;
      },
    });
    try {
      for (const names of lists) decoderOf(names);
      const before = made.count;
      const names = lists[79]!;
      for (let i = 0; i < 10; i++) {
        const values = [i, 'P', `v${i}`];
        expect(decoderOf(names)(values)).to.deep.equal(decodeValues(names, values));
      }
      expect(made.count - before, 'functions made past the bound').to.equal(0);
    } finally {
      globalThis.Function = real;
    }
  });
});
