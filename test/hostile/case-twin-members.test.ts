import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  expectFault,
  getLeadByEmailXml,
  leadExists,
  rawCall,
  testServicePerSuite,
  type TestService,
} from '../support/service.js';

/**
 * Member names are read in any case, as the vendor's parser read them (`Attribute`,
 * `LeadRecord`). A member sent under two spellings at once was read under one of them and the
 * other dropped without a word: a batch answered one syncStatus for two records, an opt-out in
 * the second spelling was answered CREATED and never stored. Such a request is refused whole
 * (20110), nothing stored; one spelling alone is still read.
 */

const attr = (tag: string, name: string, value: string) =>
  `<${tag}><attrName>${name}</attrName><attrValue>${value}</attrValue></${tag}>`;
const syncLead = (record: string) =>
  `<ns1:paramsSyncLead><leadRecord>${record}</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;

for (const engine of testEngines()) {
  describe(`members given under two spellings of one name (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    testServicePerSuite(engine, (made) => (service = made));

    const cases: Array<[string, (a: string, b: string) => string]> = [
      [
        'leadRecord and LeadRecord in one syncMultipleLeads list',
        (a, b) =>
          `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>${a}</Email></leadRecord>` +
          `<LeadRecord><Email>${b}</Email><leadAttributeList>${attr('attribute', 'Unsubscribed', 'true')}</leadAttributeList></LeadRecord>` +
          '</leadRecordList></ns1:paramsSyncMultipleLeads>',
      ],
      [
        'attribute and Attribute in one leadAttributeList',
        (a) =>
          syncLead(
            `<Email>${a}</Email><leadAttributeList>${attr('attribute', 'FirstName', 'Ann')}` +
              `${attr('Attribute', 'Unsubscribed', 'true')}</leadAttributeList>`,
          ),
      ],
      [
        'attrValue and AttrValue in one attribute',
        (a) =>
          syncLead(
            `<Email>${a}</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName>` +
              '<attrValue>false</attrValue><AttrValue>true</AttrValue></attribute></leadAttributeList>',
          ),
      ],
      [
        'leadAttributeList and LeadAttributeList in one leadRecord',
        (a) =>
          syncLead(
            `<Email>${a}</Email><leadAttributeList>${attr('attribute', 'FirstName', 'Ann')}</leadAttributeList>` +
              `<LeadAttributeList>${attr('attribute', 'Unsubscribed', 'true')}</LeadAttributeList>`,
          ),
      ],
      [
        'leadRecord and LeadRecord in one paramsSyncLead',
        (a, b) =>
          '<ns1:paramsSyncLead>' +
          `<leadRecord><Email>${a}</Email></leadRecord>` +
          `<LeadRecord><Email>${b}</Email><leadAttributeList>${attr('attribute', 'Unsubscribed', 'true')}</leadAttributeList></LeadRecord>` +
          '<returnLead>false</returnLead></ns1:paramsSyncLead>',
      ],
    ];
    cases.forEach(([what, body], i) => {
      it(`refuses ${what} with 20110, storing nothing`, async () => {
        const [a, b] = [`twin-${i}-a@example.com`, `twin-${i}-b@example.com`];
        expectFault(await rawCall(service.url, body(a, b)), 20110);
        expect(await leadExists(service.url, a)).to.equal(false);
        expect(await leadExists(service.url, b)).to.equal(false);
      });
    });

    it('still reads a member spelt another way when it is the only spelling', async () => {
      const email = 'twin-alone@example.com';
      const r = await rawCall(
        service.url,
        syncLead(
          `<Email>${email}</Email><LeadAttributeList>${attr('Attribute', 'Unsubscribed', 'true')}</LeadAttributeList>`,
        ),
      );
      expect(r.status, r.body).to.equal(200);
      const lead = await rawCall(service.url, getLeadByEmailXml(email));
      expect(lead.body).to.contain(
        '<attrName>Unsubscribed</attrName><attrType>boolean</attrType><attrValue>1</attrValue>',
      );
    });

    describe('a nested member spelt another way, alone, is read as its schema spelling', () => {
      const activities = async (email: string, filter: string) => {
        const r = await rawCall(
          service.url,
          `<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey>` +
            `<activityFilter>${filter}</activityFilter></ns1:paramsGetLeadActivity>`,
        );
        expect(r.status, r.body).to.equal(200);
        return Number(/<returnCount>(\d+)<\/returnCount>/.exec(r.body)![1]);
      };

      it('applies an activityFilter written IncludeTypes or ExcludeTypes, its items ActivityType', async () => {
        const email = 'twin-filter@example.com';
        expect((await rawCall(service.url, syncLead(`<Email>${email}</Email>`))).status).to.equal(
          200,
        );
        // Its one activity is its New Lead.
        const exclude = (outer: string, inner: string) =>
          `<${outer}><${inner}>NewLead</${inner}></${outer}>`;
        expect(await activities(email, exclude('excludeTypes', 'activityType'))).to.equal(0);
        expect(await activities(email, exclude('ExcludeTypes', 'activityType'))).to.equal(0);
        expect(await activities(email, exclude('excludeTypes', 'ActivityType'))).to.equal(0);
        const include = '<IncludeTypes><ActivityType>ChangeDataValue</ActivityType></IncludeTypes>';
        expect(await activities(email, include)).to.equal(0);
      });

      it('answers only the includeAttributes written StringItem', async () => {
        const email = 'twin-include@example.com';
        const named = `${attr('attribute', 'FirstName', 'Ann')}${attr('attribute', 'LastName', 'Lee')}`;
        const synced = await rawCall(
          service.url,
          syncLead(`<Email>${email}</Email><leadAttributeList>${named}</leadAttributeList>`),
        );
        expect(synced.status, synced.body).to.equal(200);
        const r = await rawCall(
          service.url,
          '<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType>' +
            `<keyValues><stringItem>${email}</stringItem></keyValues></leadSelector>` +
            '<includeAttributes><StringItem>LastName</StringItem></includeAttributes></ns1:paramsGetMultipleLeads>',
        );
        expect(r.status, r.body).to.equal(200);
        expect(r.body).to.contain('<attrName>LastName</attrName>');
        expect(r.body).to.not.contain('<attrName>FirstName</attrName>');
      });

      it('syncs the records of a syncMultipleLeads list written LeadRecord', async () => {
        const email = 'twin-records@example.com';
        const r = await rawCall(
          service.url,
          `<ns1:paramsSyncMultipleLeads><leadRecordList><LeadRecord><Email>${email}</Email>` +
            `<leadAttributeList>${attr('attribute', 'Unsubscribed', 'true')}</leadAttributeList>` +
            '</LeadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>',
        );
        expect(r.status, r.body).to.equal(200);
        expect(r.body).to.contain('<status>CREATED</status>');
        const lead = await rawCall(service.url, getLeadByEmailXml(email));
        expect(lead.body).to.contain(
          '<attrName>Unsubscribed</attrName><attrType>boolean</attrType><attrValue>1</attrValue>',
        );
      });
    });
  });
}
