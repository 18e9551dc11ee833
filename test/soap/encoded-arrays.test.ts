/**
 * SOAP encoding's arrays as PHP's SoapClient without a WSDL (and Axis 1 in rpc/encoded calls)
 * writes a list: the schema's repeated element once, typed SOAP-ENC:Array, its values as
 * `item` children. Read as the repeated elements they stand for, as a server reading values by
 * xsi:type (PHP's SoapServer with the mktows WSDL) reads them. The client itself runs in
 * test/interop/php-non-wsdl.test.ts.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';

const ENC = 'xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"';
const array = (name: string, items: string[], type = 'SOAP-ENC:Struct') =>
  `<${name} SOAP-ENC:arrayType="${type}[${items.length}]" xsi:type="SOAP-ENC:Array">` +
  items.map((item) => `<item xsi:type="${type}">${item}</item>`).join('') +
  `</${name}>`;
const attribute = (name: string, value: string) =>
  `<attrName>${name}</attrName><attrValue>${value}</attrValue>`;
const getLead = (email: string) =>
  `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey></ns1:paramsGetLead>`;

for (const engine of testEngines()) {
  describe(`SOAP-ENC arrays in requests (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    const call = (body: string) => rawCall(service.url, body);

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('reads an array of attributes, of records holding arrays, and of keys as the elements they stand for', async () => {
      const sync = await call(
        `<ns1:paramsSyncLead ${ENC}><leadRecord><Email>enc-a@example.com</Email><leadAttributeList>` +
          array('attribute', [attribute('FirstName', 'Ann'), attribute('LastName', 'Lee')]) +
          '</leadAttributeList></leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>',
      );
      expect(sync.status, sync.body).to.equal(200);
      expect(sync.body).to.contain(
        '<attrName>FirstName</attrName><attrType>string</attrType><attrValue>Ann</attrValue>',
      );
      expect(sync.body).to.contain(
        '<attrName>LastName</attrName><attrType>string</attrType><attrValue>Lee</attrValue>',
      );

      const batch = await call(
        `<ns1:paramsSyncMultipleLeads ${ENC}><leadRecordList>` +
          array(
            'leadRecord',
            ['b', 'c'].map(
              (n) =>
                `<Email>enc-${n}@example.com</Email><leadAttributeList>` +
                array('attribute', [
                  attribute('City', `City ${n}`),
                  attribute('Company', `Co ${n}`),
                ]) +
                '</leadAttributeList>',
            ),
          ) +
          '</leadRecordList><dedupEnabled>true</dedupEnabled></ns1:paramsSyncMultipleLeads>',
      );
      expect(batch.status, batch.body).to.equal(200);
      expect(batch.body.match(/<status>CREATED<\/status>/g)).to.have.length(2);
      const c = await call(getLead('enc-c@example.com'));
      expect(c.body).to.contain('<attrValue>City c</attrValue>');
      expect(c.body).to.contain('<attrValue>Co c</attrValue>');

      const keys = await call(
        `<ns1:paramsGetMultipleLeads ${ENC}><leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType><keyValues>` +
          array(
            'stringItem',
            ['enc-a@example.com', 'enc-b@example.com', 'enc-c@example.com'],
            'xsd:string',
          ) +
          '</keyValues></leadSelector><batchSize>10</batchSize></ns1:paramsGetMultipleLeads>',
      );
      expect(keys.status, keys.body).to.equal(200);
      expect(keys.body).to.contain('<returnCount>3</returnCount>');
    });

    it('leaves a wrapper typed as an array with the schema’s members as it was read (Axis 1)', async () => {
      const r = await call(
        `<ns1:paramsSyncMultipleLeads ${ENC}><leadRecordList SOAP-ENC:arrayType="ns1:LeadRecord[1]" xsi:type="SOAP-ENC:Array">` +
          '<leadRecord><Email>enc-axis@example.com</Email></leadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>',
      );
      expect(r.status, r.body).to.equal(200);
      expect(r.body).to.contain('<status>CREATED</status>');
    });

    it('refuses an array with text beside its items, as any element holding text and members (20012)', async () => {
      const r = await call(
        `<ns1:paramsSyncLead ${ENC}><leadRecord><Email>enc-text@example.com</Email><leadAttributeList>` +
          `<attribute xsi:type="SOAP-ENC:Array">text<item>${attribute('City', 'X')}</item></attribute>` +
          '</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
      );
      expect(faultCode(r.body), r.body).to.equal(20012);
      const none = await call(getLead('enc-text@example.com'));
      expect(faultCode(none.body), 'nothing stored').to.equal(20103);
    });

    it('refuses an array marked nil or partly sent (SOAP-ENC:offset), as the element it stands for would be (20012)', async () => {
      for (const [n, marks] of [
        ['nil', 'xsi:nil="true"'],
        ['offset', 'SOAP-ENC:offset="[1]"'],
      ]) {
        const email = `enc-${n}@example.com`;
        const r = await call(
          `<ns1:paramsSyncLead ${ENC}><leadRecord><Email>${email}</Email><leadAttributeList>` +
            `<attribute xsi:type="SOAP-ENC:Array" ${marks}><item>${attribute('City', 'X')}</item></attribute>` +
            '</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
        );
        expect(faultCode(r.body), `${n}: ${r.body}`).to.equal(20012);
        const none = await call(getLead(email));
        expect(faultCode(none.body), `${n}: nothing stored`).to.equal(20103);
      }
    });

    it('refuses a sparse array (items placed by SOAP-ENC:position) rather than reading its items out of place (20012)', async () => {
      const email = 'enc-sparse@example.com';
      const r = await call(
        `<ns1:paramsSyncLead ${ENC}><leadRecord><Email>${email}</Email><leadAttributeList>` +
          `<attribute SOAP-ENC:arrayType="SOAP-ENC:Struct[4]" xsi:type="SOAP-ENC:Array"><item SOAP-ENC:position="[3]">${attribute('City', 'X')}</item></attribute>` +
          '</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
      );
      expect(faultCode(r.body), r.body).to.equal(20012);
      const none = await call(getLead(email));
      expect(faultCode(none.body), 'nothing stored').to.equal(20103);
    });

    it('reads a type attribute in no namespace as no xsi:type, whether or not another array is beside it (20012)', async () => {
      for (const [n, beside] of [
        ['alone', ''],
        ['beside', array('attribute', [attribute('FirstName', 'Ann')])],
      ]) {
        const email = `enc-untyped-${n}@example.com`;
        const r = await call(
          `<ns1:paramsSyncLead ${ENC}><leadRecord><Email>${email}</Email><leadAttributeList>${beside}` +
            `<attribute type="SOAP-ENC:Array"><item>${attribute('City', 'X')}</item></attribute>` +
            '</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
        );
        expect(faultCode(r.body), `${n}: ${r.body}`).to.equal(20012);
        const none = await call(getLead(email));
        expect(faultCode(none.body), `${n}: nothing stored`).to.equal(20103);
      }
    });

    it('refuses arrays nested past the envelope’s depth limit as any such body (20012), never an internal error', async () => {
      // Within MAX_BODY_BYTES (1 MiB): a body larger is refused for its size before this.
      const depth = 16000;
      const open = '<attribute xsi:type="SOAP-ENC:Array"><item>'.repeat(depth);
      const close = '</item></attribute>'.repeat(depth);
      const r = await call(
        `<ns1:paramsSyncLead ${ENC}><leadRecord><Email>enc-deep@example.com</Email><leadAttributeList>` +
          `${open}${close}</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
      );
      expect(faultCode(r.body), r.body.slice(0, 2000)).to.equal(20012);
      expect(r.body).to.not.contain('larger than');
    });
  });
}
