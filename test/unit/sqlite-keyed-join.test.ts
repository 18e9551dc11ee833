/**
 * SQLite's batch reads and check find the rows of a list of keys by a join from the list
 * (batch-load.ts, sqliteKeyed) where they used `IN (SELECT value FROM json_each(?))`: the same
 * rows for a list naming each key once, whatever the keys look like.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { sqliteKeyed } from '../../src/data-access/batch/batch-load.js';

describe("SQLite's keyed join: the rows the IN over the same list finds", () => {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE people (id INTEGER PRIMARY KEY, email_key VARCHAR(254) NULL);
    CREATE INDEX people_key ON people (email_key);`);
  // Keys a numeric comparison would take for one another, a NULL, a key held twice.
  const held = ['007', '7', '1e3', '1000', ' 12', 'a@b.example', 'a@b.example', null, '0x10'];
  const insert = db.prepare('INSERT INTO people (email_key) VALUES (?)');
  for (const key of held) insert.run(key);

  const ids = (sql: string, keys: unknown[]) =>
    db
      .prepare(sql)
      .pluck()
      .all(JSON.stringify(keys))
      .map(Number)
      .sort((a, b) => a - b);
  const joined = (keys: unknown[]) =>
    ids(`SELECT people.id FROM ${sqliteKeyed('people', 'email_key')}`, keys);
  const within = (keys: unknown[]) =>
    ids('SELECT id FROM people WHERE email_key IN (SELECT value FROM json_each(?))', keys);

  const lists: unknown[][] = [
    ['7'],
    ['007', '1000'],
    ['1e3', '12', '16'],
    ['a@b.example', 'nobody@b.example'],
    [],
    [...new Set(held.filter((k) => k !== null))],
  ];
  for (const keys of lists)
    it(`finds by ${JSON.stringify(keys)} what the IN finds`, () => {
      expect(joined(keys)).to.deep.equal(within(keys));
    });

  it('finds a text by its text only, never by its number', () => {
    expect(joined(['7'])).to.deep.equal([2]);
    expect(joined(['1000'])).to.deep.equal([4]);
  });

  it('counts every holder of a key once', () => {
    const count = db
      .prepare(`SELECT count(*) FROM ${sqliteKeyed('people', 'email_key')}`)
      .pluck()
      .get(JSON.stringify(['a@b.example', '7']));
    expect(count).to.equal(3);
  });
});
