/**
 * 20261206004000_idna_deviation_keys on both engines: the keys made before the key kept IDNA's
 * 'ß', 'ς', 'ı' and 'İ' apart (the joined key: `ann@straße.de` under `ann@strasse.de`) are
 * re-keyed from each person's address, the status of the joined key copied to the new one (the
 * joined key's own row kept); every opt-out that may have come from such a spelling is kept
 * in email_status_joined, where a spelling without a status of its own still finds it. Then,
 * through the service: a re-subscribe at the plain spelling leaves the other opted out, a
 * person created at a spelling whose legacy opt-out nobody held arrives unsubscribed. `down`
 * then `up` undoes no unsubscribe.
 */
import { expect } from 'chai';
import * as deviation from '../../migrations/20261206004000_idna_deviation_keys.js';
import * as escaped from '../../migrations/20261206005000_idna_escaped_salesforce_emails.js';
import * as listed from '../../migrations/20261206005100_kept_opt_outs_listed.js';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { createLogger } from '../../src/logger.js';
import { start } from '../../src/main.js';
import { testEngines } from '../support/database.js';
import {
  freshServiceConfig,
  getLeadByEmailXml,
  rawCall,
  syncUnsubscribedXml,
  syncFirstNameXml,
} from '../support/service.js';
import {
  keysAndFlags,
  personRow,
  statusRow,
  statusRowOf,
  storePeopleAndStatuses,
} from '../support/stored-rows.js';

type Row = Record<string, unknown>;
const WEB = 'Web service API';

/** What the previous version stored: every spelling under its joined key. */
async function seed(db: Database): Promise<void> {
  await storePeopleAndStatuses(
    db,
    [
      personRow(1, 'Ann@Stra\u00dfe.de', 'ann@strasse.de', true),
      personRow(2, 'ann@strasse.de', 'ann@strasse.de', true),
      personRow(
        3,
        'cy@\u03c3\u03bf\u03c6\u03b9\u03b1.gr',
        'cy@\u03c3\u03bf\u03c6\u03b9\u03b1.gr',
        false,
      ),
    ],
    [
      statusRow('ann@strasse.de', true, 100, WEB, WEB, 1),
      // Status only: an unsubscribe of an address nobody holds (bea@straße.de, as it was).
      { ...statusRow('bea@strasse.de', true, 200, 'Unsubscribe link', WEB, 0), lead_id: null },
      statusRow('cy@\u03c3\u03bf\u03c6\u03b9\u03b1.gr', false, 300, WEB, WEB, 3),
      { ...statusRow('dee@strasse.de', true, 400, 'Unsubscribe link', WEB, 0), lead_id: null },
    ],
  );
  await db.knex('salesforce_records').insert({
    record_id: '00Q000000000001AAA',
    organization_id: null,
    object_type: 'Lead',
    changed_at: 1,
    reported_fields: JSON.stringify({ Email: 'Ann@Stra\u00dfe.de' }),
    updated_at: 1,
    email_key: 'ann@strasse.de',
  });
  await db
    .knex('salesforce_address_opt_outs')
    .insert({ email_key: 'ann@strasse.de', changed_at: 700 });
  await escapedRecord(db, '00Q000000000002AAA', 'Dee', 800);
}

/**
 * A Salesforce record whose reported Email is written with a JSON escape (ASCII text:
 * `{"Email":"Dee@Stra\u00dfe.de"}`), under its joined key, with an address opt-out there.
 */
async function escapedRecord(db: Database, id: string, name: string, at: number): Promise<void> {
  const joined = `${name.toLowerCase()}@strasse.de`;
  await db.knex('salesforce_records').insert({
    record_id: id,
    organization_id: null,
    object_type: 'Lead',
    changed_at: 1,
    reported_fields: `{"Email":"${name}@Stra\\u00dfe.de"}`,
    updated_at: 1,
    email_key: joined,
  });
  await db.knex('salesforce_address_opt_outs').insert({ email_key: joined, changed_at: at });
}

/** New people of `emails` in one syncMultipleLeads call. */
const SYNC_MANY = (emails: string[]) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${emails
    .map((e) => `<leadRecord><Email>${e}</Email></leadRecord>`)
    .join('')}</leadRecordList><dedupEnabled>true</dedupEnabled></ns1:paramsSyncMultipleLeads>`;

const flag = (body: string) =>
  /<attrName>Unsubscribed<\/attrName><attrType>[^<]*<\/attrType><attrValue>([^<]*)<\/attrValue>/.exec(
    body,
  )?.[1];
const isTrue = (f: string | undefined) => f === 'true' || f === '1';

for (const engine of testEngines()) {
  describe(`IDNA deviation keys migration (${engine.name})`, function () {
    this.timeout(60000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let db: Database;
    before(async () => {
      made = await engine.create();
      db = made.db;
      await db.knex.transaction((trx) => deviation.down(trx));
      await seed(db);
    });
    after(async () => {
      await db?.close();
      await made?.drop();
    });

    it('re-keys each person from its address, copies the status, keeps the legacy opt-outs', async () => {
      await db.knex.transaction((trx) => deviation.up(trx));
      expect(await keysAndFlags(db)).to.deep.equal([
        [1, 'ann@stra\u00dfe.de', true],
        [2, 'ann@strasse.de', true],
        [3, 'cy@\u03c3\u03bf\u03c6\u03b9\u03b1.gr', false],
      ]);
      // The new key has a copy of the status; the plain spelling keeps its own.
      expect(Boolean((await statusRowOf(db, 'ann@stra\u00dfe.de'))?.unsubscribed)).to.equal(true);
      expect(Boolean((await statusRowOf(db, 'ann@strasse.de'))?.unsubscribed)).to.equal(true);
      const history = (await db
        .knex('email_status_history')
        .where('email_key', 'ann@stra\u00dfe.de')) as Row[];
      expect(history).to.have.length(1);
      const joined = ((await db.knex('email_status_joined').orderBy('joined_key')) as Row[]).map(
        (r) => r.joined_key,
      );
      expect(joined).to.deep.equal(['ann@strasse.de', 'bea@strasse.de', 'dee@strasse.de']);
      // The record whose Email is written with a JSON escape too.
      const records = (await db.knex('salesforce_records').orderBy('record_id')) as Row[];
      expect(records.map((r) => r.email_key)).to.deep.equal([
        'ann@stra\u00dfe.de',
        'dee@stra\u00dfe.de',
      ]);
      const optOuts = ((await db.knex('salesforce_address_opt_outs')) as Row[])
        .map((r) => [String(r.email_key), Number(r.changed_at)])
        .sort();
      expect(optOuts).to.deep.equal([
        ['ann@strasse.de', 700],
        ['ann@stra\u00dfe.de', 700],
        ['dee@strasse.de', 800],
        ['dee@stra\u00dfe.de', 800],
      ]);
    });

    it('20261206005100 records the kept opt-outs now: the next incremental export lists their spellings', async () => {
      const before = Date.now();
      await db.knex.transaction((trx) => listed.up(trx));
      const times = ((await db.knex('email_status_joined')) as Row[]).map((r) =>
        Number(r.recorded_at),
      );
      expect(times).to.have.length(3);
      for (const t of times) expect(t).to.be.at.least(before);
    });

    it('through the service: a re-subscribe at the plain spelling leaves the other opted out; a legacy opt-out reaches a new person', async () => {
      await db.close();
      const running = await start(
        freshServiceConfig(made, { LOG_LEVEL: 'silent' }),
        createLogger('silent'),
      );
      try {
        const url = `http://127.0.0.1:${running.port}/soap/mktows/2_9`;
        const call = async (body: string) => {
          const r = await rawCall(url, body);
          expect(r.status, r.body).to.equal(200);
          return r.body;
        };
        const optedOut = async (email: string) =>
          isTrue(flag(await call(getLeadByEmailXml(email))));

        await call(syncUnsubscribedXml('ann@strasse.de', 'false'));
        expect(await optedOut('ann@strasse.de')).to.equal(false);
        expect(await optedOut('ann@stra\u00dfe.de')).to.equal(true);

        // Nobody held bea@straße.de: its opt-out stood under bea@strasse.de.
        expect(await call(syncFirstNameXml('Bea@Stra\u00dfe.de', 'Bea'))).to.contain('CREATED');
        expect(await optedOut('bea@stra\u00dfe.de')).to.equal(true);
        expect(await call(syncFirstNameXml('bea@strasse.de', 'Bea'))).to.contain('CREATED');
        expect(await optedOut('bea@strasse.de')).to.equal(true);
        await call(syncUnsubscribedXml('bea@strasse.de', 'false'));
        expect(await optedOut('bea@strasse.de')).to.equal(false);
        expect(await optedOut('bea@stra\u00dfe.de')).to.equal(true);

        // A batch (syncMultipleLeads) meeting such an address reads the kept opt-out too.
        expect(await call(SYNC_MANY(['Dee@Stra\u00dfe.de', 'eve@example.com']))).to.contain(
          'CREATED',
        );
        expect(await optedOut('dee@stra\u00dfe.de')).to.equal(true);
        expect(await optedOut('eve@example.com')).to.equal(false);
      } finally {
        await running.close();
      }
      db = openDatabase({
        databaseUrl: made.url,
        dataDir: made.dataDir,
        sqliteBusyTimeoutMs: 10000,
        dbPoolMax: 1,
      });
    });

    it('rolls back and forth without undoing an unsubscribe', async () => {
      await db.knex.transaction((trx) => deviation.down(trx));
      const back = new Map((await keysAndFlags(db)).map(([id, key, f]) => [id, [key, f]]));
      expect(back.get(1)).to.deep.equal(['ann@strasse.de', true]);
      expect(back.get(3)).to.deep.equal(['cy@\u03c3\u03bf\u03c6\u03b9\u03b1.gr', false]);
      // Every opt-out stands under the joined keys again (the plain spellings' lifts lose: safe).
      for (const key of ['ann@strasse.de', 'bea@strasse.de'])
        expect(Boolean((await statusRowOf(db, key))?.unsubscribed), key).to.equal(true);
      for (const [id, [key, f]] of back)
        if (String(key).endsWith('@strasse.de')) expect(f, `person ${id}`).to.equal(true);

      await db.knex.transaction((trx) => deviation.up(trx));
      const forth = await keysAndFlags(db);
      expect(forth.find(([id]) => id === 1)).to.deep.equal([1, 'ann@stra\u00dfe.de', true]);
      const bea = forth.find(([, key]) => key === 'bea@stra\u00dfe.de');
      expect(bea?.[2]).to.equal(true);
      expect(Boolean((await statusRowOf(db, 'bea@stra\u00dfe.de'))?.unsubscribed)).to.equal(true);
    });

    it('20261206005000 gives a record that kept its joined key for a JSON-escaped Email its key', async () => {
      // As the first version of 20261206004000 left it: the escape not read.
      await escapedRecord(db, '00Q000000000003AAA', 'Fay', 900);
      await db.knex.transaction((trx) => escaped.up(trx));
      const fay = (await db
        .knex('salesforce_records')
        .where('record_id', '00Q000000000003AAA')
        .first()) as Row;
      expect(fay.email_key).to.equal('fay@stra\u00dfe.de');
      const optOuts = (
        (await db.knex('salesforce_address_opt_outs').where('email_key', 'like', 'fay@%')) as Row[]
      )
        .map((r) => [String(r.email_key), Number(r.changed_at)])
        .sort();
      expect(optOuts).to.deep.equal([
        ['fay@strasse.de', 900],
        ['fay@stra\u00dfe.de', 900],
      ]);
      // Run again, it finds nothing more to do.
      await db.knex.transaction((trx) => escaped.up(trx));
      expect(
        await db.knex('salesforce_address_opt_outs').where('email_key', 'like', 'fay@%'),
      ).to.have.length(2);
    });
  });
}
