import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { fixedSql, inlined, type StatementForm } from '../../src/data-access/sql/fixed-sql.js';
import {
  runGroupedStep,
  type StepClient,
  type StepResult,
} from '../../src/data-access/sql/pg-step-group.js';
import { GENERIC_PLANS, groupForms, PLAIN } from '../../src/data-access/sql/pg-step-forms.js';
import { createServices, type Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { createLead, openHarness, web, type Harness } from '../support/harness.js';
import { pgMessagesWhile } from '../support/pg-messages.js';

/**
 * A statement form that repeats in a group of steps on PostgreSQL is prepared once for the
 * group's transaction, run with EXECUTE, and deallocated before the transaction ends, whatever
 * its end (sql/pg-step-forms.ts): nothing prepared is left on the server connection, which a
 * transaction-mode pooler hands to another client next. A server that refuses a PREPARE gets
 * the group again, each statement as it is.
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

  it('prepares a form that repeats, once, and sends its statements as EXECUTE', () => {
    const steps = [
      { statements: ['SELECT 0', a1.text, b.text], forms: [undefined, a1.form, b.form] },
      { statements: [a2.text], forms: [a2.form] },
    ];
    const forms = groupForms(steps, new Set());
    expect(forms.prepare).to.deep.equal([GENERIC_PLANS, 'PREPARE du_step_1 AS SELECT $1 AS x;']);
    expect(forms.statementsOf(steps[0]!)).to.deep.equal([
      'SELECT 0;',
      'EXECUTE du_step_1(1);',
      'SELECT 2 + 1 AS y;',
    ]);
    expect(forms.statementsOf(steps[1]!)).to.deep.equal([`EXECUTE du_step_1('it''s');`]);
    expect(forms.deallocate).to.equal('DEALLOCATE du_step_1;');
  });

  it('prepares nothing when no form repeats, or the one that does was refused', () => {
    const steps = [{ statements: [a1.text], forms: [a1.form] }, { statements: [b.text] }];
    expect(groupForms(steps, new Set())).to.equal(PLAIN);
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

  /** The statements prepared on the pool's one connection, as it goes back to the pool. */
  const prepared = async () =>
    (
      (await db.knex.raw('SELECT name FROM pg_prepared_statements')) as {
        rows: Array<{ name: string }>;
      }
    ).rows.map((r) => r.name);

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

  it('a grouped unsubscribe prepares each repeated statement once and leaves nothing prepared', async () => {
    const people = await addresses(4);
    let results: unknown[] = [];
    const sent = await pgMessagesWhile(
      async () => (results = await Promise.all(people.map(unsubscribe))),
    );
    const groups = sent.filter((t) => /PREPARE du_step_/.test(t));
    expect(groups.length).to.be.greaterThan(0);
    for (const text of groups) {
      const names = [...text.matchAll(/PREPARE (du_step_\d+) AS/g)].map((m) => m[1]!);
      // Each name once, and executed by every step of the group.
      expect(new Set(names).size).to.equal(names.length);
      const steps = text.match(/SAVEPOINT step;/g)!.length;
      expect(steps).to.be.greaterThan(1);
      for (const name of names) {
        expect(text.split(`EXECUTE ${name}(`)).to.have.length(steps + 1);
        expect(text).to.include(`DEALLOCATE ${name}; `);
      }
      // BEGIN's message also takes the activity writers' floor lock (activity-horizon.ts).
      expect(text).to.match(
        /^BEGIN; (SELECT pg_advisory_xact_lock_shared\([^;]*\); )?SET LOCAL plan_cache_mode = force_generic_plan; PREPARE /,
      );
      expect(text).to.match(/; COMMIT;$/);
    }
    expect(await prepared()).to.deep.equal([]);
    // The same unsubscribes, one at a time (each alone: nothing prepared), store the same.
    const alone = await addresses(4);
    const plain: unknown[] = [];
    const sentAlone = await pgMessagesWhile(async () => {
      for (const p of alone) plain.push(await unsubscribe(p));
    });
    expect(sentAlone.filter((t) => /PREPARE|EXECUTE/.test(t))).to.deep.equal([]);
    const strip = (r: unknown) => ({ ...(r as object), leadId: undefined, lead: undefined });
    expect(results.map(strip)).to.deep.equal(plain.map(strip));
    for (let i = 0; i < people.length; i++) {
      const grouped = await stored(people[i]!.key);
      expect(grouped.flags).to.deep.equal([true, true, true]);
      expect(grouped).to.deep.equal(await stored(alone[i]!.key));
    }
  });

  /** Runs `steps` as one group on the pool's connection; each step's results, or its error. */
  const group = (steps: Array<Array<{ text: string; form?: StatementForm }>>) =>
    Promise.allSettled(
      steps.map(
        (statements) =>
          new Promise<StepResult[]>((resolve, reject) =>
            runGroupedStep(db.knex.client as unknown as StepClient, {
              statements: statements.map((s) => s.text),
              forms: statements.map((s) => s.form),
              resolve,
              reject,
            }),
          ),
      ),
    );
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
    expect(sent[0]).to.include('PREPARE du_step_2 AS');
    expect(sent[1]).to.match(/^ROLLBACK TO SAVEPOINT step; RELEASE step; .*EXECUTE du_step_1\(/);
    expect(await prepared()).to.deep.equal([]);
    // The same statements without their forms: sent as they are.
    await h.db.knex.raw('TRUNCATE form_t');
    const plain = await group(steps.map((s) => s.map(({ text }) => ({ text }))));
    expect(rowsOf(outcomes)).to.deep.equal(rowsOf(plain));
    expect(rowsOf(outcomes)[2]).to.equal('failed');
    expect((outcomes[2] as PromiseRejectedResult).reason).to.have.property('code', '23505');
  });

  it('a group that fails leaves nothing prepared (ROLLBACK; DEALLOCATE ALL)', async () => {
    await h.db.knex.raw('TRUNCATE form_t');
    // One step alone, its two inserts of one form: the second fails, the group with it.
    let outcomes: PromiseSettledResult<StepResult[]>[] = [];
    const sent = await pgMessagesWhile(
      async () => (outcomes = await group([[insert(1, 'a'), insert(1, 'b')]])),
    );
    expect(sent[0]).to.include('PREPARE du_step_1 AS');
    expect(sent).to.include('ROLLBACK; DEALLOCATE ALL;');
    expect(outcomes[0]!.status).to.equal('rejected');
    expect(await prepared()).to.deep.equal([]);
    expect(Number((await db.knex('form_t').count({ n: '*' }))[0]!.n)).to.equal(0);
  });

  it('a PREPARE the server refuses: the group again, plainly; the form is not prepared again', async () => {
    await h.db.knex.raw('TRUNCATE form_t');
    // A parameter whose type the server cannot infer (42P18): its plain statement runs.
    const untyped = (v: string) => formed('SELECT ? IS NULL AS missing', [v]);
    const steps = () => [
      [insert(1, 'a'), untyped('x')],
      [insert(2, 'b'), untyped('y')],
    ];
    let outcomes: PromiseSettledResult<StepResult[]>[] = [];
    const sent = await pgMessagesWhile(async () => (outcomes = await group(steps())));
    expect(sent).to.have.length(3);
    expect(sent[0]).to.include('PREPARE du_step_2 AS SELECT $1 IS NULL');
    expect(sent[1]).to.equal('ROLLBACK; DEALLOCATE ALL;');
    expect(sent[2]).not.to.match(/PREPARE|EXECUTE/);
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
    expect(await prepared()).to.deep.equal([]);
    // The next group prepares the other form only.
    await h.db.knex.raw('TRUNCATE form_t');
    const next = await pgMessagesWhile(() => group(steps()));
    expect(next).to.have.length(1);
    expect(next[0]).to.include('PREPARE du_step_1 AS INSERT');
    expect(next[0]).not.to.include('PREPARE du_step_2');
    expect(await prepared()).to.deep.equal([]);
  });

  it('a name left prepared on the connection: cleared, and the group runs', async () => {
    await h.db.knex.raw('TRUNCATE form_t');
    await db.knex.raw('PREPARE du_step_1 AS SELECT 1');
    expect(await prepared()).to.deep.equal(['du_step_1']);
    const outcomes = await group([[insert(1, 'a')], [insert(2, 'b')]]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled']);
    expect(await prepared()).to.deep.equal([]);
    // Not refused for that: prepared again next time.
    const next = await pgMessagesWhile(() => group([[insert(3, 'c')], [insert(4, 'd')]]));
    expect(next[0]).to.include('PREPARE du_step_1 AS INSERT');
  });
});
