/**
 * 20261206000000_idna_domain_keys on both engines: keys stored before the domain's IDNA
 * mapping (a mathematical or circled letter, a superscript, a half-width form in the domain)
 * are re-keyed to the key of their address; spellings that now share a key merge their master
 * statuses (an opt-out wins, a complaint over a plain opt-out), the people of a subscribed
 * spelling follow with an activity "Email key migration", the Salesforce keys follow (the
 * newest opt-out order kept per address), other keys are untouched, and `down` restores every
 * key without undoing an unsubscribe.
 */
import { expect } from 'chai';
import * as idna from '../../migrations/20261206000000_idna_domain_keys.js';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import {
  expectInvariant,
  keysAndFlags,
  migrationActivities,
  personRow,
  statusRow,
  statusRowOf,
  storePeopleAndStatuses,
} from '../support/stored-rows.js';

type Row = Record<string, unknown>;

const WEB = 'Web service API';
const BOLD_E = '\u{1d41e}';
const CIRCLED_E = '\u24d4';

/** A Salesforce record last reported with `email` under `key`. */
const record = (id: string, email: string, key: string) => ({
  record_id: id,
  organization_id: null,
  object_type: 'Lead',
  changed_at: 1,
  reported_fields: JSON.stringify({ Email: email }),
  updated_at: 1,
  email_key: key,
});

/** What the previous version stored: the domain folded, not mapped. */
async function seed(db: Database): Promise<void> {
  await storePeopleAndStatuses(
    db,
    [
      personRow(1, `Ann@${BOLD_E}xample.com`, `ann@${BOLD_E}xample.com`, true),
      personRow(2, 'ann@example.com', 'ann@example.com', false),
      personRow(3, `bob@${CIRCLED_E}xample.org`, `bob@${CIRCLED_E}xample.org`, false),
      personRow(4, 'Bob@\u24baxample.org', `bob@${CIRCLED_E}xample.org`, false),
      personRow(5, 'carl@x\u00b2.example', 'carl@x\u00b2.example', true),
      personRow(6, 'plain@b\u00fccher.de', 'plain@b\u00fccher.de', false),
      personRow(7, 'dora@\uff76.jp', 'dora@\uff76.jp', true),
      personRow(8, `${BOLD_E}ve@example.com`, `${BOLD_E}ve@example.com`, false),
    ],
    [
      statusRow(`ann@${BOLD_E}xample.com`, true, 100, WEB, WEB, 1),
      statusRow('ann@example.com', false, 200, WEB, WEB, 2),
      statusRow('bob@example.org', true, 50, 'Unsubscribe link', WEB, 99),
      statusRow('carl@x\u00b2.example', true, 300, WEB, WEB, 5),
      { ...statusRow('carl@x2.example', true, 10, 'Spam complaint', WEB, 98) },
      statusRow('dora@\uff76.jp', true, 20, WEB, WEB, 7),
    ],
  );
  await db
    .knex('email_status')
    .where('email_key', 'carl@x2.example')
    .update({ opt_outs_recorded_since: 5000 });
  await db
    .knex('salesforce_records')
    .insert([
      record('00Q000000000001AAA', `ann@${BOLD_E}xample.com`, `ann@${BOLD_E}xample.com`),
      record('00Q000000000002AAA', 'plain@b\u00fccher.de', 'plain@b\u00fccher.de'),
    ]);
  await db.knex('salesforce_address_opt_outs').insert([
    { email_key: `ann@${BOLD_E}xample.com`, changed_at: 700 },
    { email_key: `ann@${CIRCLED_E}xample.com`, changed_at: 900 },
    { email_key: 'ann@example.com', changed_at: 800 },
    { email_key: 'plain@b\u00fccher.de', changed_at: 600 },
  ]);
}

async function salesforceKeys(db: Database) {
  const records = (await db.knex('salesforce_records').orderBy('record_id')) as Row[];
  const optOuts = (await db.knex('salesforce_address_opt_outs')) as Row[];
  return {
    records: records.map((r) => r.email_key),
    // In JavaScript's order, whatever the engine's collation.
    optOuts: optOuts
      .map((r) => [String(r.email_key), Number(r.changed_at)] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  };
}

for (const engine of testEngines()) {
  describe(`IDNA domain keys migration (${engine.name})`, function () {
    this.timeout(60000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    before(async () => {
      made = await engine.create();
      await idna.down(made.db.knex);
      await seed(made.db);
    });
    after(() => made?.drop());

    it('re-keys, merges statuses (an opt-out wins) and unsubscribes the other spellings with an activity', async () => {
      const db = made.db;
      const before = Date.now();
      await idna.up(db.knex);
      expect(await keysAndFlags(db)).to.deep.equal([
        [1, 'ann@example.com', true],
        [2, 'ann@example.com', true],
        [3, 'bob@example.org', true],
        [4, 'bob@example.org', true],
        [5, 'carl@x2.example', true],
        [6, 'plain@b\u00fccher.de', false],
        [7, 'dora@\u30ab.jp', true],
        [8, `${BOLD_E}ve@example.com`, false],
      ]);
      for (const gone of [`ann@${BOLD_E}xample.com`, 'carl@x\u00b2.example', 'dora@\uff76.jp'])
        expect(await statusRowOf(db, gone), gone).to.equal(undefined);
      const ann = await statusRowOf(db, 'ann@example.com');
      expect(Boolean(ann?.unsubscribed)).to.equal(true);
      expect(Number(ann?.lead_id)).to.equal(1);
      // The complaint (protected) wins over a later plain opt-out; the opt-outs of the spelling
      // that recorded none are recorded from the migration on.
      const carl = await statusRowOf(db, 'carl@x2.example');
      expect(carl?.reason).to.equal('Spam complaint');
      expect(Number(carl?.opt_outs_recorded_since)).to.be.at.least(before);
      expect(Boolean((await statusRowOf(db, 'dora@\u30ab.jp'))?.unsubscribed)).to.equal(true);

      const activities = await migrationActivities(db);
      expect(activities.map((a) => [Number(a.lead_id), a.old_value, a.new_value])).to.deep.equal([
        [2, 'false', 'true'],
        [3, 'false', 'true'],
        [4, 'false', 'true'],
      ]);
      expect(Number(activities[0]!.cause_lead_id)).to.equal(1);

      // The history of every spelling reads under the new key, with the key it had.
      const history = (await db
        .knex('email_status_history')
        .where('email_key', 'ann@example.com')
        .orderBy('id')) as Row[];
      expect(history.map((h) => h.idna_mapped_from ?? null)).to.deep.equal([
        `ann@${BOLD_E}xample.com`,
        null,
        null,
      ]);
      // The Salesforce keys follow: the newest opt-out order of the merged spellings is kept.
      expect(await salesforceKeys(db)).to.deep.equal({
        records: ['ann@example.com', 'plain@b\u00fccher.de'],
        optOuts: [
          ['ann@example.com', 900],
          ['plain@b\u00fccher.de', 600],
        ],
      });
      await expectInvariant(db);
    });

    it('rolls back: every key as before, each spelling with a status, no unsubscribe undone; and forth', async () => {
      const db = made.db;
      await idna.down(db.knex);
      expect(await keysAndFlags(db)).to.deep.equal([
        [1, `ann@${BOLD_E}xample.com`, true],
        [2, 'ann@example.com', true],
        [3, `bob@${CIRCLED_E}xample.org`, true],
        [4, `bob@${CIRCLED_E}xample.org`, true],
        [5, 'carl@x\u00b2.example', true],
        [6, 'plain@b\u00fccher.de', false],
        [7, 'dora@\uff76.jp', true],
        [8, `${BOLD_E}ve@example.com`, false],
      ]);
      expect((await statusRowOf(db, 'carl@x\u00b2.example'))?.reason).to.equal('Spam complaint');
      const history = (await db
        .knex('email_status_history')
        .where('email_key', `ann@${BOLD_E}xample.com`)) as Row[];
      expect(history).to.have.length(1);
      expect(await salesforceKeys(db)).to.deep.equal({
        records: [`ann@${BOLD_E}xample.com`, 'plain@b\u00fccher.de'],
        optOuts: [
          ['ann@example.com', 900],
          [`ann@${CIRCLED_E}xample.com`, 900],
          [`ann@${BOLD_E}xample.com`, 900],
          ['plain@b\u00fccher.de', 600],
        ],
      });
      await expectInvariant(db);

      await idna.up(db.knex);
      expect((await keysAndFlags(db)).map(([, key]) => key)).to.deep.equal([
        'ann@example.com',
        'ann@example.com',
        'bob@example.org',
        'bob@example.org',
        'carl@x2.example',
        'plain@b\u00fccher.de',
        'dora@\u30ab.jp',
        `${BOLD_E}ve@example.com`,
      ]);
      // Nobody was unsubscribed twice.
      expect(await migrationActivities(db)).to.have.length(3);
      await expectInvariant(db);
    });
  });
}
