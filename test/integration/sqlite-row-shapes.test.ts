import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import type { Knex } from 'knex';
import sinon from 'sinon';
import { SQLITE_FILE_NAME, type Database } from '../../src/data-access/database.js';
import { RowDecoder } from '../../src/data-access/sqlite-thread/row-shapes.js';
import { sqlitePerTest } from '../support/database.js';
import { threadPool } from '../support/sqlite-pool.js';

/**
 * Rows cross from the SQLite threads as arrays, their column names once per shape
 * (sqlite-thread/row-shapes.ts): what the callers get must be what the statement gave, named
 * as SQLite names it now, whatever the schema did since the statement was first run.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROW_SHAPES_MODULE = pathToFileURL(
  path.join(ROOT, 'src/data-access/sqlite-thread/row-shapes.ts'),
).href;

describe('SQLite row shapes', function () {
  this.timeout(60000);
  let db: Database;
  let dataDir: string;

  afterEach(() => sinon.restore());
  sqlitePerTest(async (made) => {
    ({ db, dataDir } = made);
    await db.knex.raw('CREATE TABLE shaped (id INTEGER PRIMARY KEY, a TEXT, b TEXT)');
    await db.knex.raw("INSERT INTO shaped (id, a, b) VALUES (1, 'one', 'uno')");
  });

  /** The same statement text, run on one thread before and after another connection's DDL. */
  async function acrossSchemaChange(ddl: string[], knex: Knex, inTransaction: boolean) {
    const pool = threadPool(knex);
    const connection = await pool.acquireConnection();
    const read = async () => {
      if (!inTransaction) return (await connection.run('SELECT * FROM shaped', [])) as never;
      connection.queue('BEGIN', []);
      const result = await connection.run('SELECT * FROM shaped', []);
      await connection.run('COMMIT', []);
      return result as never;
    };
    try {
      const before = ((await read()) as { rows: unknown[] }).rows;
      // Another connection (another process would do the same): the thread's prepared
      // statement is now of an older schema, and SQLite prepares it again as it runs.
      const other = new BetterSqlite3(path.join(dataDir, SQLITE_FILE_NAME));
      try {
        for (const sql of ddl) other.exec(sql);
      } finally {
        other.close();
      }
      const after = ((await read()) as { rows: unknown[] }).rows;
      return { before, after };
    } finally {
      await pool.releaseConnection(connection);
    }
  }

  for (const [name, knex] of [
    ['writer', () => db.knex],
    ['reader', () => db.readKnex],
  ] as const)
    for (const inTransaction of name === 'writer' ? [false, true] : [false]) {
      it(`a column renamed by another connection is read under its new name (${name}${inTransaction ? ', in a transaction' : ''})`, async () => {
        const { before, after } = await acrossSchemaChange(
          ['ALTER TABLE shaped RENAME COLUMN a TO c'],
          knex(),
          inTransaction,
        );
        expect(before).to.deep.equal([{ id: 1, a: 'one', b: 'uno' }]);
        // As many columns as before: only the schema version tells the names changed.
        expect(after).to.deep.equal([{ id: 1, c: 'one', b: 'uno' }]);
      });
    }

  it('columns dropped and added by another connection: each value under its own name', async () => {
    const { after } = await acrossSchemaChange(
      ['ALTER TABLE shaped DROP COLUMN a', "ALTER TABLE shaped ADD COLUMN z TEXT DEFAULT 'zed'"],
      db.knex,
      false,
    );
    expect(after).to.deep.equal([{ id: 1, b: 'uno', z: 'zed' }]);
  });

  it('sends the names of a shape once; statements whose rows have the same names share it', async () => {
    const learn = sinon.spy(RowDecoder.prototype, 'learn');
    await db.knex.raw('SELECT * FROM shaped');
    await db.knex.raw('SELECT * FROM shaped');
    await db.knex.raw('SELECT id, a, b FROM shaped WHERE id > ?', [0]);
    expect(learn.callCount).to.equal(1);
    expect(learn.firstCall.args[1]).to.deep.equal(['id', 'a', 'b']);
    expect(await db.knex.raw('SELECT a FROM shaped')).to.deep.equal([{ a: 'one' }]);
    expect(learn.callCount).to.equal(2);
  });

  it('rows keep what better-sqlite3 gave as objects: a repeated name takes the last value, no name touches the prototype', async () => {
    const rows = (await db.knex.raw(
      `SELECT s.id, t.id, 'p' AS "__proto__", 1 AS "constructor" FROM shaped s JOIN shaped t ON t.id = s.id`,
    )) as Array<Record<string, unknown>>;
    expect(rows).to.have.length(1);
    const row = rows[0]!;
    expect(Object.getPrototypeOf(row)).to.equal(Object.prototype);
    expect(Object.keys(row)).to.deep.equal(['id', '__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).to.equal('p');
    expect(row.constructor).to.equal(1);
  });

  it('an empty result, and a write returning its row, come back as objects too', async () => {
    expect(await db.knex.raw('SELECT * FROM shaped WHERE id = 2')).to.deep.equal([]);
    const rows = (await db.knex.raw(
      "UPDATE shaped SET b = 'eins' WHERE id = 1 RETURNING b, id",
    )) as unknown;
    expect(rows).to.deep.equal([{ b: 'eins', id: 1 }]);
  });

  for (const [name, knex] of [
    ['writer', () => db.knex],
    ['reader', () => db.readKnex],
  ] as const)
    it(`a read that fails outside a transaction leaves none open: the next read sees the last commit (${name})`, async () => {
      // Each read outside a transaction has a read transaction of its own (row-shapes.ts).
      const pool = threadPool(knex());
      const connection = await pool.acquireConnection();
      try {
        // Fails while running (a malformed JSON text), after the read began.
        const failed = await connection
          .run("SELECT id, json_extract(b || '{', '$.x') AS x FROM shaped", [])
          .then(
            () => null,
            (error: Error) => error,
          );
        expect(failed?.message).to.match(/malformed JSON/);
        // A commit since (the writer makes it itself: its pool holds that one connection).
        const update = "UPDATE shaped SET b = 'dos' WHERE id = 1";
        await (name === 'writer' ? connection.run(update, []) : db.knex.raw(update));
        expect(await connection.run('SELECT b FROM shaped WHERE id = 1', [])).to.deep.equal({
          rows: [{ b: 'dos' }],
        });
        // No transaction was left open on the connection: a BEGIN is refused inside one.
        connection.queue('BEGIN', []);
        await connection.run('SELECT 1 AS one', []);
        await connection.run('COMMIT', []);
      } finally {
        await pool.releaseConnection(connection);
      }
    });

  it('rows cross as packed arrays (the structured clone sends them densely)', () => {
    // In a fresh process, as in a fresh SQLite thread: V8 remembers, per allocation site, the
    // kinds of arrays made there, and this test process has run every other test first.
    const code = `
      import v8 from 'node:v8';
      import BetterSqlite3 from 'better-sqlite3';
      import { RowShapes } from ${JSON.stringify(ROW_SHAPES_MODULE)};
      const memory = new BetterSqlite3(':memory:');
      memory.exec("CREATE TABLE t (a, b, c); INSERT INTO t VALUES (1, 'x', NULL), (2, 'y', 3.5)");
      const statement = memory.prepare('SELECT * FROM t');
      // What the thread sends: v8's serialization, 'A' (0x41) begins a dense array, 'a'
      // (0x61) a sparse one (better-sqlite3's own arrays: made at full length, then filled).
      const tag = (value) => v8.serialize(value)[2];
      const raw = statement.raw(true).all();
      const { rows } = new RowShapes(memory).all(statement, []);
      console.log(JSON.stringify({ raw: tag(raw), rows, tags: [tag(rows), ...rows.map(tag)] }));
    `;
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', code],
      {
        cwd: path.resolve(ROOT),
        encoding: 'utf8',
      },
    );
    const seen = JSON.parse(out) as { raw: number; rows: unknown[][]; tags: number[] };
    expect(seen.raw, 'better-sqlite3 alone').to.equal(0x61);
    expect(seen.rows).to.deep.equal([
      [1, 'x', null],
      [2, 'y', 3.5],
    ]);
    expect(seen.tags).to.deep.equal([0x41, 0x41, 0x41]);
  });
});
