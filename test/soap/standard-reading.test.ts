/**
 * Requests node-soap would read otherwise than XML and its namespaces say, through real HTTP:
 * refused as not understood (20012), nothing stored changed. Found by the differential test of
 * the request path against a namespace-aware parser (reader-differential.test.ts).
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const sync = (record: string) =>
  `<ns1:paramsSyncLead><leadRecord>${record}</leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>`;
const attributes = (pairs: Array<[string, string]>) =>
  `<leadAttributeList>${pairs
    .map(([n, v]) => `<attribute><attrName>${n}</attrName><attrValue>${v}</attrValue></attribute>`)
    .join('')}</leadAttributeList>`;

for (const engine of testEngines()) {
  describe(`requests read as XML reads them, or refused (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    const call = (body: string) => rawCall(service.url, body);
    const firstNameOf = async (email: string) => {
      const r = await call(
        `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey></ns1:paramsGetLead>`,
      );
      if (faultCode(r.body) !== null) return null;
      return /<attrName>FirstName<\/attrName>(?:<attrType>\w*<\/attrType>)?<attrValue>([^<]*)<\/attrValue>/.exec(
        r.body,
      )?.[1];
    };

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('refuses an Id split by a comment or CDATA section (node-soap kept its last piece: another lead)', async () => {
      const created = await call(
        sync(`<Email>kept@example.com</Email>${attributes([['FirstName', 'Kept']])}`),
      );
      expect(created.status, created.body).to.equal(200);
      const id = /<Id>(\d+)<\/Id>/.exec(created.body)![1]!;
      for (const split of [`9<!-- -->${id}`, `9<![CDATA[${id}]]>`]) {
        const r = await call(sync(`<Id>${split}</Id>${attributes([['FirstName', 'Mallory']])}`));
        expect(faultCode(r.body), r.body).to.equal(20012);
        expect(r.body).to.contain('split by CDATA sections or comments');
      }
      expect(await firstNameOf('kept@example.com')).to.equal('Kept');
    });

    it('refuses a member in a foreign namespace (node-soap read it by its local name)', async () => {
      const r = await call(
        sync(
          `<x:Email xmlns:x="urn:other">foreign@example.com</x:Email>${attributes([['FirstName', 'F']])}`,
        ),
      );
      expect(faultCode(r.body), r.body).to.equal(20012);
      expect(r.body).to.contain('is in namespace urn:other');
      expect(await firstNameOf('foreign@example.com')).to.equal(null);
    });

    it('refuses xsi:nil under a prefix bound otherwise elsewhere, and a nil element that holds a value', async () => {
      await call(sync(`<Email>nil@example.com</Email>${attributes([['FirstName', 'Before']])}`));
      const rebound = await call(
        `<ns1:paramsSyncLead><leadRecord xmlns:o="urn:other"><Email>nil@example.com</Email>` +
          `<leadAttributeList><attribute xmlns:o="${XSI}"><attrName>LastName</attrName><attrValue>L</attrValue></attribute>` +
          `<attribute><attrName>FirstName</attrName><attrValue o:nil="true">After</attrValue></attribute>` +
          '</leadAttributeList></leadRecord></ns1:paramsSyncLead>',
      );
      expect(faultCode(rebound.body), rebound.body).to.equal(20012);
      const nilWithValue = await call(
        sync(
          `<Email>nil@example.com</Email><leadAttributeList xsi:nil="true"><attribute><attrName>FirstName</attrName><attrValue>After</attrValue></attribute></leadAttributeList>`,
        ),
      );
      expect(faultCode(nilWithValue.body), nilWithValue.body).to.equal(20012);
      expect(await firstNameOf('nil@example.com')).to.equal('Before');
    });

    it('refuses text after a member (node-soap took the text for the whole element)', async () => {
      const r = await call(
        sync(`<Email>after@example.com</Email>${attributes([['FirstName', 'A']])}stray`),
      );
      expect(faultCode(r.body), r.body).to.equal(20012);
      expect(await firstNameOf('after@example.com')).to.equal(null);
    });
  });
}
