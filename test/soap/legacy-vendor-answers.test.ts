/**
 * Answers the vendor gave that clients built their loops and error handling on:
 *
 * - Every key type of the WSDL's LeadKeyRef is a valid key. Those whose values this service never
 *   holds (COOKIE, SFDCACCOUNTID, SFDCLEADOWNERID, SFDCOPPTYID) match no lead: 20103 Lead not
 *   found, as the vendor answered a Munchkin cookie it had not seen. Web-form integrations look
 *   a visitor up by COOKIE and create the lead on 20103; 20102 (Lead Key Bad) stays for names
 *   outside the enum. A LEADOWNEREMAIL names a lead owner, and this service has none: 20108
 *   Lead Owner Not Found, as the vendor's table of codes answers an owner that does not exist.
 * - A LeadKeySelector's IDNUM value that is no lead id matches no lead: the other keys of the
 *   batch are answered (the vendor's page: the leads that match the keys given).
 * - A leadSelector without xsi:type is the one kind whose members it holds: the vendor's own Ruby
 *   (Savon) sample of getMultipleLeads sends `lead_selector: { key_type:, key_values: }` so.
 * - A Change Data Value activity names the field it changed in mktgAssetName too ("First Name",
 *   as in the vendor's getLeadChanges sample): clients tell which field changed by it.
 * - getMultipleLeads' last page (remainingCount 0) has an empty newStreamPosition, as in the
 *   vendor's sample answer: a client that pages while the position is non-empty stops there
 *   instead of asking for empty pages forever.
 * - Every answer is written in the vendor's prefixes: `<ns1:successGetLead>` in an Envelope
 *   declaring SOAP-ENV, xsi and ns1. Integrations that read answers by prefix (PHP SimpleXML's
 *   `children('ns1', true)`, an XPath taking its prefixes from the answer) find nothing under
 *   the WSDL's own `tns`.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  expectFault,
  rawCall,
  startTestService,
  syncEmailXml,
  type TestService,
} from '../support/service.js';

const VENDOR_ENVELOPE =
  '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ns1="http://www.marketo.com/mktows/">';

const NEVER_HELD = ['COOKIE', 'SFDCACCOUNTID', 'SFDCLEADOWNERID', 'SFDCOPPTYID'];
const COOKIE = 'id:561-HYG-937&amp;token:_mch-example.com-1374552656411-90718';

const KEY = (type: string, value: string) =>
  `<leadKey><keyType>${type}</keyType><keyValue>${value}</keyValue></leadKey>`;
const BY_KEYS = (type: string, values: string[]) =>
  `<leadSelector xsi:type="ns1:LeadKeySelector"><keyType>${type}</keyType><keyValues>` +
  values.map((v) => `<stringItem>${v}</stringItem>`).join('') +
  `</keyValues></leadSelector>`;
const BY_UPDATE = `<leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>2000-01-01T00:00:00Z</oldestUpdatedAt></leadSelector>`;
const MULTIPLE = (selector: string, position = '', batchSize = 2) =>
  `<ns1:paramsGetMultipleLeads>${selector}` +
  (position ? `<streamPosition>${position}</streamPosition>` : '') +
  `<batchSize>${batchSize}</batchSize></ns1:paramsGetMultipleLeads>`;

const one = (body: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];

for (const engine of testEngines()) {
  describe(`answers legacy clients built on (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const call = (body: string) => rawCall(service.url, body);
    const emails = [1, 2, 3].map((n) => `vendor-answers-${n}@example.com`);

    before(async () => {
      service = await startTestService(engine);
      for (const email of emails) {
        const res = await call(syncEmailXml(email));
        expect(res.status, res.body).to.equal(200);
      }
    });
    after(() => service?.stop());

    describe('key types of the enum this service holds no values for', () => {
      for (const type of NEVER_HELD) {
        it(`${type}: getLead, getLeadActivity and deleteLead answer 20103 Lead not found`, async () => {
          expectFault(
            await call(`<ns1:paramsGetLead>${KEY(type, COOKIE)}</ns1:paramsGetLead>`),
            20103,
          );
          expectFault(
            await call(
              `<ns1:paramsGetLeadActivity>${KEY(type, COOKIE)}</ns1:paramsGetLeadActivity>`,
            ),
            20103,
          );
          expectFault(
            await call(`<ns1:paramsDeleteLead>${KEY(type, COOKIE)}</ns1:paramsDeleteLead>`),
            20103,
          );
        });
      }

      it('LEADOWNEREMAIL: getLead, getLeadActivity and deleteLead answer 20108 Lead Owner Not Found', async () => {
        const owner = KEY('LEADOWNEREMAIL', emails[0]!);
        for (const op of ['GetLead', 'GetLeadActivity', 'DeleteLead']) {
          const res = await call(`<ns1:params${op}>${owner}</ns1:params${op}>`);
          expectFault(res, 20108);
          expect(res.body).to.include('<faultstring>20108 - Lead Owner Not Found</faultstring>');
          expect(res.body).to.include(
            `<message>No lead owner found with LEADOWNEREMAIL = ${emails[0]} (20108)</message>`,
          );
        }
        // Nothing deleted: the address's person is still there.
        const still = await call(
          `<ns1:paramsGetLead>${KEY('EMAIL', emails[0]!)}</ns1:paramsGetLead>`,
        );
        expect(one(still.body, 'count'), still.body).to.equal('1');
        // In a LeadKeySelector it is a key like the others this service holds no values for.
        const many = await call(MULTIPLE(BY_KEYS('LEADOWNEREMAIL', [emails[0]!])));
        expect(many.status, many.body).to.equal(200);
        expect(one(many.body, 'returnCount')).to.equal('0');
      });

      it('getMultipleLeads by such a key finds no lead (no fault), getLeadChanges no activity', async () => {
        const res = await call(MULTIPLE(BY_KEYS('COOKIE', [COOKIE, emails[0]!])));
        expect(res.status, res.body).to.equal(200);
        expect(one(res.body, 'returnCount')).to.equal('0');
        expect(one(res.body, 'remainingCount')).to.equal('0');

        const changes = await call(
          `<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>` +
            `${BY_KEYS('SFDCACCOUNTID', ['001A000001'])}</ns1:paramsGetLeadChanges>`,
        );
        expect(changes.status, changes.body).to.equal(200);
        expect(one(changes.body, 'returnCount')).to.equal('0');
      });

      it('mergeLeads with such a key fails that merge with "no lead found", nothing deleted', async () => {
        const res = await call(
          `<ns1:paramsMergeLeads><winningLeadKeyList><attribute><attrName>EMAIL</attrName>` +
            `<attrValue>${emails[0]}</attrValue></attribute></winningLeadKeyList><losingLeadKeyLists>` +
            `<keyList><attribute><attrName>COOKIE</attrName><attrValue>${COOKIE}</attrValue></attribute>` +
            `</keyList></losingLeadKeyLists></ns1:paramsMergeLeads>`,
        );
        expect(res.status, res.body).to.equal(200);
        expect(one(res.body, 'status')).to.equal('FAILED');
        expect(one(res.body, 'error')).to.match(/No lead found/);
        const still = await call(MULTIPLE(BY_KEYS('EMAIL', emails), '', 10));
        expect(one(still.body, 'returnCount')).to.equal('3');
      });

      it('a name outside the enum is still 20102 Lead Key Bad', async () => {
        expectFault(
          await call(`<ns1:paramsGetLead>${KEY('SSN', '123')}</ns1:paramsGetLead>`),
          20102,
        );
        expectFault(
          await call(`<ns1:paramsGetLead>${KEY('cookie', COOKIE)}</ns1:paramsGetLead>`),
          20102,
        );
      });
    });

    it('an IDNUM key that is no lead id matches no lead in a LeadKeySelector; the others are answered', async () => {
      const found = await call(MULTIPLE(BY_KEYS('EMAIL', emails), '', 10));
      const ids = [...found.body.matchAll(/<Id>(\d+)<\/Id>/g)].map((m) => m[1]!);
      expect(ids, found.body).to.have.length(3);
      const keys = [ids[0]!, 'abc', '-5', '99999999999', ids[1]!];
      const res = await call(MULTIPLE(BY_KEYS('IDNUM', keys), '', 10));
      expect(res.status, res.body).to.equal(200);
      expect(one(res.body, 'returnCount')).to.equal('2');
      expect([...res.body.matchAll(/<Id>(\d+)<\/Id>/g)].map((m) => m[1])).to.deep.equal(
        ids.slice(0, 2),
      );
      const changes = await call(
        `<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>` +
          `${BY_KEYS('IDNUM', ['abc', ids[2]!])}<batchSize>100</batchSize></ns1:paramsGetLeadChanges>`,
      );
      expect(changes.status, changes.body).to.equal(200);
      const people = new Set(
        [...changes.body.matchAll(/<mktPersonId>(\d+)<\/mktPersonId>/g)].map((m) => m[1]),
      );
      expect([...people], changes.body).to.deep.equal([ids[2]]);
      // Keys that are all no id: no lead, no activity (never every lead's).
      const none = await call(MULTIPLE(BY_KEYS('IDNUM', ['abc', '0']), '', 10));
      expect(one(none.body, 'returnCount'), none.body).to.equal('0');
      const noChanges = await call(
        `<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>` +
          `${BY_KEYS('IDNUM', ['abc'])}<batchSize>100</batchSize></ns1:paramsGetLeadChanges>`,
      );
      expect(one(noChanges.body, 'returnCount'), noChanges.body).to.equal('0');
      // getLead names one key: a value that cannot be an id is still a fault saying so.
      expectFault(
        await call(`<ns1:paramsGetLead>${KEY('IDNUM', 'abc')}</ns1:paramsGetLead>`),
        20102,
      );
    });

    it('a key value longer than 255 characters is 20102, in a leadKey or a LeadKeySelector', async () => {
      const long = `${'x'.repeat(250)}@example.com`;
      expectFault(
        await call(`<ns1:paramsGetLead>${KEY('EMAIL', long)}</ns1:paramsGetLead>`),
        20102,
      );
      expectFault(await call(MULTIPLE(BY_KEYS('EMAIL', [emails[0]!, long]), '', 10)), 20102);
      expectFault(
        await call(
          `<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>` +
            `${BY_KEYS('IDNUM', ['1', '1'.repeat(256)])}</ns1:paramsGetLeadChanges>`,
        ),
        20102,
      );
      // 255 characters is a key like any other, found or not.
      const res = await call(MULTIPLE(BY_KEYS('SFDCLEADID', ['y'.repeat(255)]), '', 10));
      expect(one(res.body, 'returnCount'), res.body).to.equal('0');
    });

    describe("getMultipleLeads' last page", () => {
      for (const [name, selector] of [
        ['LastUpdateAtSelector', BY_UPDATE],
        ['LeadKeySelector', BY_KEYS('EMAIL', emails)],
      ] as const) {
        it(`${name}: a position while leads remain, an empty one on the last page`, async () => {
          const first = await call(MULTIPLE(selector));
          expect(one(first.body, 'returnCount'), first.body).to.equal('2');
          expect(one(first.body, 'remainingCount')).to.equal('1');
          const position = one(first.body, 'newStreamPosition');
          expect(position).to.be.a('string').and.not.equal('');

          // Paged as a client that loops while newStreamPosition is non-empty: it stops.
          const last = await call(MULTIPLE(selector, position));
          expect(one(last.body, 'returnCount'), last.body).to.equal('1');
          expect(one(last.body, 'remainingCount')).to.equal('0');
          expect(one(last.body, 'newStreamPosition'), last.body).to.equal('');
        });
      }

      it('a selector that matches nothing answers an empty position too', async () => {
        const res = await call(MULTIPLE(BY_KEYS('EMAIL', ['vendor-answers-nobody@example.com'])));
        expect(one(res.body, 'returnCount'), res.body).to.equal('0');
        expect(one(res.body, 'newStreamPosition')).to.equal('');
      });
    });

    describe("a leadSelector without xsi:type, as the vendor's Ruby sample sends it", () => {
      const untyped = (inner: string) => `<leadSelector>${inner}</leadSelector>`;
      const keys = untyped(
        `<keyType>EMAIL</keyType><keyValues><stringItem>${emails[0]}</stringItem>` +
          `<stringItem>${emails[1]}</stringItem></keyValues>`,
      );

      it('getMultipleLeads reads keyType and keyValues as a LeadKeySelector', async () => {
        const res = await call(
          `<ns1:paramsGetMultipleLeads>${keys}<batchSize>100</batchSize></ns1:paramsGetMultipleLeads>`,
        );
        expect(res.status, res.body).to.equal(200);
        expect(one(res.body, 'returnCount')).to.equal('2');
      });

      it('reads the dates as a LastUpdateAtSelector, the list names as a StaticListSelector', async () => {
        const byDate = await call(
          MULTIPLE(untyped('<oldestUpdatedAt>2000-01-01T00:00:00Z</oldestUpdatedAt>'), '', 10),
        );
        expect(byDate.status, byDate.body).to.equal(200);
        expect(one(byDate.body, 'returnCount')).to.equal('3');
        expectFault(
          await call(MULTIPLE(untyped('<staticListName>P.list</staticListName>'))),
          20111,
        );
      });

      it('getLeadChanges narrows to the leads of such a selector', async () => {
        const all = await call(
          `<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>` +
            `<batchSize>100</batchSize></ns1:paramsGetLeadChanges>`,
        );
        const mine = await call(
          `<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>` +
            `${keys}<batchSize>100</batchSize></ns1:paramsGetLeadChanges>`,
        );
        expect(mine.status, mine.body).to.equal(200);
        const people = (body: string) =>
          new Set([...body.matchAll(/<mktPersonId>(\d+)<\/mktPersonId>/g)].map((m) => m[1]));
        expect(people(mine.body).size, mine.body).to.equal(2);
        expect(people(all.body).size).to.be.greaterThan(2);
      });

      it('members of several kinds are still 20110, an empty selector 20109', async () => {
        const mixed = untyped(
          `<keyType>EMAIL</keyType><oldestUpdatedAt>2000-01-01T00:00:00Z</oldestUpdatedAt>`,
        );
        expectFault(await call(MULTIPLE(mixed)), 20110);
        expectFault(await call(MULTIPLE(untyped(''))), 20109);
      });
    });

    it('Change Data Value names the field it changed in mktgAssetName, as its Attribute Name', async () => {
      const rename = await call(
        `<ns1:paramsSyncLead><leadRecord><Email>${emails[2]}</Email><leadAttributeList><attribute>` +
          `<attrName>FirstName</attrName><attrValue>Travis</attrValue></attribute>` +
          `<attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute>` +
          `</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
      );
      expect(rename.status, rename.body).to.equal(200);
      const changes = await call(
        `<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>` +
          `<activityNameFilter><stringItem>Change Data Value</stringItem></activityNameFilter>` +
          `${BY_KEYS('EMAIL', [emails[2]!])}<batchSize>100</batchSize></ns1:paramsGetLeadChanges>`,
      );
      const activity = await call(
        `<ns1:paramsGetLeadActivity>${KEY('EMAIL', emails[2]!)}<activityFilter><includeTypes>` +
          `<activityType>ChangeDataValue</activityType></includeTypes></activityFilter>` +
          `</ns1:paramsGetLeadActivity>`,
      );
      for (const [body, record] of [
        [changes.body, 'leadChangeRecord'],
        [activity.body, 'activityRecord'],
      ] as const) {
        const records = [...body.matchAll(new RegExp(`<${record}>.*?</${record}>`, 'g'))].map(
          (m) => m[0],
        );
        const fields = records.map((r) => {
          const named =
            /<attrName>Attribute Name<\/attrName><attrType[^>]*><\/attrType><attrValue>([^<]*)</.exec(
              r,
            );
          return [one(r, 'mktgAssetName'), named?.[1]];
        });
        expect(fields.length, body).to.be.greaterThanOrEqual(2);
        for (const [asset, name] of fields) expect(asset, body).to.be.a('string').and.equal(name);
        expect(fields.map(([asset]) => asset)).to.include.members(['First Name', 'Unsubscribed']);
      }
    });

    // Last: the leads it makes would be counted by the selectors above.
    describe("the vendor's prefixes", () => {
      it("answers every served operation in the vendor's prefixes: SOAP-ENV, xsi and ns1 declared on the Envelope", async () => {
        const [a, b] = ['prefix-a@example.com', 'prefix-b@example.com'];
        const ids: string[] = [];
        for (const email of [a, b]) {
          const made = await call(syncEmailXml(email));
          ids.push(one(made.body, 'leadId')!);
        }
        const keyList = (id: string) =>
          `<attribute><attrName>IDNUM</attrName><attrValue>${id}</attrValue></attribute>`;
        const calls: [string, string][] = [
          ['SyncLead', syncEmailXml(a)],
          [
            'SyncMultipleLeads',
            `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>${a}</Email></leadRecord>` +
              `</leadRecordList></ns1:paramsSyncMultipleLeads>`,
          ],
          ['GetLead', `<ns1:paramsGetLead>${KEY('EMAIL', a)}</ns1:paramsGetLead>`],
          ['GetMultipleLeads', MULTIPLE(BY_KEYS('EMAIL', [a, b]))],
          [
            'GetLeadActivity',
            `<ns1:paramsGetLeadActivity>${KEY('EMAIL', a)}</ns1:paramsGetLeadActivity>`,
          ],
          [
            'GetLeadChanges',
            `<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>` +
              `<batchSize>2</batchSize></ns1:paramsGetLeadChanges>`,
          ],
          [
            'DescribeMObject',
            '<ns1:paramsDescribeMObject><objectName>LeadRecord</objectName></ns1:paramsDescribeMObject>',
          ],
          ['ListMObjects', '<ns1:paramsListMObjects/>'],
          [
            'MergeLeads',
            `<ns1:paramsMergeLeads><winningLeadKeyList>${keyList(ids[0]!)}</winningLeadKeyList>` +
              `<losingLeadKeyLists><keyList>${keyList(ids[1]!)}</keyList></losingLeadKeyLists></ns1:paramsMergeLeads>`,
          ],
          ['DeleteLead', `<ns1:paramsDeleteLead>${KEY('EMAIL', a)}</ns1:paramsDeleteLead>`],
        ];
        for (const [operation, body] of calls) {
          const res = await call(body);
          expect(res.status, `${operation}: ${res.body}`).to.equal(200);
          const xml = res.body.replace(/^<\?xml[^>]*\?>/, '');
          const start = `${VENDOR_ENVELOPE}<SOAP-ENV:Body><ns1:success${operation}>`;
          const end = `</ns1:success${operation}></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
          expect(xml.slice(0, start.length), operation).to.equal(start);
          expect(xml.slice(-end.length), operation).to.equal(end);
          expect(xml.split('xmlns:ns1=').length, `${operation}: ns1 declared once`).to.equal(2);
          expect(xml, operation).to.not.include('tns');
        }
      });
    });
  });
}
