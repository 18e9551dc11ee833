import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { validateBodyChild } from '../support/schema.js';
import {
  envelope,
  expectFault,
  faultCode,
  postXml,
  startTestService,
  type TestService,
} from '../support/service.js';
import { UNSERVED_OPERATIONS } from './served-operations.js';

const MKTOWS = 'http://www.marketo.com/mktows/';
/** The attributes of the first leadRecord in a response, in wire order. */
function attributes(body: string): Array<{ name: string; type: string; value: string }> {
  const record = /<leadRecord>([\s\S]*?)<\/leadRecord>/.exec(body)?.[1] ?? '';
  return [
    ...record.matchAll(
      /<attribute><attrName>([^<]*)<\/attrName><attrType>([^<]*)<\/attrType><attrValue>([^<]*)<\/attrValue><\/attribute>/g,
    ),
  ].map((m) => ({ name: m[1]!, type: m[2]!, value: m[3]! }));
}

for (const engine of testEngines()) {
  describe(`legacy fidelity on the wire (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    const call = (body: string, action?: string) =>
      postXml(service.url, envelope(body), action ? { soapAction: action } : {});

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    for (const op of UNSERVED_OPERATIONS) {
      it(`${op.operation} answers 20019 naming it, by its body and by its SOAPAction`, async () => {
        const byBody = await call(`<ns1:${op.input}/>`);
        expect(byBody.status).to.equal(500);
        expect(faultCode(byBody.body)).to.equal(20019);
        expect(byBody.body).to.include(`${op.operation} is not served by this service (20019)`);
        // A client whose stub sends the unserved action (whatever the body) hears the same.
        const byAction = await call(
          '<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></leadKey></ns1:paramsGetLead>',
          `"${MKTOWS}${op.operation}"`,
        );
        expect(faultCode(byAction.body)).to.equal(20019);
        expect(byAction.body).to.include(`${op.operation} is not served by this service`);
      });
    }

    it('writes booleans as 1/0, the vendor attrType of each field, attributes ordered by name', async () => {
      const r = await call(
        '<ns1:paramsSyncLead><leadRecord><Email>wire@example.com</Email><leadAttributeList>' +
          '<attribute><attrName>Website</attrName><attrValue>https://example.com</attrValue></attribute>' +
          '<attribute><attrName>Phone</attrName><attrValue>+1 555 0100</attrValue></attribute>' +
          '<attribute><attrName>AnnualRevenue</attrName><attrValue>1200.5</attrValue></attribute>' +
          '<attribute><attrName>DoNotCall</attrName><attrValue>TRUE</attrValue></attribute>' +
          '<attribute><attrName>address</attrName><attrValue>1 Main St</attrValue></attribute>' +
          '<attribute><attrName>Unsubscribed</attrName><attrValue>False</attrValue></attribute>' +
          '</leadAttributeList></leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>',
      );
      expect(r.status, r.body).to.equal(200);
      validateBodyChild(r.body);
      expect(attributes(r.body)).to.deep.equal([
        { name: 'Address', type: 'text', value: '1 Main St' },
        { name: 'AnnualRevenue', type: 'currency', value: '1200.5' },
        { name: 'DoNotCall', type: 'boolean', value: '1' },
        { name: 'Phone', type: 'phone', value: '+1 555 0100' },
        { name: 'Unsubscribed', type: 'boolean', value: '0' },
        { name: 'Website', type: 'url', value: 'https://example.com' },
      ]);
    });

    it('matches member names of leadRecord and leadKey case-insensitively', async () => {
      const created = await call(
        '<ns1:paramsSyncLead><leadRecord><email>case@example.com</email>' +
          '<foreignSysPersonId>CASE-1</foreignSysPersonId></leadRecord>' +
          '<returnLead>false</returnLead></ns1:paramsSyncLead>',
      );
      expect(created.status, created.body).to.equal(200);
      expect(created.body).to.include('<status>CREATED</status>');
      const read = await call(
        '<ns1:paramsGetLead><leadKey><KeyType>SFDCLEADID</KeyType><KEYVALUE>CASE-1</KEYVALUE></leadKey></ns1:paramsGetLead>',
      );
      expect(read.status, read.body).to.equal(200);
      expect(read.body).to.include('<Email>case@example.com</Email>');
      expect(read.body).to.include('<ForeignSysPersonId>CASE-1</ForeignSysPersonId>');
    });

    it('keeps ForeignSysPersonId values apart by case, as 15-character Salesforce ids are', async () => {
      // Two Salesforce records' 15-character ids may differ only in case: matched in any case,
      // a sync of the second would update (and re-address) the person of the first.
      const sync = (id: string, email: string) =>
        call(
          `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><ForeignSysPersonId>${id}</ForeignSysPersonId>` +
            '<ForeignSysType>SFDC</ForeignSysType></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
        );
      const ids = ['00Q5e00000AbCdE', '00Q5e00000ABCDE'];
      for (const [n, id] of ids.entries()) {
        const r = await sync(id, `sfdc-case-${n}@example.com`);
        expect(r.body, r.body).to.include('<status>CREATED</status>');
      }
      for (const [n, id] of ids.entries()) {
        const read = await call(
          `<ns1:paramsGetLead><leadKey><keyType>SFDCLEADID</keyType><keyValue>${id}</keyValue></leadKey></ns1:paramsGetLead>`,
        );
        expect(read.body, read.body).to.include('<count>1</count>');
        expect(read.body).to.include(`<Email>sfdc-case-${n}@example.com</Email>`);
      }
    });

    it('reads values that carry xsi:type, as SOAP::Lite, nusoap and the MS SOAP Toolkit write them', async () => {
      const typed = (type: string, value: string) => ` xsi:type="xsd:${type}">${value}`;
      const created = await call(
        '<ns1:paramsSyncLead xmlns:xsd="http://www.w3.org/2001/XMLSchema">' +
          `<leadRecord xsi:type="ns1:LeadRecord"><Email${typed('string', 'typed@example.com')}</Email>` +
          '<leadAttributeList xsi:type="ns1:ArrayOfAttribute"><attribute xsi:type="ns1:Attribute">' +
          `<attrName${typed('string', 'Unsubscribed')}</attrName><attrType xsi:nil="true"/>` +
          `<attrValue${typed('string', 'true')}</attrValue></attribute></leadAttributeList>` +
          `</leadRecord><returnLead${typed('boolean', 'true')}</returnLead></ns1:paramsSyncLead>`,
      );
      expect(created.status, created.body).to.equal(200);
      expect(created.body).to.include('<status>CREATED</status>');
      expect(attributes(created.body)).to.deep.include({
        name: 'Unsubscribed',
        type: 'boolean',
        value: '1',
      });
      const read = await call(
        '<ns1:paramsGetLead xmlns:xsd="http://www.w3.org/2001/XMLSchema"><leadKey xsi:type="ns1:LeadKey">' +
          `<keyType xsi:type="ns1:LeadKeyRef">EMAIL</keyType><keyValue${typed('string', 'typed@example.com')}</keyValue>` +
          '</leadKey></ns1:paramsGetLead>',
      );
      expect(read.status, read.body).to.equal(200);
      expect(read.body).to.include('<count>1</count>');
    });

    it('an Email key with a different Email attribute changes the address, never a silent UPDATED', async () => {
      await call(
        '<ns1:paramsSyncLead><leadRecord><Email>py-old@example.com</Email></leadRecord>' +
          '<returnLead>false</returnLead></ns1:paramsSyncLead>',
      );
      const r = await call(
        '<ns1:paramsSyncLead><leadRecord><Email>py-old@example.com</Email><leadAttributeList>' +
          '<attribute><attrName>Email</attrName><attrValue>py-new@example.com</attrValue></attribute>' +
          '</leadAttributeList></leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>',
      );
      expect(r.status, r.body).to.equal(200);
      expect(r.body).to.include('<status>UPDATED</status>');
      expect(r.body).to.include('<Email>py-new@example.com</Email>');
      const old = await call(
        '<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>py-old@example.com</keyValue></leadKey></ns1:paramsGetLead>',
      );
      expect(faultCode(old.body)).to.equal(20103);
    });

    it('describes ActivityRecord and refuses objects it does not hold, naming them', async () => {
      const r = await call(
        '<ns1:paramsDescribeMObject><objectName>ActivityRecord</objectName></ns1:paramsDescribeMObject>',
      );
      expect(r.status, r.body).to.equal(200);
      validateBodyChild(r.body);
      expect(r.body).to.include('<isVirtual>true</isVirtual>');
      expect([...r.body.matchAll(/<field><name>([^<]+)<\/name>/g)].map((m) => m[1])).to.deep.equal([
        'id',
        'activityDateTime',
        'activityType',
        'mktgAssetName',
        'activityAttributes',
        'campaign',
        'personName',
        'mktPersonId',
        'foreignSysId',
        'orgName',
        'foreignSysOrgId',
      ]);
      const other = await call(
        '<ns1:paramsDescribeMObject><objectName>Opportunity</objectName></ns1:paramsDescribeMObject>',
      );
      expect(faultCode(other.body)).to.equal(20110);
      expect(other.body).to.include('objectName Opportunity is not described by this service');
    });

    it('reads a body in the encoding its XML declaration names: UTF-8 or ISO-8859-1, no other', async () => {
      const sync = (email: string, firstName: string) =>
        envelope(
          `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList>` +
            `<attribute><attrName>FirstName</attrName><attrValue>${firstName}</attrValue></attribute>` +
            '</leadAttributeList></leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>',
        );
      const declared = (xml: string, encoding: string) =>
        xml.replace('encoding="UTF-8"', `encoding="${encoding}"`);
      const firstName = (body: string) => attributes(body).find((a) => a.name === 'FirstName');
      const send = (xml: string, encoding: BufferEncoding) =>
        postXml(service.url, Buffer.from(xml, encoding), {
          headers: { 'Content-Type': 'text/xml' },
        });

      // "é" in one Latin-1 byte (not UTF-8): kept as "é".
      const e = await send(
        declared(sync('latin-e@example.com', 'Ren\u00e9'), 'ISO-8859-1'),
        'latin1',
      );
      expect(e.status, e.body).to.equal(200);
      expect(firstName(e.body)?.value).to.equal('Ren\u00e9');
      // Two Latin-1 characters whose bytes happen to be UTF-8's "é": kept as the two.
      const pair = await send(
        declared(sync('latin-pair@example.com', 'A\u00c3\u00a9'), 'iso-8859-1'),
        'latin1',
      );
      expect(pair.status, pair.body).to.equal(200);
      expect(firstName(pair.body)?.value).to.equal('A\u00c3\u00a9');
      // Without a declaration, and with UTF-8 declared, the body is UTF-8 as ever.
      const plain = await send(sync('utf8-e@example.com', 'Ren\u00e9'), 'utf8');
      expect(firstName(plain.body)?.value).to.equal('Ren\u00e9');

      // Any other encoding is refused, not guessed, and nothing is stored.
      const other = await send(declared(sync('sjis@example.com', 'Ren'), 'Shift_JIS'), 'utf8');
      expect(other.status).to.equal(500);
      expect(faultCode(other.body)).to.equal(20012);
      expect(other.body).to.include('declares encoding');
      const lookup = await call(
        '<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>sjis@example.com</keyValue></leadKey></ns1:paramsGetLead>',
      );
      expect(faultCode(lookup.body)).to.equal(20103);
    });

    it("getLeadChanges takes activityNameFilter (mktows 2_3 on), as the vendor's sample sends it", async () => {
      const email = 'names@example.com';
      const sync = (unsubscribed: string) =>
        call(
          `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>${unsubscribed}</attrValue></attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
        );
      expect((await sync('false')).status).to.equal(200);
      expect((await sync('true')).status).to.equal(200);
      const changes = (filter: string) =>
        call(
          '<ns1:paramsGetLeadChanges><startPosition><oldestCreatedAt>2013-08-01T00:13:13+00:00</oldestCreatedAt></startPosition>' +
            `${filter}<batchSize>1000</batchSize></ns1:paramsGetLeadChanges>`,
        );
      const types = (body: string) =>
        new Set([...body.matchAll(/<activityType>([^<]*)<\/activityType>/g)].map((m) => m[1]));
      const names = (...items: string[]) =>
        `<activityNameFilter>${items.map((i) => `<stringItem>${i}</stringItem>`).join('')}</activityNameFilter>`;
      const cdv = await changes(names('Change Data Value'));
      expect(cdv.status, cdv.body).to.equal(200);
      validateBodyChild(cdv.body);
      expect(types(cdv.body)).to.deep.equal(new Set(['Change Data Value']));
      // Names in any case; ones that never occur here (Visit Webpage) match nothing.
      const both = await changes(names('Visit Webpage', 'new lead', 'Change Data Value'));
      expect(types(both.body)).to.deep.equal(new Set(['New Lead', 'Change Data Value']));
      const none = await changes(names('Visit Webpage', 'Click Link'));
      expect(none.body).to.contain('<returnCount>0</returnCount>');
      // Empty: every activity, as the vendor says a blank value does.
      expect(types((await changes('<activityNameFilter/>')).body)).to.deep.equal(
        new Set(['New Lead', 'Change Data Value']),
      );
      const twice = await changes(
        `<activityFilter><includeTypes><activityType>NewLead</activityType></includeTypes></activityFilter>${names('New Lead')}`,
      );
      expect(faultCode(twice.body), twice.body).to.equal(20107);
    });

    it('getLeadChanges takes a leadSelector (mktows 2_2 on): its leads only, or its dates', async () => {
      const ids: number[] = [];
      for (const email of ['sel-a@example.com', 'sel-b@example.com', 'sel-c@example.com']) {
        const r = await call(
          `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
        );
        ids.push(Number(/<leadId>(\d+)<\/leadId>/.exec(r.body)![1]));
      }
      const changes = (start: string, selector: string) =>
        call(
          `<ns1:paramsGetLeadChanges><startPosition>${start}</startPosition><batchSize>1000</batchSize>${selector}</ns1:paramsGetLeadChanges>`,
        );
      const people = (body: string) =>
        [...body.matchAll(/<mktPersonId>(\d+)<\/mktPersonId>/g)].map((m) => Number(m[1]));
      const keys = (type: string, ...values: string[]) =>
        `<leadSelector xsi:type="ns1:LeadKeySelector"><keyType>${type}</keyType><keyValues>${values.map((v) => `<stringItem>${v}</stringItem>`).join('')}</keyValues></leadSelector>`;
      const since = '<oldestCreatedAt>2013-08-01T00:00:00Z</oldestCreatedAt>';
      const byEmail = await changes(since, keys('EMAIL', 'SEL-A@example.com', 'sel-c@example.com'));
      expect(byEmail.status, byEmail.body).to.equal(200);
      validateBodyChild(byEmail.body);
      expect(people(byEmail.body)).to.deep.equal([ids[0], ids[2]]);
      const byId = await changes(since, keys('IDNUM', String(ids[1]), '2147483647'));
      expect(people(byId.body)).to.deep.equal([ids[1]]);
      const tooMany = await changes(
        since,
        keys('IDNUM', ...Array.from({ length: 101 }, (_, i) => String(i + 1))),
      );
      expect(faultCode(tooMany.body), tooMany.body).to.equal(20110);
      // The selector's dates stand for the start position's (an empty one is then enough).
      const byDate = await changes(
        '',
        '<leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>2013-08-01T00:00:00Z</oldestUpdatedAt></leadSelector>',
      );
      expect(byDate.status, byDate.body).to.equal(200);
      expect(people(byDate.body)).to.include.members(ids);
      const future = await changes(
        '',
        '<leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>2999-01-01T00:00:00Z</oldestUpdatedAt></leadSelector>',
      );
      expect(future.body, future.body).to.contain('<returnCount>0</returnCount>');
    });

    it('getLeadChanges without a start (no startPosition, no oldestUpdatedAt) is 20109 with any leadSelector', async () => {
      const UNSET_POSITION =
        '<startPosition><latestCreatedAt xsi:nil="true"/><oldestCreatedAt xsi:nil="true"/>' +
        '<activityCreatedAt xsi:nil="true"/><offset xsi:nil="true"/></startPosition>';
      // startPosition is required (20109 when null or missing), a leadSelector beside it or not;
      // only a LastUpdateAtSelector's oldestUpdatedAt stands for it. A position whose members
      // give no start (each nil or empty, as .NET and soap4r stubs write an unset StreamPosition,
      // or an end alone) is missing too, where it was 20122 Bad Stream Position.
      const keys =
        '<leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType><keyValues><stringItem>nostart@example.com</stringItem></keyValues></leadSelector>';
      const untilOnly =
        '<leadSelector xsi:type="ns1:LastUpdateAtSelector"><latestUpdatedAt>2030-01-01T00:00:00Z</latestUpdatedAt></leadSelector>';
      for (const [start, selector] of [
        ['', keys],
        ['<startPosition/>', keys],
        ['<startPosition xsi:nil="true"/>', keys],
        ['', untilOnly],
        ['<startPosition/>', untilOnly],
        ['', ''],
        [UNSET_POSITION, ''],
        [UNSET_POSITION, keys],
        ['<startPosition><offset/></startPosition>', ''],
        [
          '<startPosition><latestCreatedAt>2030-01-01T00:00:00Z</latestCreatedAt></startPosition>',
          '',
        ],
      ]) {
        const r = await call(
          `<ns1:paramsGetLeadChanges>${start}${selector}</ns1:paramsGetLeadChanges>`,
        );
        expectFault(r, 20109);
        expect(r.body).to.include('(20109)</message>');
      }
    });

    it('refuses an element the schema does not know, naming it', async () => {
      const r = await call(
        '<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue><color>red</color></leadKey></ns1:paramsGetLead>',
      );
      expect(faultCode(r.body)).to.equal(20012);
      expect(r.body).to.include('Unknown element color: paramsGetLead takes only the elements');
    });
  });
}
