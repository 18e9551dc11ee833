/**
 * 20261203001100_folded_email_keys on both engines: stored non-ASCII keys are re-keyed to the
 * folded key; spellings that now share a key merge their master statuses (an opt-out wins, a
 * complaint over a plain opt-out), the people of the subscribed spelling follow with an
 * activity "Email key migration", ASCII rows are untouched, and `down` restores every key
 * without undoing an unsubscribe.
 */
import { expect } from 'chai';
import * as folded from '../../migrations/20261203001100_folded_email_keys.js';
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

/** What the previous version stored: keys NFC and lower-cased only. */
async function seed(db: Database): Promise<void> {
  await storePeopleAndStatuses(
    db,
    [
      personRow(1, 'Straße@beispiel.de', 'straße@beispiel.de', true),
      personRow(2, 'STRASSE@beispiel.de', 'strasse@beispiel.de', false),
      personRow(3, 'ＪＯＨＮ@example.com', 'ｊｏｈｎ@example.com', false),
      personRow(4, 'Σοφιασ@παράδειγμα.gr', 'σοφιασ@παράδειγμα.gr', true),
      personRow(5, 'Élodie@exemple.fr', 'élodie@exemple.fr', false),
      personRow(6, 'plain@example.com', 'plain@example.com', false),
      personRow(7, 'İpek@örnek.tr', 'i\u0307pek@örnek.tr', false),
    ],
    [
      statusRow('straße@beispiel.de', true, 100, 'Web service API', WEB, 1),
      statusRow('strasse@beispiel.de', false, 200, 'Web service API', WEB, 2),
      statusRow('john@example.com', true, 150, 'Unsubscribe link', WEB, 99),
      statusRow('σοφιας@παράδειγμα.gr', true, 50, 'Spam complaint', WEB, 98),
      statusRow('σοφιασ@παράδειγμα.gr', true, 300, 'Web service API', WEB, 4),
      statusRow('ipek@örnek.tr', false, 10, 'Web service API', WEB, 97),
    ],
  );
}

for (const engine of testEngines()) {
  describe(`folded email keys migration (${engine.name})`, function () {
    this.timeout(60000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    before(async () => {
      made = await engine.create();
      await folded.down(made.db.knex);
      await seed(made.db);
    });
    after(() => made?.drop());

    it('re-keys, merges statuses (an opt-out wins) and unsubscribes the other spelling with an activity', async () => {
      const db = made.db;
      await folded.up(db.knex);
      expect(await keysAndFlags(db)).to.deep.equal([
        [1, 'strasse@beispiel.de', true],
        [2, 'strasse@beispiel.de', true],
        [3, 'john@example.com', true],
        [4, 'σοφιασ@παράδειγμα.gr', true],
        [5, 'élodie@exemple.fr', false],
        [6, 'plain@example.com', false],
        [7, 'ipek@örnek.tr', false],
      ]);
      expect(await statusRowOf(db, 'straße@beispiel.de')).to.equal(undefined);
      expect(await statusRowOf(db, 'σοφιας@παράδειγμα.gr')).to.equal(undefined);
      const strasse = await statusRowOf(db, 'strasse@beispiel.de');
      expect(Boolean(strasse?.unsubscribed)).to.equal(true);
      expect(Number(strasse?.lead_id)).to.equal(1);
      // The complaint (protected) wins over a later plain opt-out.
      expect((await statusRowOf(db, 'σοφιασ@παράδειγμα.gr'))?.reason).to.equal('Spam complaint');
      expect(Boolean((await statusRowOf(db, 'ipek@örnek.tr'))?.unsubscribed)).to.equal(false);

      const activities = await migrationActivities(db);
      expect(
        activities.map((a) => [Number(a.lead_id), a.attribute_name, a.old_value, a.new_value]),
      ).to.deep.equal([
        [2, 'Unsubscribed', 'false', 'true'],
        [3, 'Unsubscribed', 'false', 'true'],
      ]);
      expect(Number(activities[0]!.cause_lead_id)).to.equal(1);

      // The history of every spelling reads under the folded key, with the key it had.
      const history = (await db
        .knex('email_status_history')
        .where('email_key', 'strasse@beispiel.de')
        .orderBy('id')) as Row[];
      expect(history.map((h) => h.folded_from ?? null)).to.deep.equal([
        'straße@beispiel.de',
        null,
        null,
      ]);
      await expectInvariant(db);
    });

    it('rolls back: every key as before, each spelling with a status, no unsubscribe undone; and forth', async () => {
      const db = made.db;
      await folded.down(db.knex);
      expect(await keysAndFlags(db)).to.deep.equal([
        [1, 'straße@beispiel.de', true],
        [2, 'strasse@beispiel.de', true],
        [3, 'ｊｏｈｎ@example.com', true],
        [4, 'σοφιασ@παράδειγμα.gr', true],
        [5, 'élodie@exemple.fr', false],
        [6, 'plain@example.com', false],
        [7, 'i\u0307pek@örnek.tr', false],
      ]);
      expect(Boolean((await statusRowOf(db, 'ｊｏｈｎ@example.com'))?.unsubscribed)).to.equal(true);
      expect((await statusRowOf(db, 'σοφιας@παράδειγμα.gr'))?.reason).to.equal('Spam complaint');
      const history = (await db
        .knex('email_status_history')
        .where('email_key', 'straße@beispiel.de')) as Row[];
      expect(history).to.have.length(1);
      await expectInvariant(db);

      await folded.up(db.knex);
      expect((await keysAndFlags(db)).map(([, key]) => key)).to.deep.equal([
        'strasse@beispiel.de',
        'strasse@beispiel.de',
        'john@example.com',
        'σοφιασ@παράδειγμα.gr',
        'élodie@exemple.fr',
        'plain@example.com',
        'ipek@örnek.tr',
      ]);
      // Nobody was unsubscribed twice.
      expect(await migrationActivities(db)).to.have.length(2);
      await expectInvariant(db);
    });

    it('re-keys more people than one page reads, once each', async () => {
      const db = made.db;
      await folded.down(db.knex);
      const many = Array.from({ length: 5003 }, (_, i) =>
        personRow(1000 + i, `Ｐ${i}@example.com`, `ｐ${i}@example.com`, false),
      );
      for (let i = 0; i < many.length; i += 500)
        await db.knex('leads').insert(many.slice(i, i + 500));
      await folded.up(db.knex);
      const keys = (await db
        .knex('leads')
        .where('id', '>=', 1000)
        .orderBy('id')
        .pluck('email_key')) as string[];
      expect(keys).to.deep.equal(many.map((_, i) => `p${i}@example.com`));
      await expectInvariant(db);
    });
  });
}
