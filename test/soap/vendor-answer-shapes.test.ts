/**
 * Members of answers in the shapes the vendor's answers gave them, where integrations written
 * against those answers read them without a check:
 *
 * - getLeadActivity's `<campaign />` was an empty string, not nil (a JAX-WS stub's
 *   `getCampaign().getValue()` is "" there, null under nil; .NET's `campaign` likewise), and so
 *   was the `<mktgAssetName />` of an activity without an asset (a New Lead), and
 *   getLeadChanges left `campaign` out when an activity had none;
 * - describeMObject's `updatedAt` carried an offset, `2010-01-01T00:00:00+00:00`;
 * - a `datetime` attribute of a lead is a string to its stubs: PHP integrations read it with
 *   DateTime::createFromFormat(DATE_W3C), which fails on a fraction;
 * - PHP SoapClient (without SOAP_SINGLE_ELEMENT_ARRAYS) reads a list of one as an object, not a
 *   list: every activity the vendor wrote had several attributes, so `foreach` over
 *   `activityAttributes->attribute` met attributes, never the members of one.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  activityByEmailXml,
  rawCall,
  startTestService,
  type TestService,
} from '../support/service.js';

const W3C_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

const records = (body: string, name: string) =>
  [...body.matchAll(new RegExp(`<${name}>(.*?)</${name}>`, 'gs'))].map((m) => m[1]!);

const syncWithDateTime = (email: string, value: string) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList>` +
  `<attribute><attrName>cDateTime</attrName><attrValue>${value}</attrValue></attribute>` +
  '</leadAttributeList></leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>';

const leadId = (body: string) => Number(/<leadId>(\d+)<\/leadId>/.exec(body)?.[1]);

for (const engine of testEngines()) {
  describe(`answer members in the vendor's shapes (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    const call = async (body: string) => {
      const r = await rawCall(service.url, body);
      expect(r.status, r.body).to.equal(200);
      return r.body;
    };

    before(async () => {
      service = await startTestService(engine, {
        customFields: [{ name: 'cDateTime', type: 'datetime' }],
      });
    });
    after(() => service?.stop());

    it('getLeadActivity writes an activity without a campaign or an asset as <campaign></campaign>, <mktgAssetName></mktgAssetName>, not nil', async () => {
      await call(syncWithDateTime('campaign-a@example.com', '2026-01-02T03:04:05Z'));
      const body = await call(activityByEmailXml('campaign-a@example.com'));
      const activities = records(body, 'activityRecord');
      expect(activities).to.have.length.above(0);
      for (const a of activities) {
        expect(a).to.include('<campaign></campaign>');
        // the members the vendor wrote nil stay nil
        expect(a).to.include('<personName xsi:nil="true"></personName>');
      }
      // An activity without an asset (New Lead): <mktgAssetName/>, as the vendor wrote it.
      const created = activities.find((a) => a.includes('<activityType>New Lead</activityType>'));
      expect(created).to.include('<mktgAssetName></mktgAssetName>');
    });

    it('getLeadChanges leaves campaign out of a record without one, as the vendor did', async () => {
      await call(syncWithDateTime('campaign-b@example.com', '2026-01-02T03:04:05Z'));
      const body = await call(
        '<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>' +
          '<batchSize>1000</batchSize></ns1:paramsGetLeadChanges>',
      );
      const changes = records(body, 'leadChangeRecord');
      expect(changes).to.have.length.above(0);
      for (const c of changes) {
        expect(c).to.not.include('<campaign');
        expect(c).to.match(/<\/activityAttributes><mktPersonId>\d+<\/mktPersonId>$/);
      }
    });

    it("describeMObject's updatedAt carries an offset, as the vendor's did", async () => {
      for (const name of ['LeadRecord', 'ActivityRecord']) {
        const body = await call(
          `<ns1:paramsDescribeMObject><objectName>${name}</objectName></ns1:paramsDescribeMObject>`,
        );
        const dates = records(body, 'updatedAt');
        expect(dates, name).to.have.length.above(1);
        for (const d of dates) expect(d, name).to.match(W3C_SECONDS);
      }
    });

    it('writes a datetime attribute in whole seconds with an offset (milliseconds only when it has some)', async () => {
      const whole = await call(
        syncWithDateTime('dt-a@example.com', '2026-01-02T04:04:05.000+01:00'),
      );
      expect(whole).to.include(
        '<attrName>cDateTime</attrName><attrType>datetime</attrType><attrValue>2026-01-02T03:04:05+00:00</attrValue>',
      );
      const got = await call(
        '<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType>' +
          `<keyValue>${leadId(whole)}</keyValue></leadKey></ns1:paramsGetLead>`,
      );
      expect(got).to.include('<attrValue>2026-01-02T03:04:05+00:00</attrValue>');
      // A fraction the client sent is kept and given back.
      const fraction = await call(syncWithDateTime('dt-b@example.com', '2026-01-02T03:04:05.678Z'));
      expect(fraction).to.include('<attrValue>2026-01-02T03:04:05.678+00:00</attrValue>');
    });

    it('a Delete Lead activity carries several attributes, so that PHP reads them as a list', async () => {
      const created = await call(syncWithDateTime('deleted@example.com', '2026-01-02T03:04:05Z'));
      const id = leadId(created);
      await call(
        '<ns1:paramsDeleteLead><leadKey><keyType>IDNUM</keyType>' +
          `<keyValue>${id}</keyValue></leadKey></ns1:paramsDeleteLead>`,
      );
      const body = await call(
        '<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>' +
          '<activityFilter><includeTypes><activityType>DeleteLead</activityType></includeTypes>' +
          '</activityFilter><batchSize>1000</batchSize></ns1:paramsGetLeadChanges>',
      );
      const deleted = records(body, 'leadChangeRecord').filter((c) =>
        c.includes(`<mktPersonId>${id}</mktPersonId>`),
      );
      expect(deleted).to.have.length(1);
      const names = records(deleted[0]!, 'attrName');
      expect(names.length, names.join(', ')).to.be.above(1);
      expect(names.at(-1), 'Lead ID last, as on every activity').to.equal('Lead ID');
    });

    it("a New Lead carries the vendor's attributes in its order: Source Type, Source Info, Created Date, Lead ID", async () => {
      const id = leadId(
        await call(syncWithDateTime('new-lead@example.com', '2026-01-02T03:04:05Z')),
      );
      const pairs = (activity: string) =>
        records(activity, 'attribute').map((a) => [
          records(a, 'attrName')[0],
          records(a, 'attrValue')[0],
        ]);
      const activity = records(
        await call(activityByEmailXml('new-lead@example.com')),
        'activityRecord',
      ).find((a) => a.includes('<activityType>New Lead</activityType>'));
      const change = records(
        await call(
          '<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>' +
            '<activityNameFilter><stringItem>New Lead</stringItem></activityNameFilter>' +
            '<batchSize>1000</batchSize></ns1:paramsGetLeadChanges>',
        ),
        'leadChangeRecord',
      ).find((c) => c.includes(`<mktPersonId>${id}</mktPersonId>`));
      for (const [where, record] of [
        ['getLeadActivity', activity],
        ['getLeadChanges', change],
      ] as const) {
        expect(record, where).to.be.a('string');
        const got = pairs(record!);
        expect(
          got.map(([name]) => name),
          where,
        ).to.deep.equal(['Source Type', 'Source Info', 'Created Date', 'Lead ID']);
        // Created by a SOAP call: both say so, as in the vendor's sample.
        expect(got[0]![1], where).to.equal('Web service API');
        expect(got[1]![1], where).to.equal('Web service API');
        expect(got[2]![1], where).to.match(/^\d{4}-\d{2}-\d{2}$/);
        expect(got[3]![1], where).to.equal(String(id));
      }
    });

    it('a Change Data Value of a datetime field gives its values as the field itself is given (whole seconds, an offset)', async () => {
      const created = await call(syncWithDateTime('dt-change@example.com', '2026-01-02T03:04:05Z'));
      const changed = await call(
        syncWithDateTime('dt-change@example.com', '2026-02-03T05:06:07+01:00'),
      );
      expect(changed).to.include('<attrValue>2026-02-03T04:06:07+00:00</attrValue>');
      const fraction = await call(
        syncWithDateTime('dt-change@example.com', '2026-02-03T04:06:07.250Z'),
      );
      expect(fraction).to.include('<attrValue>2026-02-03T04:06:07.250+00:00</attrValue>');
      const id = leadId(created);
      const value = (activity: string, name: string) =>
        records(activity, 'attribute')
          .map((a) => [records(a, 'attrName')[0], records(a, 'attrValue')[0]])
          .find(([n]) => n === name)?.[1];
      const cdvs = (body: string, name: string) =>
        records(body, name).filter(
          (a) =>
            a.includes('<mktgAssetName>cDateTime</mktgAssetName>') &&
            a.includes(`<mktPersonId>${id}</mktPersonId>`),
        );
      const log = cdvs(await call(activityByEmailXml('dt-change@example.com')), 'activityRecord');
      const stream = cdvs(
        await call(
          '<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>' +
            '<batchSize>1000</batchSize></ns1:paramsGetLeadChanges>',
        ),
        'leadChangeRecord',
      );
      for (const [where, list, newestFirst] of [
        ['getLeadActivity', log, true],
        ['getLeadChanges', stream, false],
      ] as const) {
        const shown = (newestFirst ? [...list].reverse() : list).map((a) => [
          value(a, 'Old Value'),
          value(a, 'New Value'),
        ]);
        expect(shown, where).to.deep.equal([
          ['2026-01-02T03:04:05+00:00', '2026-02-03T04:06:07+00:00'],
          ['2026-02-03T04:06:07+00:00', '2026-02-03T04:06:07.250+00:00'],
        ]);
      }
    });
  });
}
