import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { fixedSql, inlined, type StatementForm } from '../../src/data-access/sql/fixed-sql.js';
import { type StepResult } from '../../src/data-access/sql/pg-step-group.js';
import {
  formName,
  GENERIC_PLANS,
  groupForms,
  MOST_KEPT,
  PLAIN,
} from '../../src/data-access/sql/pg-step-forms.js';
import { createServices, type Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { stepsAsOneGroup, type GroupedStatement } from '../support/grouped-steps.js';
import { createLead, openHarness, web, type Harness } from '../support/harness.js';
import { pgMessagesWhile } from '../support/pg-messages.js';

/**
 * A statement form of a group of steps on PostgreSQL seen before (or repeated in the group) runs
 * as EXECUTE of a statement prepared on the server connection by du_ensure_prepared, in the
 * group's first message, and kept there for the next transactions (sql/pg-step-forms.ts): named
 * by a hash of its text, at most MOST_KEPT of them, prepared again where the connection lost
 * them (DISCARD ALL, another client's DEALLOCATE), dropped and the group sent plainly when one
 * no longer fits (a table altered). A server that refuses a PREPARE gets the group again, each
 * statement as it is.
 */

/** A statement with its values written in, and its form. */
const formed = (template: string, values: unknown[]) => {
  const text = inlined(fixedSql(template), values)!;
  const form: StatementForm = { template, literals: text.literals };
  return { text: text.postgres, form };
};

describe('statement forms of a group of steps (pg-step-forms.ts)', () => {
  const a1 = formed('SELECT ? AS x', [1]);
  const a2 = formed('SELECT ? AS x', ["it's"]);
  const b = formed('SELECT ? + 1 AS y', [2]);

  it('prepares a form that repeats, by a hash of its text, and sends its statements as EXECUTE', () => {
    const steps = [
      { statements: ['SELECT 0', a1.text, b.text], forms: [undefined, a1.form, b.form] },
      { statements: [a2.text], forms: [a2.form] },
    ];
    const forms = groupForms(steps, new Set());
    const name = formName('SELECT $1 AS x');
    expect(name).to.match(/^du_f_[0-9a-f]{24}$/);
    expect(forms.prepare).to.deep.equal([
      GENERIC_PLANS,
      `SELECT du_ensure_prepared(ARRAY['${name}']::text[], ARRAY['SELECT $1 AS x']::text[], ${MOST_KEPT});`,
    ]);
    expect(forms.statementsOf(steps[0]!)).to.deep.equal([
      'SELECT 0;',
      `EXECUTE ${name}(1);`,
      'SELECT 2 + 1 AS y;',
    ]);
    expect(forms.statementsOf(steps[1]!)).to.deep.equal([`EXECUTE ${name}('it''s');`]);
  });

  it('prepares a form that comes once when it was seen before; nothing new, nothing refused', () => {
    const steps = [{ statements: [a1.text], forms: [a1.form] }, { statements: [b.text] }];
    expect(groupForms(steps, new Set())).to.equal(PLAIN);
    const seen = new Map([[a1.form.template, 2]]);
    expect(groupForms(steps, new Set(), seen).templates).to.deep.equal([a1.form.template]);
    const both = [
      { statements: [a1.text], forms: [a1.form] },
      { statements: [a2.text], forms: [a2.form] },
    ];
    expect(groupForms(both, new Set([a1.form.template]))).to.equal(PLAIN);
  });
});

const postgres = testEngines().find((e) => e.name === 'postgres');

(postgres ? describe : describe.skip)('PostgreSQL: repeated statements of a group prepared', () => {
  let h: Harness;
  // One connection: what the group leaves on it is what the next statement finds.
  let db: Database;
  let services: Services;
  let run = 0;

  before(async () => {
    h = await openHarness(postgres!);
    db = openDatabase({ databaseUrl: h.url, dataDir: '', sqliteBusyTimeoutMs: 0, dbPoolMax: 1 });
    services = createServices(
      db,
      { customFields: [], defaultPartition: 'Default' },
      // One instant: the grouped and the plain unsubscribes store the same times.
      { now: () => Date.UTC(2026, 5, 1) },
    );
    await h.db.knex.raw('CREATE TABLE form_t (id integer PRIMARY KEY, name text, n integer)');
  });
  after(async () => {
    await db.close();
    await h.drop();
  });

  /** The service's statements prepared on the pool's one connection, by name. */
  const prepared = async () =>
    (
      (await db.knex.raw(
        "SELECT name, prepare_time FROM pg_prepared_statements WHERE name LIKE 'du\\_f\\_%' ORDER BY name",
      )) as { rows: Array<{ name: string; prepare_time: Date }> }
    ).rows;
  const preparedNames = async () => (await prepared()).map((r) => r.name);

  /** `n` addresses of three people each; the first of each is the one synced. */
  const addresses = async (n: number) => {
    run++;
    const out: Array<{ key: string; id: number }> = [];
    for (let i = 0; i < n; i++) {
      const key = `f${run}-${i}@forms.example`;
      const id = await createLead(h.services, key);
      await createLead(h.services, key);
      await createLead(h.services, key);
      out.push({ key, id });
    }
    return out;
  };

  const unsubscribe = (p: { key: string; id: number }) =>
    services.leads.sync(
      { id: p.id, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
      { path: web },
    );

  /** What an unsubscribe stored for an address, without its ids and address. */
  const stored = async (key: string) => {
    const people = db.knex('leads').where('email_key', key).select('id');
    const status = (await db.knex('email_status').where('email_key', key).first()) as Record<
      string,
      unknown
    >;
    return {
      flags: await db.knex('leads').where('email_key', key).orderBy('id').pluck('unsubscribed'),
      status: { ...status, email_key: undefined, lead_id: undefined },
      history: Number(
        (
          (await db.knex('email_status_history').where('email_key', key).count({ n: '*' })) as [
            { n: string },
          ]
        )[0].n,
      ),
      activities: (
        await db
          .knex('activity_log')
          .whereIn('lead_id', people)
          .orderBy('id')
          .select('activity_type', 'attribute_name', 'old_value', 'new_value', 'reason', 'source')
      ).map((r: Record<string, unknown>) => JSON.stringify(r)),
    };
  };

  it('a grouped unsubscribe prepares its statements once on the connection and keeps them', async () => {
    const people = await addresses(4);
    let results: unknown[] = [];
    const sent = await pgMessagesWhile(
      async () => (results = await Promise.all(people.map(unsubscribe))),
    );
    // The groups' messages (the turn's reads, before them, make sure of their own form).
    const groups = sent.filter((t) => t.startsWith('BEGIN;') && /du_ensure_prepared/.test(t));
    expect(groups.length).to.be.greaterThan(0);
    for (const text of groups) {
      // BEGIN's message also takes the activity writers' floor lock (activity-horizon.ts).
      expect(text).to.match(
        /^BEGIN; (SELECT pg_advisory_xact_lock_shared\([^;]*\); )?SET LOCAL plan_cache_mode = force_generic_plan; SELECT du_ensure_prepared\(ARRAY\[/,
      );
      expect(text).to.match(/ EXECUTE du_f_[0-9a-f]{24}\(/);
      expect(text).to.match(/; COMMIT;$/);
    }
    expect(sent.filter((t) => /DEALLOCATE|PREPARE du_/.test(t))).to.deep.equal([]);
    const kept = await prepared();
    expect(kept.length).to.be.greaterThan(0);
    // The same unsubscribes, one at a time: run with the statements kept, none prepared again.
    const alone = await addresses(4);
    const one: unknown[] = [];
    const sentAlone = await pgMessagesWhile(async () => {
      for (const p of alone) one.push(await unsubscribe(p));
    });
    expect(sentAlone.filter((t) => /EXECUTE du_f_/.test(t)).length).to.be.greaterThan(0);
    expect(await prepared()).to.deep.equal(kept);
    const strip = (r: unknown) => ({ ...(r as object), leadId: undefined, lead: undefined });
    expect(results.map(strip)).to.deep.equal(one.map(strip));
    for (let i = 0; i < people.length; i++) {
      const grouped = await stored(people[i]!.key);
      expect(grouped.flags).to.deep.equal([true, true, true]);
      expect(grouped).to.deep.equal(await stored(alone[i]!.key));
    }
  });

  /** Runs `steps` as one group on the pool's connection; each step's results, or its error. */
  const group = (steps: GroupedStatement[][]) => Promise.allSettled(stepsAsOneGroup(db, steps));
  const rowsOf = (outcomes: PromiseSettledResult<StepResult[]>[]) =>
    outcomes.map((o) =>
      o.status === 'fulfilled' ? o.value.map((r) => [r.rows, r.rowCount]) : 'failed',
    );

  const insert = (id: number, name: string) =>
    formed('INSERT INTO form_t (id, name, n) VALUES (?, ?, ?) RETURNING id, name, n', [
      id,
      name,
      id * 2,
    ]);
  const read = (id: number) =>
    formed('SELECT id, name, n + ? AS m FROM form_t WHERE id = ?', [1, id]);

  const insertName = formName(
    'INSERT INTO form_t (id, name, n) VALUES ($1, $2, $3) RETURNING id, name, n',
  );

  it('gives what the plain statements give, and a step that fails fails alone', async () => {
    await h.db.knex.raw('TRUNCATE form_t');
    const steps = [
      [insert(1, "o'ne"), read(1)],
      [insert(2, 'two?'), read(2)],
      // A key taken: this step fails, the others are stored.
      [insert(1, 'again'), read(1)],
      [insert(3, 'three\\'), read(3)],
    ];
    let outcomes: PromiseSettledResult<StepResult[]>[] = [];
    const sent = await pgMessagesWhile(async () => (outcomes = await group(steps)));
    expect(sent[0]).to.include('SELECT du_ensure_prepared(');
    expect(sent[1]).to.match(/^ROLLBACK TO SAVEPOINT step; RELEASE step; .*EXECUTE du_f_/);
    expect(await preparedNames()).to.include(insertName);
    // The same statements without their forms: sent as they are.
    await h.db.knex.raw('TRUNCATE form_t');
    const plain = await group(steps.map((s) => s.map(({ text }) => ({ text }))));
    expect(rowsOf(outcomes)).to.deep.equal(rowsOf(plain));
    expect(rowsOf(outcomes)[2]).to.equal('failed');
    expect((outcomes[2] as PromiseRejectedResult).reason).to.have.property('code', '23505');
  });

  it('a group that fails is rolled back; what was prepared stays, and serves the next', async () => {
    await h.db.knex.raw('TRUNCATE form_t');
    const before = await prepared();
    // One step alone, its two inserts of one form: the second fails, the group with it.
    let outcomes: PromiseSettledResult<StepResult[]>[] = [];
    const sent = await pgMessagesWhile(
      async () => (outcomes = await group([[insert(1, 'a'), insert(1, 'b')]])),
    );
    expect(sent[0]).to.include(`EXECUTE ${insertName}(`);
    expect(sent.slice(1)).to.deep.equal(['ROLLBACK']);
    expect(outcomes[0]!.status).to.equal('rejected');
    expect(await prepared()).to.deep.equal(before);
    expect(Number((await db.knex('form_t').count({ n: '*' }))[0]!.n)).to.equal(0);
    const next = await group([[insert(1, 'a')], [insert(2, 'b')]]);
    expect(next.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled']);
  });

  it('a PREPARE the server refuses: the group again, plainly; the form is not prepared again', async () => {
    await h.db.knex.raw('TRUNCATE form_t');
    await db.knex.raw('SELECT du_forget_prepared()');
    // A parameter whose type the server cannot infer (42P18): its plain statement runs.
    const untyped = (v: string) => formed('SELECT ? IS NULL AS missing', [v]);
    const steps = () => [
      [insert(1, 'a'), untyped('x')],
      [insert(2, 'b'), untyped('y')],
    ];
    let outcomes: PromiseSettledResult<StepResult[]>[] = [];
    const sent = await pgMessagesWhile(async () => (outcomes = await group(steps())));
    expect(sent).to.have.length(3);
    expect(sent[0]).to.include('SELECT $1 IS NULL');
    expect(sent[1]).to.equal('ROLLBACK;');
    expect(sent[2]).not.to.match(/du_ensure_prepared|EXECUTE/);
    expect(rowsOf(outcomes)).to.deep.equal([
      [
        [[{ id: 1, name: 'a', n: 2 }], 1],
        [[{ missing: false }], 1],
      ],
      [
        [[{ id: 2, name: 'b', n: 4 }], 1],
        [[{ missing: false }], 1],
      ],
    ]);
    // The insert, prepared before the refusal in the same call, stays (it is right).
    expect(await preparedNames()).to.deep.equal([insertName]);
    // The next group runs the other form prepared, the refused one as it is.
    await h.db.knex.raw('TRUNCATE form_t');
    const next = await pgMessagesWhile(() => group(steps()));
    expect(next).to.have.length(1);
    expect(next[0]).to.include(`EXECUTE ${insertName}(`);
    expect(next[0]).not.to.include("IS NULL AS missing'");
    expect(next[0]).to.include("SELECT 'x' IS NULL AS missing;");
  });

  it("keeps at most the bound of statements; another build's and other clients' names are left alone", async () => {
    await db.knex.raw('SELECT du_forget_prepared()');
    await db.knex.raw('PREPARE du_step_1 AS SELECT 1');
    await db.knex.raw(`PREPARE ${formName('SELECT 42')} AS SELECT 42`);
    const texts = [1, 2, 3, 4, 5].map((i) => `SELECT ${i} + $1::int`);
    const names = texts.map(formName);
    const literal = (values: string[]) =>
      `ARRAY[${values.map((v) => `'${v}'`).join(', ')}]::text[]`;
    await db.knex.raw(`SELECT du_ensure_prepared(${literal(names)}, ${literal(texts)}, 3)`);
    const kept = await preparedNames();
    expect(kept.length).to.be.at.most(3);
    expect(kept).to.include(names[4]);
    const all = (
      (await db.knex.raw('SELECT name FROM pg_prepared_statements')) as {
        rows: Array<{ name: string }>;
      }
    ).rows.map((r) => r.name);
    expect(all).to.include('du_step_1');
    await db.knex.raw('DEALLOCATE du_step_1');
    // Another build's name of the same text is the same statement: used, not prepared again.
    await db.knex.raw('SELECT du_forget_prepared()');
    await db.knex.raw(
      `PREPARE ${insertName} AS INSERT INTO form_t (id, name, n) VALUES ($1, $2, $3) RETURNING id, name, n`,
    );
    const [time] = await prepared();
    await h.db.knex.raw('TRUNCATE form_t');
    const outcomes = await group([[insert(1, 'a')], [insert(2, 'b')]]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled']);
    expect((await prepared()).find((r) => r.name === insertName)).to.deep.equal(time);
  });

  it('prepares again where the connection lost its statements (DISCARD ALL, RESET ALL, DEALLOCATE ALL)', async () => {
    for (const reset of ['DISCARD ALL', 'RESET ALL', 'DEALLOCATE ALL']) {
      await h.db.knex.raw('TRUNCATE form_t');
      expect(
        (await group([[insert(1, 'a')], [insert(2, 'b')]])).map((o) => o.status),
      ).to.deep.equal(['fulfilled', 'fulfilled']);
      expect(await preparedNames()).to.include(insertName);
      await db.knex.raw(reset);
      const outcomes = await group([
        [insert(3, 'c'), read(3)],
        [insert(4, 'd'), read(4)],
      ]);
      expect(rowsOf(outcomes), reset).to.deep.equal([
        [
          [[{ id: 3, name: 'c', n: 6 }], 1],
          [[{ id: 3, name: 'c', m: 7 }], 1],
        ],
        [
          [[{ id: 4, name: 'd', n: 8 }], 1],
          [[{ id: 4, name: 'd', m: 9 }], 1],
        ],
      ]);
      await group([[insert(5, 'e')], [insert(6, 'f')]]);
      expect(await preparedNames(), reset).to.include(insertName);
    }
  });

  it('a table altered between groups: the statement that no longer fits is dropped, the group runs plainly', async () => {
    await h.db.knex.raw('TRUNCATE form_t');
    await h.db.knex.raw("INSERT INTO form_t VALUES (1, 'a', 2), (2, 'b', 4)");
    const whole = (id: number) => formed('SELECT * FROM form_t WHERE id = ?', [id]);
    const first = await group([[whole(1)], [whole(2)]]);
    expect(rowsOf(first)).to.deep.equal([
      [[[{ id: 1, name: 'a', n: 2 }], 1]],
      [[[{ id: 2, name: 'b', n: 4 }], 1]],
    ]);
    await h.db.knex.raw("ALTER TABLE form_t ADD COLUMN extra text DEFAULT 'x'");
    try {
      let outcomes: PromiseSettledResult<StepResult[]>[] = [];
      const sent = await pgMessagesWhile(
        async () => (outcomes = await group([[whole(1)], [whole(2)]])),
      );
      expect(sent).to.include('ROLLBACK; SELECT du_forget_prepared();');
      expect(rowsOf(outcomes)).to.deep.equal([
        [[[{ id: 1, name: 'a', n: 2, extra: 'x' }], 1]],
        [[[{ id: 2, name: 'b', n: 4, extra: 'x' }], 1]],
      ]);
      // The next group prepares it afresh.
      const next = await pgMessagesWhile(() => group([[whole(1)], [whole(2)]]));
      expect(next).to.have.length(1);
      expect(await preparedNames()).to.include(formName('SELECT * FROM form_t WHERE id = $1'));
    } finally {
      await h.db.knex.raw('ALTER TABLE form_t DROP COLUMN extra');
    }
  });
});
