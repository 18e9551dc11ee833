/**
 * Values and header entries as .NET-era and Java-era stacks write them: line ends as .NET's
 * XmlWriter writes them (CR LF for every new line), read as XML reads them; whitespace around a value (pretty-printed requests) trimmed, within it kept; header
 * entries of WS-Addressing and Axis's SOAPHeaderElement beside the AuthenticationHeader.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  activityByEmailXml,
  envelope,
  expectFault,
  getLeadByEmailXml,
  postXml,
  rawCall,
  startTestService,
  type TestService,
} from '../support/service.js';
import { MKTOWS, signedNow, SOAP11, XSD, XSI } from '../support/toolkit-envelopes.js';

const WSA = 'http://www.w3.org/2005/08/addressing';

/** A syncLead body of `email` with attributes (name, value as written), the lead asked back. */
const syncXml = (email: string, attributes: Array<[string, string]>) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList>` +
  attributes
    .map(([n, v]) => `<attribute><attrName>${n}</attrName><attrValue>${v}</attrValue></attribute>`)
    .join('') +
  '</leadAttributeList></leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>';

/** The text of attribute `name` of the first record of an answer, references decoded. */
function attributeValue(body: string, name: string): string | undefined {
  const m = new RegExp(
    `<attrName>${name}</attrName><attrType>[^<]*</attrType><attrValue>([^<]*)</attrValue>`,
  ).exec(body);
  return m?.[1]!
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

for (const engine of testEngines()) {
  describe(`values and header entries as .NET and Java stacks write them (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    const getLead = (email: string) => rawCall(service.url, getLeadByEmailXml(email));

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('reads a line end written as CR LF or CR as XML does, one LF; a CR written &#13; stays', async () => {
      const email = 'line-ends@example.com';
      // .NET's XmlWriter writes each new line of a value as CR LF; a CR alone reads as LF too.
      const first = await rawCall(
        service.url,
        syncXml(email, [
          ['Address', '1 Main St\r\nSuite 2'],
          ['Company', 'Acme\rWest'],
          ['Title', 'Head&#13;&#10;of Sales'],
        ]),
      );
      expect(first.status, first.body).to.equal(200);
      const read = await getLead(email);
      expect(attributeValue(read.body, 'Address')).to.equal('1 Main St\nSuite 2');
      expect(attributeValue(read.body, 'Company')).to.equal('Acme\nWest');
      expect(attributeValue(read.body, 'Title')).to.equal('Head\r\nof Sales');

      // The same address from a client writing LF: the same value, no change logged.
      const changes = async () =>
        (
          (await rawCall(service.url, activityByEmailXml(email))).body.match(
            /<mktgAssetName>Address<\/mktgAssetName>/g,
          ) ?? []
        ).length;
      const before = await changes();
      const again = await rawCall(service.url, syncXml(email, [['Address', '1 Main St\nSuite 2']]));
      expect(again.status, again.body).to.equal(200);
      expect(await changes()).to.equal(before);
    });

    it('a .NET batch past the first 64 KiB: a byte order mark, indented with CR LF, multi-line values', async () => {
      const { user, ts, sig } = signedNow();
      const nl = '\r\n';
      let records = '';
      for (let i = 0; i < 300; i++)
        records +=
          `${nl}        <leadRecord>${nl}          <Email>batch-${i}@example.com</Email>` +
          `${nl}          <leadAttributeList>${nl}            <attribute>` +
          `${nl}              <attrName>Address</attrName>` +
          `${nl}              <attrValue>${i} Main St${nl}Suite ${i}</attrValue>` +
          `${nl}            </attribute>${nl}          </leadAttributeList>${nl}        </leadRecord>`;
      const xml =
        `<?xml version="1.0" encoding="utf-8"?>${nl}<soap:Envelope xmlns:soap="${SOAP11}" ` +
        `xmlns:xsi="${XSI}" xmlns:xsd="${XSD}">${nl}  <soap:Header>${nl}` +
        `    <AuthenticationHeader xmlns="${MKTOWS}">${nl}` +
        `      <mktowsUserId xmlns="">${user}</mktowsUserId>${nl}` +
        `      <requestSignature xmlns="">${sig}</requestSignature>${nl}` +
        `      <requestTimestamp xmlns="">${ts}</requestTimestamp>${nl}` +
        `    </AuthenticationHeader>${nl}  </soap:Header>${nl}  <soap:Body>${nl}` +
        `    <paramsSyncMultipleLeads xmlns="${MKTOWS}">${nl}      <leadRecordList xmlns="">` +
        `${records}${nl}      </leadRecordList>${nl}      <dedupEnabled xmlns="">true</dedupEnabled>` +
        `${nl}    </paramsSyncMultipleLeads>${nl}  </soap:Body>${nl}</soap:Envelope>`;
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)]);
      expect(body.length, 'past the look at the first 64 KiB').to.be.above(64 * 1024);
      const r = await postXml(service.url, body, { soapAction: `"${MKTOWS}syncMultipleLeads"` });
      expect(r.status, r.body).to.equal(200);
      expect(r.body.match(/<status>CREATED<\/status>/g)).to.have.length(300);
      const last = await getLead('batch-299@example.com');
      expect(attributeValue(last.body, 'Address')).to.equal('299 Main St\nSuite 299');
    });

    it('trims whitespace around a value (pretty-printed requests), keeps it within', async () => {
      const email = 'trimmed@example.com';
      const r = await rawCall(
        service.url,
        syncXml(`\r\n      ${email}\r\n   `, [
          ['FirstName', '\r\n         Ann\r\n      '],
          ['LastName', '\tvan  der\tBerg '],
          ['Company', '<![CDATA[  Acme  ]]>'],
        ]),
      );
      expect(r.status, r.body).to.equal(200);
      const read = await getLead(email);
      expect(read.body).to.include(`<Email>${email}</Email>`);
      expect(attributeValue(read.body, 'FirstName')).to.equal('Ann');
      expect(attributeValue(read.body, 'LastName')).to.equal('van  der\tBerg');
      expect(attributeValue(read.body, 'Company')).to.equal('Acme');
      // Blanks alone are no value: the field is cleared.
      const cleared = await rawCall(service.url, syncXml(email, [['FirstName', ' \r\n ']]));
      expect(cleared.status, cleared.body).to.equal(200);
      expect(attributeValue((await getLead(email)).body, 'FirstName')).to.equal(undefined);
    });

    it('reads Unsubscribed on lines of its own as its value; one of blanks alone is 20105, nothing stored', async () => {
      const email = 'pretty-unsubscribe@example.com';
      const r = await rawCall(
        service.url,
        syncXml(email, [['Unsubscribed', '\r\n            true\r\n         ']]),
      );
      expect(r.status, r.body).to.equal(200);
      expect(attributeValue((await getLead(email)).body, 'Unsubscribed')).to.equal('1');

      const blank = 'blank-unsubscribe@example.com';
      expectFault(
        await rawCall(service.url, syncXml(blank, [['Unsubscribed', ' \r\n\t ']])),
        20105,
      );
      expectFault(await getLead(blank), 20103);
    });

    it('header entries before the AuthenticationHeader: WS-Addressing (JAX-WS, CXF), Axis’s SOAPHeaderElement', async () => {
      const email = 'ws-headers@example.com';
      const { user, ts, sig } = signedNow();
      const addressing =
        `<wsa:To xmlns:wsa="${WSA}">${service.url}</wsa:To>` +
        `<wsa:Action xmlns:wsa="${WSA}">http://www.marketo.com/mktows/syncLead</wsa:Action>` +
        `<wsa:ReplyTo xmlns:wsa="${WSA}"><wsa:Address>${WSA}/anonymous</wsa:Address></wsa:ReplyTo>` +
        `<wsa:MessageID xmlns:wsa="${WSA}">urn:uuid:6a1c3d4e-0000-4000-8000-000000000001</wsa:MessageID>`;
      // Axis 1.4's SOAPHeaderElement: the next actor, mustUnderstand="0", typed members.
      const axisHeader =
        '<ns1:AuthenticationHeader soapenv:actor="http://schemas.xmlsoap.org/soap/actor/next" ' +
        `soapenv:mustUnderstand="0" xmlns:ns1="http://www.marketo.com/mktows/" xmlns:xsd="${XSD}">` +
        `<mktowsUserId xsi:type="xsd:string">${user}</mktowsUserId>` +
        `<requestSignature xsi:type="xsd:string">${sig}</requestSignature>` +
        `<requestTimestamp xsi:type="xsd:string">${ts}</requestTimestamp></ns1:AuthenticationHeader>`;
      const xml = envelope(syncXml(email, [['FirstName', 'Wes']]), { user: null })
        .replace(/SOAP-ENV:/g, 'soapenv:')
        .replace('xmlns:SOAP-ENV=', 'xmlns:soapenv=')
        .replace('<soapenv:Header>', `<soapenv:Header>${addressing}${axisHeader}`);
      const r = await postXml(service.url, xml, { soapAction: '""' });
      expect(r.status, r.body).to.equal(200);
      expect(attributeValue((await getLead(email)).body, 'FirstName')).to.equal('Wes');
    });

    it('wsa:To marked mustUnderstand (WCF, Spring-WS) is a MustUnderstand fault, as SOAP 1.1 requires; nothing stored', async () => {
      const email = 'wsa-must@example.com';
      const r = await rawCall(service.url, syncXml(email, [['FirstName', 'Wes']]), {
        extraHeaderXml: `<wsa:To xmlns:wsa="${WSA}" SOAP-ENV:mustUnderstand="1">${service.url}</wsa:To>`,
      });
      expectFault(r, 20012);
      expect(r.body).to.include('<faultcode>SOAP-ENV:MustUnderstand</faultcode>');
      expect(r.body).to.include(`To {${WSA}}`);
      expectFault(await getLead(email), 20103);
    });
  });
}
