/**
 * 20261204000100_mailbox_spellings on both engines: keys stored before the mailbox spellings
 * (a Punycode domain, a trailing dot, an ideographic full stop, a quoted local part) are
 * re-keyed to the key of their address; spellings that now share a key merge their master
 * statuses (an opt-out wins, a complaint over a plain opt-out), the people of a subscribed
 * spelling follow with an activity "Email key migration", other keys are untouched, and `down`
 * restores every key without undoing an unsubscribe.
 */
import { expect } from 'chai';
import * as mailbox from '../../migrations/20261204000100_mailbox_spellings.js';
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

/** What the previous version stored: keys case-folded only. */
async function seed(db: Database): Promise<void> {
  await storePeopleAndStatuses(
    db,
    [
      personRow(1, 'Ann@XN--BCHER-KVA.DE', 'ann@xn--bcher-kva.de', true),
      personRow(2, 'ann@bücher.de', 'ann@bücher.de', false),
      personRow(3, 'bob@example.com.', 'bob@example.com.', false),
      personRow(4, 'bob@example.com', 'bob@example.com', true),
      personRow(5, '"carl"@example.com', '"carl"@example.com', true),
      personRow(6, 'plain@example.com', 'plain@example.com', false),
      personRow(7, 'dora@bücher.de', 'dora@bücher.de', false),
    ],
    [
      statusRow('ann@xn--bcher-kva.de', true, 100, 'Web service API', WEB, 1),
      statusRow('ann@bücher.de', false, 200, 'Web service API', WEB, 2),
      statusRow('bob@example.com', true, 50, 'Spam complaint', WEB, 4),
      statusRow('"carl"@example.com', true, 300, 'Web service API', WEB, 5),
      statusRow('carl@example.com', true, 10, 'Spam complaint', WEB, 98),
      statusRow('dora@bücher。de', true, 20, 'Unsubscribe link', WEB, 99),
    ],
  );
}

for (const engine of testEngines()) {
  describe(`mailbox spellings migration (${engine.name})`, function () {
    this.timeout(60000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    before(async () => {
      made = await engine.create();
      await mailbox.down(made.db.knex);
      await seed(made.db);
    });
    after(() => made?.drop());

    it('re-keys, merges statuses (an opt-out wins) and unsubscribes the other spellings with an activity', async () => {
      const db = made.db;
      await mailbox.up(db.knex);
      expect(await keysAndFlags(db)).to.deep.equal([
        [1, 'ann@bücher.de', true],
        [2, 'ann@bücher.de', true],
        [3, 'bob@example.com', true],
        [4, 'bob@example.com', true],
        [5, 'carl@example.com', true],
        [6, 'plain@example.com', false],
        [7, 'dora@bücher.de', true],
      ]);
      for (const gone of ['ann@xn--bcher-kva.de', '"carl"@example.com', 'dora@bücher。de'])
        expect(await statusRowOf(db, gone), gone).to.equal(undefined);
      const ann = await statusRowOf(db, 'ann@bücher.de');
      expect(Boolean(ann?.unsubscribed)).to.equal(true);
      expect(Number(ann?.lead_id)).to.equal(1);
      // The complaint (protected) wins over a later plain opt-out.
      expect((await statusRowOf(db, 'carl@example.com'))?.reason).to.equal('Spam complaint');
      expect(Boolean((await statusRowOf(db, 'dora@bücher.de'))?.unsubscribed)).to.equal(true);

      const activities = await migrationActivities(db);
      expect(
        activities.map((a) => [Number(a.lead_id), a.attribute_name, a.old_value, a.new_value]),
      ).to.deep.equal([
        [2, 'Unsubscribed', 'false', 'true'],
        [3, 'Unsubscribed', 'false', 'true'],
        [7, 'Unsubscribed', 'false', 'true'],
      ]);
      expect(Number(activities[0]!.cause_lead_id)).to.equal(1);

      // The history of every spelling reads under the new key, with the key it had.
      const history = (await db
        .knex('email_status_history')
        .where('email_key', 'ann@bücher.de')
        .orderBy('id')) as Row[];
      expect(history.map((h) => h.respelled_from ?? null)).to.deep.equal([
        'ann@xn--bcher-kva.de',
        null,
        null,
      ]);
      await expectInvariant(db);
    });

    it('rolls back: every key as before, each spelling with a status, no unsubscribe undone; and forth', async () => {
      const db = made.db;
      await mailbox.down(db.knex);
      expect(await keysAndFlags(db)).to.deep.equal([
        [1, 'ann@xn--bcher-kva.de', true],
        [2, 'ann@bücher.de', true],
        [3, 'bob@example.com.', true],
        [4, 'bob@example.com', true],
        [5, '"carl"@example.com', true],
        [6, 'plain@example.com', false],
        [7, 'dora@bücher.de', true],
      ]);
      expect((await statusRowOf(db, '"carl"@example.com'))?.reason).to.equal('Spam complaint');
      expect(Boolean((await statusRowOf(db, 'dora@bücher。de'))?.unsubscribed)).to.equal(true);
      const history = (await db
        .knex('email_status_history')
        .where('email_key', 'ann@xn--bcher-kva.de')) as Row[];
      expect(history).to.have.length(1);
      await expectInvariant(db);

      await mailbox.up(db.knex);
      expect((await keysAndFlags(db)).map(([, key]) => key)).to.deep.equal([
        'ann@bücher.de',
        'ann@bücher.de',
        'bob@example.com',
        'bob@example.com',
        'carl@example.com',
        'plain@example.com',
        'dora@bücher.de',
      ]);
      // Nobody was unsubscribed twice.
      expect(await migrationActivities(db)).to.have.length(3);
      await expectInvariant(db);
    });
  });
}
