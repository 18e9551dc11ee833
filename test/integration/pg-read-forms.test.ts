import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { readRowSet } from '../../src/data-access/sql/plain-reads.js';
import { fixedSql } from '../../src/data-access/sql/statement.js';
import { testEngines } from '../support/database.js';
import { openHarness, type Harness } from '../support/harness.js';
import { pgMessagesWhile as allMessagesWhile } from '../support/pg-messages.js';

/**
 * PostgreSQL: plain reads of one form that go in one message (sql/pg-rows.ts) run as a
 * statement prepared on the server connection and kept there (sql/pg-step-forms.ts), with the
 * rows the plain statements give; a read alone goes as it is; a form the server refuses, or
 * one that no longer fits, falls back to the plain statements.
 */

const postgres = testEngines().find((e) => e.name === 'postgres');

(postgres ? describe : describe.skip)('PostgreSQL plain reads of one form, prepared', () => {
  let h: Harness;
  let db: Database;

  before(async () => {
    h = await openHarness(postgres!);
    await h.db.knex.raw('CREATE TABLE read_form_t (id integer PRIMARY KEY, name text)');
    await h.db.knex('read_form_t').insert([
      { id: 1, name: "o'ne" },
      { id: 2, name: 'two?' },
      { id: 3, name: 'three\\' },
    ]);
    // One connection: what is kept on it is seen by the next message.
    db = openDatabase({ databaseUrl: h.url, dataDir: '', sqliteBusyTimeoutMs: 0, dbPoolMax: 1 });
  });
  after(async () => {
    await db.close();
    await h.drop();
  });

  /** The messages sent while `run` runs, but those of a connection being opened. */
  const pgMessagesWhile = async (run: () => Promise<unknown>) =>
    (await allMessagesWhile(run)).filter((t) => !/^select version\(\)/i.test(t));

  const BY_NAME = fixedSql('SELECT id, name FROM read_form_t WHERE name = ? ORDER BY id');
  const byNames = (names: string[]) =>
    Promise.all(names.map((n) => readRowSet(db.knex, BY_NAME, [n])));
  const NAMES = ["o'ne", 'two?', 'three\\', 'nobody'];
  const EXPECTED = [
    { names: ['id', 'name'], rows: [[1, "o'ne"]] },
    { names: ['id', 'name'], rows: [[2, 'two?']] },
    { names: ['id', 'name'], rows: [[3, 'three\\']] },
    { names: ['id', 'name'], rows: [] },
  ];
  const prepared = async () =>
    (
      (await db.knex.raw(
        "SELECT name FROM pg_prepared_statements WHERE name LIKE 'du\\_f\\_%' ORDER BY name",
      )) as { rows: Array<{ name: string }> }
    ).rows.map((r) => r.name);

  it('reads of one form in one message run as a prepared form, kept, with the same rows', async () => {
    let rows: unknown[] = [];
    const sent = await pgMessagesWhile(async () => (rows = await byNames(NAMES)));
    expect(rows).to.deep.equal(EXPECTED);
    expect(sent).to.have.length(1);
    expect(sent[0]).to.match(/^SELECT du_ensure_prepared\(/);
    expect(sent[0]!.match(/\n;EXECUTE du_f_[0-9a-f]{24}\(/g)).to.have.length(4);
    expect(await prepared()).to.have.length(1);
    // Kept: the next message finds it, and prepares nothing more.
    const again = await pgMessagesWhile(async () => (rows = await byNames(NAMES)));
    expect(rows).to.deep.equal(EXPECTED);
    expect(again).to.have.length(1);
    expect(await prepared()).to.have.length(1);
  });

  it('a read alone goes as it is; query listeners see each read as its own text', async () => {
    const seen: string[] = [];
    const listen = (q: { sql: string }) => seen.push(q.sql);
    db.knex.on('query', listen);
    let sent: string[] = [];
    try {
      sent = await pgMessagesWhile(() => readRowSet(db.knex, BY_NAME, ['nobody']));
      await byNames(['one', 'nobody']);
    } finally {
      db.knex.off('query', listen);
    }
    expect(sent).to.deep.equal([
      "SELECT id, name FROM read_form_t WHERE name = 'nobody' ORDER BY id",
    ]);
    expect(seen).to.deep.equal([
      "SELECT id, name FROM read_form_t WHERE name = 'nobody' ORDER BY id",
      "SELECT id, name FROM read_form_t WHERE name = 'one' ORDER BY id",
      "SELECT id, name FROM read_form_t WHERE name = 'nobody' ORDER BY id",
    ]);
  });

  it('a form gone from the connection: the reads again alone, as text, with their rows; then kept again', async () => {
    await byNames(NAMES);
    // Another client of the connection drops every prepared statement (the setting that
    // says they are there stays).
    await db.knex.raw('DEALLOCATE ALL');
    let rows: unknown[] = [];
    const sent = await pgMessagesWhile(async () => (rows = await byNames(NAMES)));
    expect(rows).to.deep.equal(EXPECTED);
    expect(sent[0]).to.match(/^SELECT du_ensure_prepared\(/);
    expect(sent).to.include('SELECT du_forget_prepared()');
    expect(sent.filter((t) => t.startsWith('SELECT id, name FROM read_form_t'))).to.have.length(4);
    const later = await pgMessagesWhile(async () => (rows = await byNames(NAMES)));
    expect(rows).to.deep.equal(EXPECTED);
    expect(later).to.have.length(1);
    expect(later[0]).to.match(/^SELECT du_ensure_prepared\(/);
    expect(await prepared()).to.have.length(1);
  });

  it('a form the server refuses to prepare: the reads alone, and that form as text from then on', async () => {
    // $1's type cannot be inferred in a PREPARE: refused (42P18); as text it is a literal.
    const UNTYPED = fixedSql('SELECT ? IS NULL AS v');
    const read = (v: string) => readRowSet(db.knex, UNTYPED, [v]);
    let rows: unknown[] = [];
    const sent = await pgMessagesWhile(
      async () => (rows = await Promise.all([read('a'), read('b')])),
    );
    const no = [
      { names: ['v'], rows: [[false]] },
      { names: ['v'], rows: [[false]] },
    ];
    expect(rows).to.deep.equal(no);
    expect(sent[0]).to.match(/^SELECT du_ensure_prepared\(/);
    expect(sent.slice(1)).to.deep.equal(["SELECT 'a' IS NULL AS v", "SELECT 'b' IS NULL AS v"]);
    const later = await pgMessagesWhile(
      async () => (rows = await Promise.all([read('c'), read('d')])),
    );
    expect(later).to.deep.equal(["SELECT 'c' IS NULL AS v\n;SELECT 'd' IS NULL AS v"]);
    expect(rows).to.deep.equal(no);
  });
});
