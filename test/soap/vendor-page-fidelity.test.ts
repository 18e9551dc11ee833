/**
 * Answers as the vendor's pages show them, where a legacy client reads the member itself:
 *
 * - getLeadActivity's newStartPosition fills latestCreatedAt (the window the pages keep to),
 *   as the vendor's sample answer does, whatever start it was given; the positions issued
 *   before it did (activityCreatedAt and offset, latestCreatedAt nil) still page on;
 * - getLeadChanges' newStartPosition carries the oldestCreatedAt it was given, as the sample;
 *   its activityCreatedAt (nil in the sample, the last change's date here) is no start beside
 *   the offset, so the sample's PHP loop reads the same changes either way;
 * - describeMObject(ActivityRecord) gives each member the vendor's type and size (the foreign
 *   system ids 50 characters);
 * - syncLead stores a ForeignSysPersonId sent without its ForeignSysType as CUSTOM (the page
 *   calls the type required beside the id, and names no fault for its absence);
 * - describeMObject(LeadRecord), which the pages show no sample of, names what a
 *   leadAttributeList takes, so not the record's own ForeignSysPersonId and ForeignSysType.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { validateBodyChild } from '../support/schema.js';
import {
  activityByEmailXml,
  rawCall,
  startTestService,
  syncFirstNameXml,
  type TestService,
} from '../support/service.js';

const NIL = 'nil';
const W3C_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/;

/** The members of the answer's newStartPosition: a value, or NIL. */
function position(body: string): Record<string, string> {
  const p = /<newStartPosition>([\s\S]*?)<\/newStartPosition>/.exec(body)?.[1] ?? '';
  return Object.fromEntries(
    [...p.matchAll(/<(\w+)( xsi:nil="true")?>([^<]*)<\/\1>/g)].map((m) => [
      m[1]!,
      m[2] ? NIL : m[3]!,
    ]),
  );
}

const asStart = (p: Record<string, string>) =>
  '<startPosition>' +
  Object.entries(p)
    .map(([n, v]) => (v === NIL ? `<${n} xsi:nil="true"/>` : `<${n}>${v}</${n}>`))
    .join('') +
  '</startPosition>';

const ids = (body: string) =>
  [...body.matchAll(/<(?:activityRecord|leadChangeRecord)><id>(\d+)<\/id>/g)].map((m) =>
    Number(m[1]),
  );
const dates = (body: string) =>
  [...body.matchAll(/<activityDateTime>([^<]+)<\/activityDateTime>/g)].map((m) => m[1]!);

/** The members of ActivityRecord as the vendor's describeMObject answer describes them. */
const VENDOR_ACTIVITY_RECORD: Array<[string, string, string, string]> = [
  // name, dataType, size (or nil), sourceObject
  ['id', 'integer', '10', 'Event'],
  ['activityDateTime', 'dateTime', NIL, 'Event'],
  ['activityType', 'string', '255', 'Event'],
  ['mktgAssetName', 'string', '255', 'Event'],
  ['activityAttributes', 'Array', NIL, 'Event'],
  ['campaign', 'string', '255', 'Campaign'],
  ['personName', 'string', '255', 'Lead'],
  ['mktPersonId', 'integer', '10', 'Lead'],
  ['foreignSysId', 'string', '50', 'Lead'],
  ['orgName', 'string', '255', 'Company'],
  ['foreignSysOrgId', 'string', '50', 'Company'],
];

for (const engine of testEngines()) {
  describe(`answers as the vendor's pages show them (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const call = async (body: string) => {
      const r = await rawCall(service.url, body);
      expect(r.status, r.body).to.equal(200);
      validateBodyChild(r.body);
      return r.body;
    };

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('getLeadActivity fills newStartPosition/latestCreatedAt on a page started without one, as the sample answer', async () => {
      const email = 'window@example.com';
      for (const name of [undefined, 'Ann', 'Bea']) await call(syncFirstNameXml(email, name));
      const before = Math.floor(Date.now() / 1000) * 1000;
      for (const start of [
        '',
        // The vendor's sample request: the members there, empty.
        '<startPosition><latestCreatedAt/><offset/></startPosition>',
        '<startPosition><latestCreatedAt xsi:nil="true"/><oldestCreatedAt xsi:nil="true"/><activityCreatedAt xsi:nil="true"/><offset xsi:nil="true"/></startPosition>',
      ]) {
        const body = await call(activityByEmailXml(email, `${start}<batchSize>1</batchSize>`));
        const p = position(body);
        expect(p.latestCreatedAt, body).to.match(W3C_SECONDS);
        const latest = Date.parse(p.latestCreatedAt!);
        // The time of the read: no earlier than the activities, no later than now.
        expect(latest).to.be.at.least(before);
        expect(latest).to.be.at.most(Date.now());
        for (const d of dates(await call(activityByEmailXml(email))))
          expect(Date.parse(d)).to.be.at.most(latest);
        expect(p.offset).to.match(/^ID:\d+$/);
      }
    });

    it('getLeadActivity pages on from the whole new position and from one issued before (latestCreatedAt nil)', async () => {
      const email = 'old-shape@example.com';
      for (const name of [undefined, 'Ann', 'Bea', 'Cy']) await call(syncFirstNameXml(email, name));
      const every = ids(await call(activityByEmailXml(email)));
      expect(every.length).to.be.at.least(4);
      const read = async (shape: (p: Record<string, string>) => Record<string, string>) => {
        const seen: number[] = [];
        let start = '';
        for (let pages = 0; pages < 20; pages++) {
          const body = await call(activityByEmailXml(email, `${start}<batchSize>1</batchSize>`));
          seen.push(...ids(body));
          if (body.includes('<remainingCount>0</remainingCount>')) break;
          start = asStart(shape(position(body)));
          if (pages === 0) await call(syncFirstNameXml(email, `Late${seen.length}`));
        }
        return seen;
      };
      expect(await read((p) => p)).to.deep.equal(every);
      // The shape positions had before: the last activity's date and the offset, no window.
      const older = ids(await call(activityByEmailXml(email)));
      expect(await read((p) => ({ ...p, latestCreatedAt: NIL }))).to.deep.equal(older);
      const byOffset = ids(await call(activityByEmailXml(email)));
      expect(await read((p) => ({ offset: p.offset! }))).to.deep.equal(byOffset);
    });

    it('getLeadChanges carries the oldestCreatedAt it was given back, as the sample answer', async () => {
      await call(syncFirstNameXml('changes-window@example.com', 'Dee'));
      const body = await call(
        '<ns1:paramsGetLeadChanges><startPosition><oldestCreatedAt>2001-08-01T00:13:13+00:00</oldestCreatedAt></startPosition><batchSize>2</batchSize></ns1:paramsGetLeadChanges>',
      );
      const p = position(body);
      expect(p.oldestCreatedAt).to.equal('2001-08-01T00:13:13+00:00');
      expect(p.latestCreatedAt).to.equal(NIL);
      expect(p.offset).to.match(/^ID:\d+$/);
    });

    it("getLeadChanges paged as the vendor's PHP sample loop reads each change once, activityCreatedAt filled or nil", async () => {
      // The sample loops while remainingCount > 0, passing newStartPosition back whole. The
      // vendor's sample answer has activityCreatedAt nil; here it holds the last change's date,
      // which is no start beside the offset: both shapes read the same changes.
      const from = new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
      for (const name of ['Eve', 'Fay', 'Gus'])
        await call(syncFirstNameXml('php-loop@example.com', name));
      const loop = async (shape: (p: Record<string, string>) => Record<string, string>) => {
        const seen: number[] = [];
        let start = `<startPosition><oldestCreatedAt>${from}</oldestCreatedAt></startPosition>`;
        for (let pages = 0; pages < 50; pages++) {
          const body = await call(
            `<ns1:paramsGetLeadChanges>${start}<batchSize>1</batchSize></ns1:paramsGetLeadChanges>`,
          );
          seen.push(...ids(body));
          const p = position(body);
          if (pages === 0) expect(p.activityCreatedAt, body).to.match(W3C_SECONDS);
          if (body.includes('<remainingCount>0</remainingCount>')) break;
          start = asStart(shape(p));
        }
        return seen;
      };
      const whole = await loop((p) => p);
      expect(whole.length).to.be.at.least(3);
      expect(new Set(whole).size).to.equal(whole.length);
      expect(await loop((p) => ({ ...p, activityCreatedAt: NIL }))).to.deep.equal(whole);
    });

    it("describeMObject(ActivityRecord) gives each member the vendor's type and size", async () => {
      const body = await call(
        '<ns1:paramsDescribeMObject><objectName>ActivityRecord</objectName></ns1:paramsDescribeMObject>',
      );
      const fields = [...body.matchAll(/<field>([\s\S]*?)<\/field>/g)].map((m) => {
        const member = (n: string) => {
          const v = new RegExp(`<${n}( xsi:nil="true")?>([^<]*)</${n}>`).exec(m[1]!);
          return v?.[1] ? NIL : (v?.[2] ?? '');
        };
        return [member('name'), member('dataType'), member('size'), member('sourceObject')];
      });
      expect(fields).to.deep.equal(VENDOR_ACTIVITY_RECORD);
      for (const f of body.match(/<field>[\s\S]*?<\/field>/g) ?? []) {
        expect(f).to.include('<isReadonly>true</isReadonly>');
        expect(f).to.include('<isUpdateBlocked>true</isUpdateBlocked>');
      }
    });

    it('syncLead: a ForeignSysPersonId without the ForeignSysType the page calls required beside it is stored as CUSTOM, no fault', async () => {
      const body = await call(
        '<ns1:paramsSyncLead><leadRecord><Email>foreign-only@example.com</Email>' +
          '<ForeignSysPersonId>ERP-1</ForeignSysPersonId></leadRecord>' +
          '<returnLead>true</returnLead></ns1:paramsSyncLead>',
      );
      expect(body).to.include('<status>CREATED</status>');
      expect(body).to.include('<ForeignSysPersonId>ERP-1</ForeignSysPersonId>');
      expect(body).to.include('<ForeignSysType>CUSTOM</ForeignSysType>');
    });

    it('describeMObject(LeadRecord) names what a leadAttributeList takes: not ForeignSysPersonId or ForeignSysType, which are members of the record', async () => {
      const body = await call(
        '<ns1:paramsDescribeMObject><objectName>LeadRecord</objectName></ns1:paramsDescribeMObject>',
      );
      const names = [...body.matchAll(/<field><name>([^<]+)<\/name>/g)].map((m) => m[1]!);
      expect(names.slice(0, 2)).to.deep.equal(['Id', 'Email']);
      expect(names).to.include('FirstName');
      expect(names).to.not.include('ForeignSysPersonId');
      expect(names).to.not.include('ForeignSysType');
      // As an attribute, such a member is an unknown one: listed, a client syncing every name
      // described would be refused.
      const r = await rawCall(
        service.url,
        '<ns1:paramsSyncLead><leadRecord><Email>described@example.com</Email><leadAttributeList>' +
          '<attribute><attrName>ForeignSysPersonId</attrName><attrValue>X1</attrValue></attribute>' +
          '</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
      );
      expect(r.status, r.body).to.equal(500);
      expect(r.body).to.include('<code>20105</code>');
    });
  });
}
