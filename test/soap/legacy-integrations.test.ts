/**
 * Requests as published mktows integrations write them, reproduced byte for byte in their
 * habits (what each sends is described beside it; none of their code is run here):
 * - a .NET "Add Service Reference" proxy (WCF's XmlSerializer, as the vendor's ASP.NET sample
 *   project uses it): every unset nillable member written `xsi:nil="true"` (Id, ForeignSysType,
 *   attrType, marketoCookie), no MktowsContextHeader when its argument is null, and
 *   getMultipleLeads by the old `lastUpdatedAt` member, a DateTime written without an offset
 *   (DateTime.Parse) or with seven fraction digits and one (DateTime.Now);
 * - Talend's Marketo components over SOAP (JAXB stubs): `leadAttributeList` built as a JAXBElement
 *   whose QName is in the mktows namespace (so qualified, beside unqualified siblings), as the
 *   vendor's Java sample builds it too; a LeadKeySelector's keys split from "a, b" with the empty
 *   key kept; includeAttributes naming Id and Email and Company twice; a null column sent as an
 *   attribute without attrValue (the field cleared; Unsubscribed refused); getLeadChanges with an
 *   empty `<activityFilter/>`, a LastUpdateAtSelector and a startPosition holding
 *   `oldestCreatedAt` and, from the second page, the `offset` read;
 * - PHP SoapClient with wsdl2php classes (Kaltura's server, on the vendor's `1_3` endpoint): an
 *   attribute made with attrType null and a value null goes out as `<attrType xsi:nil="true"/>`
 *   and `<attrValue/>`;
 * - a Drupal integration (Chapter Three's PHP client) passing the Munchkin cookie as
 *   `marketoCookie`, its `&` escaped;
 * - elcodedocle's PHP client: getLeadActivity with `activityFilter` and `startPosition` set to
 *   empty objects, sent as empty elements;
 * - node-marketo-soap: its own envelope (tns declared on it, the header members given as text and
 *   wrapped in tns:AuthenticationHeader) around a body passed as a string.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  expectFault,
  getLeadByEmailXml,
  postXml,
  rawCall,
  startTestService,
  syncEmailXml,
  type TestService,
} from '../support/service.js';
import { MKTOWS, signedNow, SOAP11, wcfEnvelope, XSI } from '../support/toolkit-envelopes.js';

/** JAX-WS's envelope: `S:` prefix, the params element's namespace bound as ns2 on it. */
function jaxwsEnvelope(bodyXml: string, headerXml = ''): string {
  const { user, ts, sig } = signedNow();
  return (
    `<?xml version="1.0" ?><S:Envelope xmlns:S="${SOAP11}"><S:Header>` +
    `<ns2:AuthenticationHeader xmlns:ns2="${MKTOWS}"><mktowsUserId>${user}</mktowsUserId>` +
    `<requestSignature>${sig}</requestSignature><requestTimestamp>${ts}</requestTimestamp>` +
    `</ns2:AuthenticationHeader>${headerXml}</S:Header><S:Body>${bodyXml}</S:Body></S:Envelope>`
  );
}

const attribute = (name: string, type: string, value: string) =>
  `<attribute><attrName>${name}</attrName><attrType>${type}</attrType><attrValue>${value}</attrValue></attribute>`;

/** The lead of `email` as getLead answers it (one lead expected). */
async function leadOf(service: TestService, email: string): Promise<string> {
  const r = await rawCall(service.url, getLeadByEmailXml(email));
  expect(r.status, r.body).to.equal(200);
  expect(r.body).to.contain('<count>1</count>');
  return r.body;
}

const ids = (body: string, record: string) =>
  [...body.matchAll(new RegExp(`<${record}><id>(\\d+)</id>`, 'g'))].map((m) => Number(m[1]));

for (const engine of testEngines()) {
  describe(`published mktows integrations, as they write requests (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('.NET service reference: nil members, no context header, lastUpdatedAt without an offset or with seven fraction digits', async () => {
      const email = 'dotnet-ref@example.com';
      const sync = await postXml(
        service.url,
        wcfEnvelope(
          `<paramsSyncLead xmlns="${MKTOWS}"><leadRecord xmlns=""><Id xsi:nil="true"/><Email>${email}</Email>` +
            '<ForeignSysPersonId xsi:nil="true"/><ForeignSysType xsi:nil="true"/><leadAttributeList>' +
            '<attribute><attrName>FirstName</attrName><attrType xsi:nil="true"/><attrValue>Joe</attrValue></attribute>' +
            '<attribute><attrName>LastName</attrName><attrType xsi:nil="true"/><attrValue>Smith</attrValue></attribute>' +
            '</leadAttributeList></leadRecord><returnLead xmlns="">false</returnLead>' +
            '<marketoCookie xmlns="" xsi:nil="true"/></paramsSyncLead>',
        ),
        { soapAction: `"${MKTOWS}syncLead"` },
      );
      expect(sync.status, sync.body).to.equal(200);
      expect(sync.body).to.contain('<status>CREATED</status>');
      const lead = await leadOf(service, email);
      expect(lead).to.contain(attribute('FirstName', 'string', 'Joe'));
      expect(lead).to.contain(attribute('LastName', 'string', 'Smith'));

      const yesterday = new Date(Date.now() - 86400000);
      const noOffset = yesterday.toISOString().replace(/\.\d{3}Z$/, '');
      const sevenDigits = yesterday.toISOString().replace(/Z$/, '1234+00:00');
      for (const lastUpdatedAt of [noOffset, sevenDigits]) {
        const r = await postXml(
          service.url,
          wcfEnvelope(
            `<paramsGetMultipleLeads xmlns="${MKTOWS}"><lastUpdatedAt xmlns="">${lastUpdatedAt}</lastUpdatedAt>` +
              '<batchSize xmlns="">10</batchSize></paramsGetMultipleLeads>',
          ),
          { soapAction: `"${MKTOWS}getMultipleLeads"` },
        );
        expect(r.status, `${lastUpdatedAt}: ${r.body}`).to.equal(200);
        expect(r.body, lastUpdatedAt).to.contain(`<Email>${email}</Email>`);
      }
    });

    it("Talend's components: a qualified leadAttributeList, keys split with an empty one kept, repeated includeAttributes", async () => {
      const emails = ['talend-a@example.com', 'talend-b@example.com'] as const;
      for (const email of emails) {
        const r = await postXml(
          service.url,
          jaxwsEnvelope(
            `<ns2:paramsSyncLead xmlns:ns2="${MKTOWS}"><leadRecord><Email>${email}</Email>` +
              '<ns2:leadAttributeList><attribute><attrName>Company</attrName><attrValue>Acme</attrValue></attribute>' +
              '</ns2:leadAttributeList></leadRecord><returnLead>false</returnLead></ns2:paramsSyncLead>',
            `<ns2:MktowsContextHeader xmlns:ns2="${MKTOWS}"><targetWorkspace>default</targetWorkspace></ns2:MktowsContextHeader>`,
          ),
          { soapAction: '""' },
        );
        expect(r.status, r.body).to.equal(200);
        expect(await leadOf(service, email)).to.contain(attribute('Company', 'string', 'Acme'));
      }
      // "a, b" split on commas and spaces: ["a", "", "b"], sent as they are.
      const keys = `${emails[0]}, ${emails[1]}`.split(/,|;|\s/);
      expect(keys).to.include('');
      const r = await postXml(
        service.url,
        jaxwsEnvelope(
          `<ns2:paramsGetMultipleLeads xmlns:ns2="${MKTOWS}"><leadSelector xmlns:xsi="${XSI}" xsi:type="ns2:LeadKeySelector">` +
            `<keyType>EMAIL</keyType><keyValues>${keys.map((k) => `<stringItem>${k}</stringItem>`).join('')}</keyValues>` +
            '</leadSelector><batchSize>100</batchSize><includeAttributes><stringItem>Id</stringItem>' +
            '<stringItem>Email</stringItem><stringItem>Company</stringItem><stringItem>Company</stringItem>' +
            '</includeAttributes></ns2:paramsGetMultipleLeads>',
        ),
        { soapAction: '""' },
      );
      expect(r.status, r.body).to.equal(200);
      expect(r.body).to.contain('<returnCount>2</returnCount>');
      for (const email of emails) expect(r.body).to.contain(`<Email>${email}</Email>`);
      expect(r.body.split('<attrName>Company</attrName>')).to.have.length(3);

      // A null column: JAXB leaves attrValue out. The field is cleared; Unsubscribed is refused.
      const nullColumn = (name: string) =>
        postXml(
          service.url,
          jaxwsEnvelope(
            `<ns2:paramsSyncLead xmlns:ns2="${MKTOWS}"><leadRecord><Email>${emails[0]}</Email>` +
              `<ns2:leadAttributeList><attribute><attrName>${name}</attrName></attribute>` +
              '</ns2:leadAttributeList></leadRecord><returnLead>false</returnLead></ns2:paramsSyncLead>',
          ),
          { soapAction: '""' },
        );
      const cleared = await nullColumn('Company');
      expect(cleared.status, cleared.body).to.equal(200);
      expect(await leadOf(service, emails[0])).not.to.contain('<attrName>Company</attrName>');
      expectFault(await nullColumn('Unsubscribed'), 20105);
      expect(await leadOf(service, emails[0])).to.contain(
        attribute('Unsubscribed', 'boolean', '0'),
      );
    });

    it("Talend's getLeadChanges: empty activityFilter, LastUpdateAtSelector and startPosition, paged by the offset read", async () => {
      const body = (batchSize: number, offset?: string) =>
        jaxwsEnvelope(
          `<ns2:paramsGetLeadChanges xmlns:ns2="${MKTOWS}"><startPosition>` +
            '<oldestCreatedAt>2016-01-01T00:00:00.000+01:00</oldestCreatedAt>' +
            `${offset === undefined ? '' : `<offset>${offset}</offset>`}</startPosition>` +
            `<activityFilter/><batchSize>${batchSize}</batchSize>` +
            `<leadSelector xmlns:xsi="${XSI}" xsi:type="ns2:LastUpdateAtSelector">` +
            '<oldestUpdatedAt>2016-01-01T00:00:00.000+01:00</oldestUpdatedAt>' +
            '<latestUpdatedAt>2099-01-01T00:00:00.000+01:00</latestUpdatedAt></leadSelector>' +
            '</ns2:paramsGetLeadChanges>',
        );
      for (const n of [1, 2, 3]) {
        const created = await rawCall(service.url, syncEmailXml(`talend-changes-${n}@example.com`));
        expect(created.status, created.body).to.equal(200);
      }
      const whole = await postXml(service.url, body(1000), { soapAction: '""' });
      expect(whole.status, whole.body).to.equal(200);
      const all = ids(whole.body, 'leadChangeRecord');
      expect(all.length).to.be.above(2);

      const paged: number[] = [];
      let offset: string | undefined;
      for (let page = 0; page <= all.length; page++) {
        const r = await postXml(service.url, body(2, offset), { soapAction: '""' });
        expect(r.status, r.body).to.equal(200);
        const got = ids(r.body, 'leadChangeRecord');
        if (got.length === 0) break;
        paged.push(...got);
        offset = /<newStartPosition>.*?<offset>([^<]*)<\/offset>/.exec(r.body)?.[1];
        expect(offset, r.body).to.be.a('string').and.not.equal('');
      }
      expect(paged).to.deep.equal(all);
    });

    it("elcodedocle's PHP client: getLeadActivity with an empty activityFilter and an empty startPosition", async () => {
      const email = 'php-activity@example.com';
      const created = await rawCall(service.url, syncEmailXml(email));
      expect(created.status, created.body).to.equal(200);
      const r = await rawCall(
        service.url,
        `<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey>` +
          '<activityFilter/><startPosition/><batchSize>100</batchSize></ns1:paramsGetLeadActivity>',
      );
      expect(r.status, r.body).to.equal(200);
      expect(r.body).to.contain('<activityType>New Lead</activityType>');
    });

    it('node-marketo-soap: its own envelope (tns bound on it, the members put inside tns:AuthenticationHeader) and a body passed as a string', async () => {
      const email = 'node-marketo-soap@example.com';
      const { user, ts, sig } = signedNow();
      const xml =
        `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP11}" xmlns:tns="${MKTOWS}" ><SOAP-ENV:Header>` +
        `<tns:AuthenticationHeader><mktowsUserId>${user}</mktowsUserId>` +
        `<requestSignature>${sig}</requestSignature><requestTimestamp>${ts}</requestTimestamp>` +
        '</tns:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body>' +
        `<tns:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList>` +
        '<attribute><attrName>FirstName</attrName><attrValue>Titus</attrValue></attribute>' +
        '</leadAttributeList></leadRecord><returnLead>true</returnLead></tns:paramsSyncLead>' +
        '</SOAP-ENV:Body></SOAP-ENV:Envelope>';
      const r = await postXml(service.url, xml, { soapAction: `"${MKTOWS}syncLead"` });
      expect(r.status, r.body).to.equal(200);
      expect(r.body).to.contain(attribute('FirstName', 'string', 'Titus'));
    });

    it('PHP wsdl2php classes on the 1_3 endpoint: attrType nil and a null value as <attrValue/>; a Munchkin cookie beside the address', async () => {
      const email = 'php-classes@example.com';
      const url = service.url.replace(/\/soap\/mktows\/[^/]+$/, '/soap/mktows/1_3');
      const { user, ts, sig } = signedNow();
      const php = (params: string) =>
        `<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP11}" xmlns:ns1="${MKTOWS}" xmlns:xsi="${XSI}">` +
        `<SOAP-ENV:Header><ns1:AuthenticationHeader><mktowsUserId>${user}</mktowsUserId>` +
        `<requestSignature>${sig}</requestSignature><requestTimestamp>${ts}</requestTimestamp>` +
        `</ns1:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body><ns1:paramsSyncLead>${params}` +
        '</ns1:paramsSyncLead></SOAP-ENV:Body></SOAP-ENV:Envelope>\n';
      const record = (attrs: string) =>
        `<leadRecord><Id xsi:nil="true"/><Email>${email}</Email><ForeignSysPersonId xsi:nil="true"/>` +
        `<ForeignSysType xsi:nil="true"/><leadAttributeList>${attrs}</leadAttributeList></leadRecord>`;
      const created = await postXml(
        url,
        php(
          record(
            '<attribute><attrName>FirstName</attrName><attrType xsi:nil="true"/><attrValue>Kim</attrValue></attribute>' +
              '<attribute><attrName>Phone</attrName><attrType xsi:nil="true"/><attrValue/></attribute>',
          ) + '<returnLead>true</returnLead><marketoCookie xsi:nil="true"/>',
        ),
        { soapAction: `"${MKTOWS}syncLead"` },
      );
      expect(created.status, created.body).to.equal(200);
      expect(created.body).to.contain(attribute('FirstName', 'string', 'Kim'));
      expect(created.body).not.to.contain('<attrName>Phone</attrName>');

      const cookie = 'id:561-HYG-937&amp;token:_mch-example.com-1374552656411-90718';
      const withCookie = await postXml(
        url,
        php(
          record(
            '<attribute><attrName>LastName</attrName><attrType xsi:nil="true"/><attrValue>Lee</attrValue></attribute>',
          ) + `<returnLead>false</returnLead><marketoCookie>${cookie}</marketoCookie>`,
        ),
        { soapAction: `"${MKTOWS}syncLead"` },
      );
      expect(withCookie.status, withCookie.body).to.equal(200);
      expect(withCookie.body).to.contain('<status>UPDATED</status>');
      const lead = await leadOf(service, email);
      expect(lead).to.contain(attribute('FirstName', 'string', 'Kim'));
      expect(lead).to.contain(attribute('LastName', 'string', 'Lee'));
    });
  });
}
