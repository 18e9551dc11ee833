/**
 * A syncMultipleLeads batch on PostgreSQL, by message: the locks, the statuses and the people
 * go in one message with BEGIN; the UPDATE takes its change_seq values itself and checks its own
 * count, and goes with the inserts and COMMIT; a batch that creates people reads their ids
 * between the two. And what that must not change: change_seq follows the order of the records,
 * batches that run at once over the same people leave every change and its activity, and a
 * person deleted between the batch's read and its write has the batch run again.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { BatchSession } from '../../src/data-access/batch/batch-session.js';
import { AppError } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import {
  createLead,
  expectNoViolations,
  openHarness,
  web,
  type Harness,
} from '../support/harness.js';
import { pgMessagesWhile } from '../support/pg-messages.js';

const postgres = testEngines().find((e) => e.name === 'postgres');

(postgres ? describe : describe.skip)('PostgreSQL batch messages', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await openHarness(postgres!);
  });
  afterEach(async () => {
    sinon.restore();
    await h.drop();
  });

  const named = (email: string, first: string) => ({
    email,
    attributes: [{ name: 'FirstName', value: first }],
  });

  /** id, first name and change_seq of the people at `emails`, in the order of `emails`. */
  async function people(emails: readonly string[]) {
    const rows = (await h.db
      .knex('leads')
      .select('id', 'email', 'first_name', 'change_seq')
      .whereIn('email', [...emails])) as Array<{
      id: number;
      email: string;
      first_name: string | null;
      change_seq: number;
    }>;
    return emails.map((e) => rows.find((r) => r.email === e)!);
  }

  it('updates people by address in two round trips, change_seq in the records’ order', async () => {
    const emails = ['b0@x.example', 'b1@x.example', 'b2@x.example', 'b3@x.example'];
    for (const e of emails) await createLead(h.services, e);
    // A first batch reads the tables' column types, once per database (row-sets.ts).
    await h.services.leads.syncMany([named(emails[0]!, 'Warm')], { path: web });
    const before = await people(emails);
    const order = ['b3@x.example', 'b1@x.example', 'b0@x.example', 'b2@x.example'];
    const sent = await pgMessagesWhile(() =>
      h.services.leads.syncMany(
        order.map((e) => named(e, 'Batch')),
        { path: web },
      ),
    );
    expect(sent).to.have.length(2);
    expect(sent[0]).to.match(
      /^BEGIN; SELECT pg_advisory_xact_lock_shared\([^;]*\); SELECT pg_advisory_xact_lock\(k\) [^;]*; SELECT \* FROM email_status WHERE email_key = ANY\('\{[^;]*\}'\); SELECT .* FROM leads WHERE "email_key" = ANY\('\{[^;]*\}'\) LIMIT \d+$/s,
    );
    // The UPDATE is not awaited for its count: it fails itself when it updates fewer people.
    expect(sent[1]).to.match(
      /^WITH s AS MATERIALIZED .*nextval\('leads_change_seq'\).* u AS \(UPDATE "leads" .* RETURNING 1\)\s+SELECT batch_moved_unless\(\(SELECT count\(\*\) FROM u\) = 4\) AS ok; INSERT INTO "activities" .*; COMMIT;$/s,
    );
    const after = await people(order);
    expect(after.map((p) => p.first_name)).to.deep.equal(['Batch', 'Batch', 'Batch', 'Batch']);
    const seqs = after.map((p) => Number(p.change_seq));
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).to.equal(seqs.length);
    expect(Math.min(...seqs)).to.be.above(Math.max(...before.map((p) => Number(p.change_seq))));
  });

  it('writes a value every record shares once into the write, and times as offsets', async () => {
    const emails = Array.from({ length: 12 }, (_, i) => `c${i}@x.example`);
    for (const e of emails) await createLead(h.services, e);
    await h.services.leads.syncMany([named(emails[0]!, 'Warm')], { path: web });
    const sent = await pgMessagesWhile(() =>
      h.services.leads.syncMany(
        emails.map((e) => named(e, 'Sha?red')),
        { path: web },
      ),
    );
    expect(sent).to.have.length(2);
    // The activities' reason and source, the new first name: one value for all twelve rows.
    expect(sent[1]!.split('Web service API')).to.have.length.below(6);
    expect(sent[1]!.split('Sha\\x3fred').length + sent[1]!.split('Sha?red').length).to.be.below(8);
    // The records' times (thirteen digits each): a base per column, offsets in the rows.
    expect(sent[1]!.match(/\d{13}/g) ?? []).to.have.length.below(6);
    const after = await people(emails);
    expect(after.map((p) => p.first_name)).to.deep.equal(emails.map(() => 'Sha?red'));
    const activities = (await h.db
      .knex('activities')
      .whereIn(
        'lead_id',
        after.map((p) => p.id),
      )
      .where('new_value', 'Sha?red')
      .select('reason', 'source', 'attribute_name')) as Array<Record<string, unknown>>;
    expect(activities).to.have.length(12);
    for (const a of activities)
      expect(a).to.deep.equal({
        reason: 'Web service API',
        source: 'Web service API',
        attribute_name: 'First Name',
      });
  });

  it('creates and updates people in three round trips: the read, the new ids, the writes', async () => {
    const emails = ['m0@x.example', 'm1@x.example'];
    for (const e of emails) await createLead(h.services, e);
    await h.services.leads.syncMany([named(emails[0]!, 'Warm')], { path: web });
    const before = await people(emails);
    // Records in an order that interleaves the changed and the new people.
    const order = ['new0@x.example', 'm1@x.example', 'new1@x.example', 'm0@x.example'];
    let answers: unknown[] = [];
    const sent = await pgMessagesWhile(async () => {
      answers = await h.services.leads.syncMany(
        order.map((e) => named(e, 'Mixed')),
        { path: web },
      );
    });
    expect(answers.map((a) => (a as { status: string }).status)).to.deep.equal([
      'CREATED',
      'UPDATED',
      'CREATED',
      'UPDATED',
    ]);
    expect(sent).to.have.length(3);
    // The new people's ids and every change_seq value of the batch, in one statement.
    expect(sent[1]).to.match(
      /^SELECT nextval\(pg_get_serial_sequence\('leads', 'id'\)\).* UNION ALL SELECT NULL, nextval\('leads_change_seq'\)/s,
    );
    expect(sent[2]).to.match(
      /^WITH u AS \(UPDATE "leads" .* SELECT batch_moved_unless\(\(SELECT count\(\*\) FROM u\) = 2\) AS ok; INSERT INTO "leads" .*; COMMIT;$/s,
    );
    const after = await people(order);
    expect(after.map((p) => p.first_name)).to.deep.equal(['Mixed', 'Mixed', 'Mixed', 'Mixed']);
    const seqs = after.map((p) => Number(p.change_seq));
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).to.equal(seqs.length);
    expect(Math.min(...seqs)).to.be.above(Math.max(...before.map((p) => Number(p.change_seq))));
    await expectNoViolations(h.services);
  });

  it('a person deleted between its read and its write: one ROLLBACK, and the batch runs again', async () => {
    const emails = ['d0@x.example', 'd1@x.example', 'd2@x.example'];
    const ids: number[] = [];
    for (const e of emails) ids.push(await createLead(h.services, e));
    await h.services.leads.syncMany([named(emails[0]!, 'Warm')], { path: web });
    // Deletes take no address lock, and people read by address are not row-locked: only the
    // batch's UPDATE can find that one of them is gone.
    const complete = BatchSession.prototype.complete;
    let deleted = false;
    sinon.stub(BatchSession.prototype, 'complete').callsFake(async function (this: BatchSession) {
      if (!deleted) {
        deleted = true;
        await h.services.leads.delete({ keyType: 'IDNUM', keyValue: String(ids[1]) }, web);
      }
      return complete.call(this);
    });
    let answers: unknown[] = [];
    const sent = await pgMessagesWhile(async () => {
      answers = await h.services.leads.syncMany(
        emails.map((e) => named(e, 'Again')),
        { path: web },
      );
    });
    // The first run: its read, then its writes and COMMIT, refused by the UPDATE's check, then
    // one ROLLBACK. The second: its read, the new person's id, its writes and COMMIT.
    const firstWrite = sent.findIndex((m) => m.includes('batch_moved_unless'));
    expect(sent[firstWrite]).to.match(/; COMMIT;$/);
    expect(sent[firstWrite + 1]).to.equal('ROLLBACK');
    expect(sent.filter((m) => m === 'ROLLBACK')).to.have.length(1);
    // BEGIN's message takes the activity writers' floor lock first (activity-horizon.ts).
    const reads = sent.filter((m) =>
      /^BEGIN; (SELECT pg_advisory_xact_lock_shared\([^;]*\); )?SELECT pg_advisory_xact_lock\(k\)/.test(
        m,
      ),
    );
    expect(reads).to.have.length(2);
    // The deleted person's record created a new person; the others were updated once.
    expect(answers.map((a) => (a as { status: string }).status)).to.deep.equal([
      'UPDATED',
      'CREATED',
      'UPDATED',
    ]);
    const after = await people(emails);
    expect(after.map((p) => p.first_name)).to.deep.equal(['Again', 'Again', 'Again']);
    expect(after[1]!.id).to.not.equal(ids[1]);
    const logged = (await h.db
      .knex('activities')
      .whereIn('lead_id', [ids[0]!, ids[2]!])
      .where({ new_value: 'Again' })
      .count({ n: '*' })) as Array<{ n: unknown }>;
    expect(Number(logged[0]!.n)).to.equal(2);
    await expectNoViolations(h.services);
  });

  it('takes a new change_seq for a person whose rank equals the stored value', async () => {
    // A fresh database: the first person's stored change_seq is low, as is its rank.
    await createLead(h.services, 'rank@x.example');
    const [before] = await people(['rank@x.example']);
    await h.services.leads.syncMany([named('rank@x.example', 'Again')], { path: web });
    const [after] = await people(['rank@x.example']);
    expect(after!.first_name).to.equal('Again');
    expect(Number(after!.change_seq)).to.be.above(Number(before!.change_seq));
  });

  it('batches at once over the same people keep every change, its activity and new ids', async () => {
    const emails = Array.from({ length: 12 }, (_, i) => `c${i}@x.example`);
    for (const e of emails) await createLead(h.services, e);
    // Overlapping subsets, every other one in reverse order, and a new person of each batch's
    // own (those batches take their change_seq values apart from their UPDATE).
    const batches = Array.from({ length: 6 }, (_, b) => {
      const subset = emails.filter((_, i) => (i + b) % 3 !== 0).map((e) => named(e, `B${b}`));
      if (b % 2 === 1) subset.reverse();
      return b < 3 ? [...subset, named(`new-${b}@x.example`, `B${b}`)] : subset;
    });
    const answers = await Promise.all(
      batches.map((records) => h.services.leads.syncMany(records, { path: web })),
    );
    for (const list of answers) for (const a of list) expect(a).to.not.be.instanceOf(AppError);
    const newIds = answers.flatMap((list) =>
      list.filter((a) => !(a instanceof AppError) && a.status === 'CREATED'),
    );
    expect(newIds).to.have.length(3);
    const current = await people(emails);
    const seqs = (await h.db.knex('leads').select('change_seq')) as Array<{ change_seq: number }>;
    expect(new Set(seqs.map((r) => Number(r.change_seq))).size).to.equal(seqs.length);
    const logged = (await h.db
      .knex('activities')
      .select('lead_id', 'new_value')
      .where({ attribute_name: 'First Name' })
      .orderBy('id')) as Array<{ lead_id: number; new_value: string }>;
    for (const [i, p] of current.entries()) {
      const changes = logged.filter((a) => a.lead_id === p.id);
      // One activity per batch that named the person (each sets a name of its own).
      expect(changes).to.have.length(batches.filter((_, b) => (i + b) % 3 !== 0).length);
      expect(changes[changes.length - 1]!.new_value).to.equal(p.first_name);
    }
    await expectNoViolations(h.services);
  });
});
