/**
 * What real old clients send that the vendor's server took: a returnLead their client classes
 * never set (PHP SoapClient writes <returnLead/>), and SOAP encoding's multi-reference values
 * (SOAP::Lite for a shared Perl reference, Axis 1 in rpc/encoded calls): read in place; values
 * SOAP::Lite's autotyping sends as base64: read as their text.
 * The toolkits themselves run in test/interop (php-legacy-client, soap-lite).
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';

const SYNC = (email: string, returnLead: string) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email></leadRecord>${returnLead}</ns1:paramsSyncLead>`;
const AXIS_REF =
  'soapenc:root="0" SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" ' +
  'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:ns2="http://www.marketo.com/mktows/"';

for (const engine of testEngines()) {
  describe(`what old toolkits send (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    const call = (body: string) => rawCall(service.url, body);

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('syncLead with returnLead absent, empty or nil syncs and returns no record, as the vendor did', async () => {
      for (const [n, returnLead] of [
        '',
        '<returnLead/>',
        '<returnLead> </returnLead>',
        '<returnLead xsi:nil="true"/>',
      ].entries()) {
        const r = await call(SYNC(`unset-return-${n}@example.com`, returnLead));
        expect(r.status, `${returnLead}: ${r.body}`).to.equal(200);
        expect(r.body).to.contain('<status>CREATED</status>');
        expect(r.body).to.contain('<leadRecord xsi:nil="true"></leadRecord>');
      }
      const bad = await call(
        SYNC('unset-return-bad@example.com', '<returnLead>maybe</returnLead>'),
      );
      expect(faultCode(bad.body), bad.body).to.equal(20110);
    });

    it('reads a value carrying xml:lang or xml:space as its text; another attribute is 20110 naming it', async () => {
      const created = await call(SYNC('lang@example.com', '<returnLead>false</returnLead>'));
      expect(created.status, created.body).to.equal(200);
      for (const attribute of [
        'xml:lang="en"',
        'xml:space="preserve"',
        'xml:lang="de" xsi:type="xsd:string" xmlns:xsd="http://www.w3.org/2001/XMLSchema"',
      ]) {
        const key = await call(
          `<ns1:paramsGetLead><leadKey><keyType ${attribute}>EMAIL</keyType>` +
            `<keyValue ${attribute}>lang@example.com</keyValue></leadKey></ns1:paramsGetLead>`,
        );
        expect(key.status, `${attribute}: ${key.body}`).to.equal(200);
        expect(key.body).to.contain('<Email>lang@example.com</Email>');
        const sync = await call(
          `<ns1:paramsSyncLead><leadRecord><Email ${attribute}>lang-new@example.com</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
        );
        expect(sync.status, `${attribute}: ${sync.body}`).to.equal(200);
      }
      const unread = await call(
        '<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType>' +
          '<keyValue format="plain">lang@example.com</keyValue></leadKey></ns1:paramsGetLead>',
      );
      expect(faultCode(unread.body), unread.body).to.equal(20110);
      expect(unread.body).to.contain('keyValue must be text: its attribute format is not read');
    });

    it('reads a value typed xsd:base64Binary or SOAP-ENC:base64 (SOAP::Lite’s autotyping of text outside ASCII) as its text', async () => {
      const XSD = 'xmlns:xsd="http://www.w3.org/2001/XMLSchema"';
      const ENC = 'xmlns:enc="http://schemas.xmlsoap.org/soap/encoding/"';
      const b64 = (text: string, encoding: BufferEncoding = 'utf8') =>
        Buffer.from(text, encoding).toString('base64');
      const attr = (name: string, type: string, value: string) =>
        `<attribute><attrName>${name}</attrName><attrValue xsi:type="${type}">${value}</attrValue></attribute>`;
      const sync = await call(
        `<ns1:paramsSyncLead ${XSD} ${ENC}><leadRecord><Email xsi:type="xsd:base64Binary">${b64('zoë@example.com')}</Email>` +
          `<leadAttributeList>${attr('FirstName', 'xsd:base64Binary', b64('Zoë'))}` +
          // ISO-8859-1 bytes (not UTF-8), wrapped as MIME base64 wraps long lines
          attr(
            'LastName',
            'xsd:base64Binary',
            `${b64('Mü', 'latin1').slice(0, 2)}\n${b64('Mü', 'latin1').slice(2)}`,
          ) +
          `${attr('City', 'enc:base64', b64('東京'))}${attr('Title', 'xsd:string', 'Wm/Dqw==')}` +
          // A type attribute in no namespace is no xsi:type: its text is the value.
          '<attribute><attrName>Company</attrName><attrValue type="xsd:base64Binary">Wm/Dqw==</attrValue></attribute>' +
          '</leadAttributeList></leadRecord>' +
          '<returnLead>true</returnLead></ns1:paramsSyncLead>',
      );
      expect(sync.status, sync.body).to.equal(200);
      expect(sync.body).to.contain('<Email>zoë@example.com</Email>');
      for (const [name, value] of [
        ['City', '東京'],
        ['FirstName', 'Zoë'],
        ['LastName', 'Mü'],
        ['Title', 'Wm/Dqw=='],
        ['Company', 'Wm/Dqw=='],
      ])
        expect(sync.body, name).to.contain(
          `<attrName>${name}</attrName><attrType>string</attrType><attrValue>${value}</attrValue>`,
        );
      const key = await call(
        `<ns1:paramsGetLead ${XSD}><leadKey><keyType>EMAIL</keyType>` +
          `<keyValue xsi:type="xsd:base64Binary">${b64('ZOË@example.com')}</keyValue></leadKey></ns1:paramsGetLead>`,
      );
      expect(key.status, key.body).to.equal(200);
      expect(key.body).to.contain('<Email>zoë@example.com</Email>');
      for (const [value, why] of [
        ['not base64!', 'is typed xsd:base64Binary but its text is not base64'],
        ['Wm9', 'is typed xsd:base64Binary but its text is not base64'],
        [
          b64('a\u0000b'),
          'is typed xsd:base64Binary and decodes to a character XML text cannot hold',
        ],
      ]) {
        const bad = await call(
          `<ns1:paramsGetLead ${XSD}><leadKey><keyType>EMAIL</keyType>` +
            `<keyValue xsi:type="xsd:base64Binary">${value}</keyValue></leadKey></ns1:paramsGetLead>`,
        );
        expect(faultCode(bad.body), bad.body).to.equal(20110);
        expect(bad.body).to.contain(`keyValue ${why}`);
      }
    });

    describe('multi-reference values (href="#id" to a Body child with that id)', () => {
      before(async () => {
        const r = await call(SYNC('refs@example.com', '<returnLead>false</returnLead>'));
        expect(r.status, r.body).to.equal(200);
      });

      it('Axis 1 rpc/encoded: the referenced value, its xsi:type and namespaces, in place of the reference', async () => {
        const key = await call(
          '<ns1:paramsGetLead><leadKey href="#id0"/></ns1:paramsGetLead>' +
            `<multiRef id="id0" ${AXIS_REF} xsi:type="ns2:LeadKey"><keyType xsi:type="ns2:LeadKeyRef">EMAIL</keyType>` +
            '<keyValue xsi:type="xsd:string" xmlns:xsd="http://www.w3.org/2001/XMLSchema">refs@example.com</keyValue></multiRef>',
        );
        expect(key.status, key.body).to.equal(200);
        expect(key.body).to.contain('<Email>refs@example.com</Email>');
        // The derived selector's type comes from the referenced value.
        const selector = await call(
          '<ns1:paramsGetMultipleLeads><leadSelector href="#id0"/></ns1:paramsGetMultipleLeads>' +
            `<multiRef id="id0" ${AXIS_REF} xsi:type="ns2:LeadKeySelector"><keyType>EMAIL</keyType>` +
            '<keyValues href="#id1"/></multiRef>' +
            `<multiRef id="id1" ${AXIS_REF}><stringItem>refs@example.com</stringItem></multiRef>`,
        );
        expect(selector.status, selector.body).to.equal(200);
        expect(selector.body).to.contain('<returnCount>1</returnCount>');
      });

      it('SOAP::Lite: one value referenced from several records, and the empty references it leaves in the Body', async () => {
        const r = await call(
          '<ns1:paramsSyncMultipleLeads><leadRecordList>' +
            '<leadRecord><Email>refs-a@example.com</Email><leadAttributeList href="#ref-1" /></leadRecord>' +
            '<leadRecord><leadAttributeList href="#ref-1"></leadAttributeList><Email>refs-b@example.com</Email></leadRecord>' +
            '</leadRecordList></ns1:paramsSyncMultipleLeads>' +
            '<c-gensym1 id="ref-2"><attrName>Company</attrName><attrValue>Acme &amp; Co</attrValue></c-gensym1>' +
            '<attribute href="#ref-2" />' +
            '<c-gensym2 id="ref-1"><attribute href="#ref-2" /></c-gensym2>',
        );
        expect(r.status, r.body).to.equal(200);
        expect(r.body.match(/<status>CREATED<\/status>/g)).to.have.length(2);
        for (const email of ['refs-a@example.com', 'refs-b@example.com']) {
          const lead = await call(
            `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey></ns1:paramsGetLead>`,
          );
          expect(lead.body, email).to.contain(
            '<attrName>Company</attrName><attrType>string</attrType><attrValue>Acme &amp; Co</attrValue>',
          );
        }
      });

      it('refuses a reference to itself, to nothing, a Body child that is neither, and a value grown out of bounds (20012)', async () => {
        const cases: [string, string][] = [
          [
            '<ns1:paramsGetLead><leadKey href="#a"/></ns1:paramsGetLead><x id="a"><keyType href="#a"/></x>',
            'holds itself',
          ],
          [
            '<ns1:paramsGetLead><leadKey href="#b"/></ns1:paramsGetLead><x id="a"><keyType>EMAIL</keyType></x>',
            'more than one element',
          ],
          [
            '<ns1:paramsGetLead><leadKey href="#a"/></ns1:paramsGetLead><x id="a"><keyType>EMAIL</keyType></x><y>1</y>',
            'more than one element',
          ],
        ];
        // Each value twice the one before: a few hundred bytes naming gigabytes.
        let values = '<v0 id="v0"><attrName>x</attrName><attrValue>y</attrValue></v0>';
        for (let i = 1; i < 30; i++)
          values += `<v${i} id="v${i}">${`<attribute href="#v${i - 1}"/>`.repeat(2)}</v${i}>`;
        cases.push([
          `<ns1:paramsSyncLead><leadRecord><Email>refs-bomb@example.com</Email><leadAttributeList href="#v29"/></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>${values}`,
          'multi-reference values of the SOAP Body make it over',
        ]);
        // A chain, each value holding a reference to the next: 25,000 deep overflowed the stack
        // (fault 10001, an internal error) after a square of its length in work.
        let chain = '';
        for (let i = 0; i < 25000; i++) chain += `<a id="${i}"><b href="#${i + 1}"/></a>`;
        cases.push([
          `<ns1:paramsGetLead><leadKey href="#0"/></ns1:paramsGetLead>${chain}<a id="25000"><keyType>EMAIL</keyType></a>`,
          'nested more than 64 references deep',
        ]);
        for (const [body, why] of cases) {
          const r = await call(body);
          expect(faultCode(r.body), r.body).to.equal(20012);
          expect(r.body).to.contain(why);
        }
      });
    });
  });
}
