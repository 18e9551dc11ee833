import { expect } from 'chai';
import {
  ACTIVITY_WRITER_LOCK_CLASS,
  WRITER_FLOOR_LOCK,
} from '../../src/data-access/activity-horizon.js';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { fixedSql, inlined, type StatementForm } from '../../src/data-access/sql/fixed-sql.js';
import { formName } from '../../src/data-access/sql/pg-step-forms.js';
import { type StepResult } from '../../src/data-access/sql/pg-step-group.js';
import { testEngines } from '../support/database.js';
import { stepsAsOneGroup, type GroupedStatement } from '../support/grouped-steps.js';
import { openHarness, type Harness } from '../support/harness.js';
import { pgMessagesWhile } from '../support/pg-messages.js';

/**
 * A group of steps on PostgreSQL that runs kept prepared statements (pg-step-forms.ts) takes
 * the activity writers' floor lock (activity-horizon.ts) as one of them: prepared with the
 * forms, run as EXECUTE right after the ensuring, before any step; as text, at the head of
 * the transaction, when nothing is prepared. Either way the steps run holding it.
 */

const postgres = testEngines().find((e) => e.name === 'postgres');

(postgres ? describe : describe.skip)('PostgreSQL: the floor lock of a group of steps', () => {
  let h: Harness;
  let db: Database;

  before(async () => {
    h = await openHarness(postgres!);
    db = openDatabase({ databaseUrl: h.url, dataDir: '', sqliteBusyTimeoutMs: 0, dbPoolMax: 1 });
    await h.db.knex.raw('CREATE TABLE floor_t (id integer PRIMARY KEY)');
  });
  after(async () => {
    await db.close();
    await h.drop();
  });

  const formed = (template: string, values: unknown[]) => {
    const text = inlined(fixedSql(template), values)!;
    const form: StatementForm = { template, literals: text.literals };
    return { text: text.postgres, form };
  };
  /** Each step's results, run as one group on the pool's one connection. */
  const group = (steps: GroupedStatement[][]) => Promise.all(stepsAsOneGroup(db, steps));
  // The transaction's own floor lock, held when the step runs.
  const held = formed(
    `SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2
       AND pid = pg_backend_pid() AND granted AND classid::bigint >= ?`,
    [ACTIVITY_WRITER_LOCK_CLASS],
  );
  const insert = (id: number) => formed('INSERT INTO floor_t (id) VALUES (?)', [id]);
  /** The groups' messages (a new connection's first message is knex's version query). */
  const groupsSent = async (run: () => Promise<unknown>) =>
    (await pgMessagesWhile(run)).filter((t) => t.startsWith('BEGIN;'));

  it('runs it kept prepared, after the ensuring and before the steps, which hold it', async () => {
    const floorName = formName(WRITER_FLOOR_LOCK);
    let results: StepResult[][] = [];
    const sent = await groupsSent(
      async () =>
        (results = await group([
          [insert(1), held],
          [insert(2), held],
        ])),
    );
    expect(sent).to.have.length(1);
    expect(sent[0]).to.match(
      new RegExp(
        `^BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; SELECT du_ensure_prepared\\(ARRAY\\[[^\\]]*'${floorName}'\\][^;]*; EXECUTE ${floorName}; SAVEPOINT step; EXECUTE `,
      ),
    );
    // Its text goes in the ensuring's array only, not as a statement of the message.
    expect(sent[0]).not.to.match(/(^|; )SELECT pg_advisory_xact_lock_shared/);
    expect(results.map((r) => r[1]!.rows)).to.deep.equal([[{ held: 1 }], [{ held: 1 }]]);
    const kept = (await db.knex.raw('SELECT name FROM pg_prepared_statements WHERE name = ?', [
      floorName,
    ])) as { rows: unknown[] };
    expect(kept.rows).to.have.length(1);
  });

  it('sends it as text when nothing is prepared, and the steps hold it', async () => {
    const plain = (id: number) => [
      { text: `INSERT INTO floor_t (id) VALUES (${id})` },
      { text: held.text },
    ];
    let results: StepResult[][] = [];
    const sent = await groupsSent(async () => (results = await group([plain(3), plain(4)])));
    expect(sent[0]).to.match(/^BEGIN; SELECT pg_advisory_xact_lock_shared\([^;]*\); SAVEPOINT/);
    expect(results.map((r) => r[1]!.rows)).to.deep.equal([[{ held: 1 }], [{ held: 1 }]]);
  });
});
