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

    it('reads an empty array (PHP’s array(), SOAP::Lite’s []) as no element of its list, as the empty list is read', async () => {
      // PHP writes xsd:ur-type[0], SOAP::Lite soapenc:/xsd:anyType[0] with a space before />.
      const php = (name: string) =>
        `<${name} SOAP-ENC:arrayType="xsd:ur-type[0]" xsi:type="SOAP-ENC:Array"/>`;
      const perl = (name: string) =>
        `<${name} xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" soapenc:arrayType="xsd:anyType[0]" xsi:type="soapenc:Array" />`;
      // Written out with white space inside (SOAP::Lite's readable mode, a hand-built body).
      const spaced = (name: string) =>
        `<${name} SOAP-ENC:arrayType="xsd:string[0]" xsi:type="SOAP-ENC:Array">\n  </${name}>`;
      for (const [n, empty] of [
        ['php', php],
        ['perl', perl],
        ['spaced', spaced],
      ] as const) {
        const email = `enc-empty-${n}@example.com`;
        const sync = await call(
          `<ns1:paramsSyncLead ${ENC}><leadRecord><Email>${email}</Email><leadAttributeList>` +
            `${empty('attribute')}</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
        );
        expect(sync.body, `${n}: syncLead`).to.contain('<status>CREATED</status>');

        const batch = await call(
          `<ns1:paramsSyncMultipleLeads ${ENC}><leadRecordList><leadRecord><Email>b-${email}</Email>` +
            `<leadAttributeList>${empty('attribute')}</leadAttributeList></leadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>`,
        );
        expect(batch.body, `${n}: syncMultipleLeads`).to.contain('<status>CREATED</status>');

        // Within an array's items too: a record of a list of records with no attribute.
        const nested = await call(
          `<ns1:paramsSyncMultipleLeads ${ENC}><leadRecordList>` +
            array('leadRecord', [
              `<Email>c-${email}</Email><leadAttributeList>${empty('attribute')}</leadAttributeList>`,
            ]) +
            '</leadRecordList></ns1:paramsSyncMultipleLeads>',
        );
        expect(nested.body, `${n}: nested`).to.contain('<status>CREATED</status>');

        // No record at all: the fault of an empty leadRecordList, never a FAILED record.
        const none = await call(
          `<ns1:paramsSyncMultipleLeads ${ENC}><leadRecordList>${empty('leadRecord')}</leadRecordList></ns1:paramsSyncMultipleLeads>`,
        );
        expect(faultCode(none.body), `${n}: no records: ${none.body}`).to.equal(20104);

        // No key: 20101 as for an empty keyValues, never an empty page.
        const keys = await call(
          `<ns1:paramsGetMultipleLeads ${ENC}><leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType>` +
            `<keyValues>${empty('stringItem')}</keyValues></leadSelector></ns1:paramsGetMultipleLeads>`,
        );
        expect(faultCode(keys.body), `${n}: no keys: ${keys.body}`).to.equal(20101);

        // No attribute named: every attribute, as for an empty includeAttributes.
        const all = await call(
          `<ns1:paramsGetMultipleLeads ${ENC}><leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType>` +
            `<keyValues><stringItem>${email}</stringItem></keyValues></leadSelector>` +
            `<includeAttributes>${empty('stringItem')}</includeAttributes></ns1:paramsGetMultipleLeads>`,
        );
        expect(all.body, `${n}: includeAttributes`).to.contain('<attrName>Unsubscribed</attrName>');

        // No activity type: no filter, as for an empty includeTypes or excludeTypes.
        for (const list of ['includeTypes', 'excludeTypes']) {
          const filter = `<activityFilter><${list}>${empty('activityType')}</${list}></activityFilter>`;
          const activity = await call(
            `<ns1:paramsGetLeadActivity ${ENC}><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey>` +
              `${filter}</ns1:paramsGetLeadActivity>`,
          );
          expect(activity.body, `${n}: getLeadActivity ${list}`).to.contain(
            '<returnCount>1</returnCount>',
          );
          const changes = await call(
            `<ns1:paramsGetLeadChanges ${ENC}><startPosition><oldestCreatedAt>2000-01-01T00:00:00Z</oldestCreatedAt></startPosition>` +
              `${filter}</ns1:paramsGetLeadChanges>`,
          );
          expect(changes.status, `${n}: getLeadChanges ${list}: ${changes.body}`).to.equal(200);
        }

        // An empty list of losers: 20101, as for an empty losingLeadKeyLists.
        const merge = await call(
          `<ns1:paramsMergeLeads ${ENC}><winningLeadKeyList><attribute><attrName>EMAIL</attrName><attrValue>${email}</attrValue></attribute></winningLeadKeyList>` +
            `<losingLeadKeyLists>${empty('keyList')}</losingLeadKeyLists></ns1:paramsMergeLeads>`,
        );
        expect(faultCode(merge.body), `${n}: mergeLeads`).to.equal(20101);

        // Where its name is no list's member (a syncLead's one leadRecord), it stays the one
        // empty element it is: 20104, as for <leadRecord/>.
        const record = await call(
          `<ns1:paramsSyncLead ${ENC}>${empty('leadRecord')}<returnLead>false</returnLead></ns1:paramsSyncLead>`,
        );
        expect(faultCode(record.body), `${n}: syncLead's leadRecord`).to.equal(20104);
      }
    });

    it('reads an empty array within a wrapper typed as an array and left as sent (Axis 1) as the empty list too', async () => {
      const empty = '<attribute SOAP-ENC:arrayType="xsd:ur-type[0]" xsi:type="SOAP-ENC:Array"/>';
      const r = await call(
        `<ns1:paramsSyncMultipleLeads ${ENC}><leadRecordList SOAP-ENC:arrayType="ns1:LeadRecord[1]" xsi:type="SOAP-ENC:Array">` +
          `<leadRecord><Email>enc-empty-axis@example.com</Email><leadAttributeList>${empty}</leadAttributeList></leadRecord>` +
          '</leadRecordList></ns1:paramsSyncMultipleLeads>',
      );
      expect(r.body).to.contain('<status>CREATED</status>');
    });

    it('leaves an empty array that says more than its type, or declares items it does not hold, as it was sent', async () => {
      for (const [n, marks] of [
        ['nil', 'SOAP-ENC:arrayType="xsd:ur-type[0]" xsi:nil="true"'],
        ['declared', 'SOAP-ENC:arrayType="xsd:ur-type[2]"'],
      ]) {
        const email = `enc-empty-${n}@example.com`;
        const r = await call(
          `<ns1:paramsSyncLead ${ENC}><leadRecord><Email>${email}</Email><leadAttributeList>` +
            `<attribute xsi:type="SOAP-ENC:Array" ${marks}/></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
        );
        expect(r.status, `${n}: ${r.body}`).to.equal(500);
        const none = await call(getLead(email));
        expect(faultCode(none.body), `${n}: nothing stored`).to.equal(20103);
      }
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
