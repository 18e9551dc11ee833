/**
 * A request element whose type holds members, sent holding text instead (a hand-written
 * `<leadKey>jo@example.com</leadKey>`): fault 20110 naming it, as the request element itself
 * and leadAttributeList already were. It was read as holding nothing: a leadKey so was "20101
 * leadKey is required" (it was given), and an activityFilter, a getLeadActivity startPosition or
 * an includeAttributes so was no filter, the newest activities, or every field.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  faultCode,
  rawCall,
  syncEmailXml,
  testServicePerSuite,
  type TestService,
} from '../support/service.js';

const EMAIL = 'text-for-members@example.com';
const KEY = `<leadKey><keyType>EMAIL</keyType><keyValue>${EMAIL}</keyValue></leadKey>`;
const ONE_ID = '<attribute><attrName>IDNUM</attrName><attrValue>1</attrValue></attribute>';
const SELECTOR =
  '<leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType>' +
  `<keyValues><stringItem>${EMAIL}</stringItem></keyValues></leadSelector>`;

/** [element, body]: the element named holds `jo` where its members belong. */
const CASES: Array<[string, string]> = [
  ['leadKey', `<ns1:paramsGetLead><leadKey>${EMAIL}</leadKey></ns1:paramsGetLead>`],
  ['leadKey', `<ns1:paramsGetLeadActivity><leadKey>${EMAIL}</leadKey></ns1:paramsGetLeadActivity>`],
  ['leadKey', `<ns1:paramsDeleteLead><leadKey>${EMAIL}</leadKey></ns1:paramsDeleteLead>`],
  [
    'activityFilter',
    `<ns1:paramsGetLeadActivity>${KEY}<activityFilter>NewLead</activityFilter></ns1:paramsGetLeadActivity>`,
  ],
  [
    'startPosition',
    `<ns1:paramsGetLeadActivity>${KEY}<startPosition>ID:1</startPosition></ns1:paramsGetLeadActivity>`,
  ],
  [
    'startPosition',
    '<ns1:paramsGetLeadChanges><startPosition>ID:1</startPosition></ns1:paramsGetLeadChanges>',
  ],
  [
    'includeAttributes',
    `<ns1:paramsGetMultipleLeads>${SELECTOR}<includeAttributes>FirstName</includeAttributes></ns1:paramsGetMultipleLeads>`,
  ],
  [
    'leadSelector',
    `<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LeadKeySelector">${EMAIL}</leadSelector></ns1:paramsGetMultipleLeads>`,
  ],
  [
    'keyValues',
    `<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType><keyValues>${EMAIL}</keyValues></leadSelector></ns1:paramsGetMultipleLeads>`,
  ],
  [
    'leadRecord',
    `<ns1:paramsSyncLead><leadRecord>${EMAIL}</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
  ],
  [
    'leadRecordList',
    `<ns1:paramsSyncMultipleLeads><leadRecordList>${EMAIL}</leadRecordList></ns1:paramsSyncMultipleLeads>`,
  ],
  [
    'winningLeadKeyList',
    `<ns1:paramsMergeLeads><winningLeadKeyList>1</winningLeadKeyList><losingLeadKeyLists><keyList>${ONE_ID}</keyList></losingLeadKeyLists></ns1:paramsMergeLeads>`,
  ],
  [
    'losingLeadKeyLists',
    `<ns1:paramsMergeLeads><winningLeadKeyList>${ONE_ID}</winningLeadKeyList><losingLeadKeyLists>2</losingLeadKeyLists></ns1:paramsMergeLeads>`,
  ],
];

for (const engine of testEngines()) {
  describe(`request elements holding text instead of their members (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    testServicePerSuite(engine, (s) => (service = s));

    before(async () => {
      const r = await rawCall(service.url, syncEmailXml(EMAIL));
      expect(r.status, r.body).to.equal(200);
    });

    it('is fault 20110 naming the element, never read as holding nothing', async () => {
      for (const [name, body] of CASES) {
        const r = await rawCall(service.url, body);
        const what = `${name} in ${/<ns1:(\w+)/.exec(body)![1]}`;
        expect(r.status, `${what}: ${r.body}`).to.equal(500);
        expect(faultCode(r.body), `${what}: ${r.body}`).to.equal(20110);
        expect(r.body, what).to.include(`${name} must hold elements, not text (20110)`);
      }
    });

    it('blank text (a pretty-printed empty element) is still an empty element', async () => {
      const blank = `<ns1:paramsGetLeadActivity>${KEY}<activityFilter>\n  </activityFilter><startPosition> </startPosition></ns1:paramsGetLeadActivity>`;
      const r = await rawCall(service.url, blank);
      expect(r.status, r.body).to.equal(200);
      expect(r.body).to.include('<activityType>New Lead</activityType>');
    });
  });
}
