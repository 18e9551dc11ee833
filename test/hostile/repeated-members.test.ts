import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  faultCode,
  getLeadByEmailXml,
  rawCall,
  startTestService,
  type TestService,
} from '../support/service.js';
import { peopleWithEmail } from '../support/people.js';

const attribute = (name: string, value: string) =>
  `<attribute><attrName>${name}</attrName><attrValue>${value}</attrValue></attribute>`;

/** A lead record whose leadAttributeList is given by `lists` (each one element). */
const record = (email: string, lists: string) =>
  `<leadRecord><Email>${email}</Email>${lists}</leadRecord>`;

const syncLead = (leadRecord: string) =>
  `<ns1:paramsSyncLead>${leadRecord}<returnLead>false</returnLead></ns1:paramsSyncLead>`;

const syncMultipleLeads = (records: string) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList></ns1:paramsSyncMultipleLeads>`;

const TWO_LISTS =
  `<leadAttributeList>${attribute('Unsubscribed', 'true')}</leadAttributeList>` +
  `<leadAttributeList>${attribute('FirstName', 'Ann')}</leadAttributeList>`;

for (const engine of testEngines()) {
  describe(`a lead record naming one of its members twice (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    // Before: both lists were dropped without a word: the person was CREATED subscribed and
    // the client, told the call succeeded, took the opt-out it sent as recorded.
    it('refuses a syncLead with two leadAttributeList elements (20110), storing nothing', async () => {
      const r = await rawCall(service.url, syncLead(record('twice@example.com', TWO_LISTS)));
      expect(faultCode(r.body), r.body).to.equal(20110);
      expect(r.body).to.contain('leadAttributeList');
      const after = await rawCall(service.url, getLeadByEmailXml('twice@example.com'));
      expect(faultCode(after.body), after.body).to.equal(20103);
    });

    it('marks such a record FAILED in syncMultipleLeads, the others applied', async () => {
      const r = await rawCall(
        service.url,
        syncMultipleLeads(
          record('batch-twice@example.com', TWO_LISTS) +
            record(
              'batch-once@example.com',
              `<leadAttributeList>${attribute('Unsubscribed', 'true')}</leadAttributeList>`,
            ),
        ),
      );
      expect(faultCode(r.body), r.body).to.equal(null);
      const statuses = [...r.body.matchAll(/<status>(\w+)<\/status>/g)].map((m) => m[1]);
      expect(statuses).to.deep.equal(['FAILED', 'CREATED']);
      expect(r.body).to.match(/<error>[^<]*leadAttributeList[^<]*<\/error>/);
      const absent = await rawCall(service.url, getLeadByEmailXml('batch-twice@example.com'));
      expect(faultCode(absent.body), absent.body).to.equal(20103);
      const stored = await rawCall(service.url, getLeadByEmailXml('batch-once@example.com'));
      expect(stored.body).to.match(
        /<attrName>Unsubscribed<\/attrName><attrType>boolean<\/attrType><attrValue>1<\/attrValue>/,
      );
    });

    it('refuses a leadAttributeList holding text instead of attributes (20110)', async () => {
      const r = await rawCall(
        service.url,
        syncLead(
          record('text-list@example.com', '<leadAttributeList>Unsubscribed=1</leadAttributeList>'),
        ),
      );
      expect(faultCode(r.body), r.body).to.equal(20110);
      const after = await rawCall(service.url, getLeadByEmailXml('text-list@example.com'));
      expect(faultCode(after.body), after.body).to.equal(20103);
    });

    // Before: "leadRecord is required" for a request that gave two.
    it('says a leadRecord or leadRecordList given twice must be given once, storing nothing', async () => {
      const two = record('record-one@example.com', '') + record('record-two@example.com', '');
      const single = await rawCall(service.url, syncLead(two));
      expect(faultCode(single.body), single.body).to.equal(20104);
      expect(single.body).to.contain('leadRecord must be given once');
      const lists = `<leadRecordList>${record('record-one@example.com', '')}</leadRecordList>`;
      const batch = await rawCall(
        service.url,
        syncMultipleLeads(record('record-one@example.com', '')).replace(
          '</leadRecordList>',
          `</leadRecordList>${lists}`,
        ),
      );
      expect(faultCode(batch.body), batch.body).to.equal(20104);
      expect(batch.body).to.contain('leadRecordList must be given once');
      for (const email of ['record-one@example.com', 'record-two@example.com']) {
        const after = await rawCall(service.url, getLeadByEmailXml(email));
        expect(faultCode(after.body), after.body).to.equal(20103);
      }
    });

    // Before: the last of the two won without a word: an opt-out followed by a stale "false"
    // (two sources merged by the client) was answered CREATED/UPDATED, the person subscribed,
    // an Email attribute named twice moved the person to whichever came last, and a complaint
    // followed by another UnsubscribedReason stored the other (not protected: liftable).
    it('refuses Unsubscribed, UnsubscribedReason or an Email attribute named twice with different values (20105), storing nothing', async () => {
      await rawCall(service.url, syncLead(record('opted-out@example.com', '')));
      const list = (...attributes: string[]) =>
        `<leadAttributeList>${attributes.join('')}</leadAttributeList>`;
      for (const [email, attributes, named] of [
        [
          'conflict-new@example.com',
          list(attribute('Unsubscribed', 'true'), attribute('Unsubscribed', 'false')),
          'Unsubscribed',
        ],
        [
          'opted-out@example.com',
          list(attribute('Unsubscribed', '1'), attribute('unsubscribed', '0')),
          'Unsubscribed',
        ],
        [
          'opted-out@example.com',
          list(
            attribute('Unsubscribed', 'true'),
            attribute('Email', 'moved-one@example.com'),
            attribute('Email', 'moved-two@example.com'),
          ),
          'Email',
        ],
        [
          'conflict-reason@example.com',
          list(
            attribute('Unsubscribed', 'true'),
            attribute('UnsubscribedReason', 'Spam complaint'),
            attribute('UnsubscribedReason', 'Moved away'),
          ),
          'UnsubscribedReason',
        ],
      ] as const) {
        for (const body of [
          syncLead(record(email, attributes)),
          syncMultipleLeads(record(email, attributes)),
        ]) {
          const r = await rawCall(service.url, body);
          expect(r.body).to.match(
            new RegExp(`(20105 - |<code>20105</code>).*${named}[^<]*twice`, 's'),
          );
        }
      }
      const [stored] = await peopleWithEmail(service.running.services, 'opted-out@example.com');
      expect(stored?.unsubscribed).to.equal(false);
      for (const email of [
        'conflict-new@example.com',
        'conflict-reason@example.com',
        'moved-one@example.com',
        'moved-two@example.com',
      ])
        expect(await peopleWithEmail(service.running.services, email)).to.deep.equal([]);
    });

    it('still takes Unsubscribed or Email named twice with the same value as named once', async () => {
      const same = `<leadAttributeList>${attribute('Unsubscribed', 'true')}${attribute('Unsubscribed', '1')}${attribute('Email', 'Same@Example.com')}${attribute('Email', 'same@example.com')}</leadAttributeList>`;
      const r = await rawCall(service.url, syncLead(record('same@example.com', same)));
      expect(faultCode(r.body), r.body).to.equal(null);
      const [stored] = await peopleWithEmail(service.running.services, 'same@example.com');
      expect(stored?.unsubscribed).to.equal(true);
    });

    it('still takes an empty or nil leadAttributeList as no attributes', async () => {
      for (const [email, list] of [
        ['empty-list@example.com', '<leadAttributeList/>'],
        [
          'nil-list@example.com',
          '<leadAttributeList xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>',
        ],
      ] as const) {
        const r = await rawCall(service.url, syncLead(record(email, list)));
        expect(faultCode(r.body), r.body).to.equal(null);
        expect(r.body).to.contain('<status>CREATED</status>');
      }
    });
  });
}

const context = (workspace: string) =>
  `<ns1:MktowsContextHeader><targetWorkspace>${workspace}</targetWorkspace></ns1:MktowsContextHeader>`;

for (const engine of testEngines()) {
  describe(`a call with a repeated or malformed MktowsContextHeader (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    const partitionOf = async (email: string) => {
      const people = await peopleWithEmail(service.running.services, email);
      return people.map((p) => p.partition);
    };

    it('takes one MktowsContextHeader as the partition of the lead it creates', async () => {
      const r = await rawCall(service.url, syncLead(record('one-context@example.com', '')), {
        extraHeaderXml: context('Europe'),
      });
      expect(faultCode(r.body), r.body).to.equal(null);
      expect(await partitionOf('one-context@example.com')).to.deep.equal(['Europe']);
    });

    // Before: two headers, or one holding text, were read as none: the lead was CREATED in
    // DEFAULT_PARTITION, a partition the call named neither time.
    it('refuses two MktowsContextHeader elements (20012), creating no one', async () => {
      const r = await rawCall(service.url, syncLead(record('two-contexts@example.com', '')), {
        extraHeaderXml: context('Europe') + context('Asia'),
      });
      expect(faultCode(r.body), r.body).to.equal(20012);
      expect(r.body).to.contain('MktowsContextHeader');
      expect(await partitionOf('two-contexts@example.com')).to.deep.equal([]);
    });

    it('refuses a MktowsContextHeader holding text instead of targetWorkspace (20110)', async () => {
      const r = await rawCall(service.url, syncLead(record('text-context@example.com', '')), {
        extraHeaderXml: '<ns1:MktowsContextHeader>Europe</ns1:MktowsContextHeader>',
      });
      expect(faultCode(r.body), r.body).to.equal(20110);
      expect(await partitionOf('text-context@example.com')).to.deep.equal([]);
    });

    it('still takes an empty MktowsContextHeader as none', async () => {
      const r = await rawCall(service.url, syncLead(record('empty-context@example.com', '')), {
        extraHeaderXml: '<ns1:MktowsContextHeader/>',
      });
      expect(faultCode(r.body), r.body).to.equal(null);
      expect(await partitionOf('empty-context@example.com')).to.deep.equal(['Default']);
    });
  });
}

/** A mergeLeads key list `name` holding the lead id `id`. */
const mergeKeys = (name: string, id: number) =>
  `<${name}><attribute><attrName>IDNUM</attrName><attrValue>${id}</attrValue></attribute></${name}>`;

const filterOf = (types: string) =>
  `<activityFilter><includeTypes>${types}</includeTypes></activityFilter>`;
const newLead = '<activityType>NewLead</activityType>';

for (const engine of testEngines()) {
  describe(`a read naming one of its filters twice (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
      const r = await rawCall(service.url, syncLead(record('reader@example.com', '')));
      expect(faultCode(r.body), r.body).to.equal(null);
    });
    after(() => service?.stop());

    // Before: a repeated filter was read as none (every activity, every field) or as one
    // matching nothing (count 0), without a word.
    const cases: Array<[string, string]> = [
      [
        'two activityFilter elements in getLeadActivity',
        '<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType>' +
          '<keyValue>reader@example.com</keyValue></leadKey>' +
          filterOf(newLead) +
          filterOf(newLead) +
          '</ns1:paramsGetLeadActivity>',
      ],
      [
        'two includeTypes elements in getLeadChanges',
        '<ns1:paramsGetLeadChanges><startPosition><oldestCreatedAt>2000-01-01T00:00:00Z' +
          '</oldestCreatedAt></startPosition><activityFilter>' +
          `<includeTypes>${newLead}</includeTypes><includeTypes>${newLead}</includeTypes>` +
          '</activityFilter></ns1:paramsGetLeadChanges>',
      ],
      [
        'two includeAttributes elements in getMultipleLeads',
        '<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LeadKeySelector">' +
          '<keyType>EMAIL</keyType><keyValues><stringItem>reader@example.com</stringItem>' +
          '</keyValues></leadSelector><includeAttributes><stringItem>FirstName</stringItem>' +
          '</includeAttributes><includeAttributes><stringItem>Company</stringItem>' +
          '</includeAttributes></ns1:paramsGetMultipleLeads>',
      ],
    ];
    for (const [what, body] of cases) {
      it(`refuses ${what} (20110)`, async () => {
        const r = await rawCall(service.url, body);
        expect(faultCode(r.body), r.body).to.equal(20110);
        expect(r.body).to.match(/must be given once/);
      });
    }

    // Before: a getLeadChanges with two leadSelector elements read every lead's changes (the
    // selector dropped without a word), a getLeadActivity with two startPosition elements read
    // from the newest activity, and the other repeats were answered "is required" or "must be
    // text" for something given twice.
    it('refuses a selector, start position or single value given twice (20110), naming it', async () => {
      const since = '<oldestCreatedAt>2000-01-01T00:00:00Z</oldestCreatedAt>';
      const keys =
        '<leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType>' +
        '<keyValues><stringItem>reader@example.com</stringItem></keyValues></leadSelector>';
      const byKey =
        '<leadKey><keyType>EMAIL</keyType><keyValue>reader@example.com</keyValue></leadKey>';
      for (const [name, body] of [
        [
          'leadSelector',
          `<ns1:paramsGetLeadChanges><startPosition>${since}</startPosition>${keys}${keys}</ns1:paramsGetLeadChanges>`,
        ],
        [
          'startPosition',
          `<ns1:paramsGetLeadChanges><startPosition>${since}</startPosition><startPosition>${since}</startPosition></ns1:paramsGetLeadChanges>`,
        ],
        [
          'startPosition',
          `<ns1:paramsGetLeadActivity>${byKey}<startPosition><offset>ID:1</offset></startPosition><startPosition><offset>ID:1</offset></startPosition></ns1:paramsGetLeadActivity>`,
        ],
        ['leadSelector', `<ns1:paramsGetMultipleLeads>${keys}${keys}</ns1:paramsGetMultipleLeads>`],
        [
          'keyValue',
          '<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>reader@example.com</keyValue>' +
            '<keyValue>other@example.com</keyValue></leadKey></ns1:paramsGetLead>',
        ],
        ['leadKey', `<ns1:paramsGetLead>${byKey}${byKey}</ns1:paramsGetLead>`],
        [
          'keyValues',
          '<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType>' +
            '<keyValues><stringItem>reader@example.com</stringItem></keyValues>' +
            '<keyValues><stringItem>other@example.com</stringItem></keyValues></leadSelector></ns1:paramsGetMultipleLeads>',
        ],
        [
          'winningLeadKeyList',
          `<ns1:paramsMergeLeads>${mergeKeys('winningLeadKeyList', 1)}${mergeKeys('winningLeadKeyList', 2)}` +
            `<losingLeadKeyLists>${mergeKeys('keyList', 3)}</losingLeadKeyLists></ns1:paramsMergeLeads>`,
        ],
        [
          'losingLeadKeyLists',
          `<ns1:paramsMergeLeads>${mergeKeys('winningLeadKeyList', 1)}` +
            `<losingLeadKeyLists>${mergeKeys('keyList', 2)}</losingLeadKeyLists>` +
            `<losingLeadKeyLists>${mergeKeys('keyList', 3)}</losingLeadKeyLists></ns1:paramsMergeLeads>`,
        ],
      ] as const) {
        const r = await rawCall(service.url, body);
        expect(faultCode(r.body), r.body).to.equal(20110);
        expect(r.body).to.contain(`${name} must be given once`);
      }
    });

    it('still reads each of them given once', async () => {
      for (const [, body] of cases) {
        const once = body
          .replace(filterOf(newLead) + filterOf(newLead), filterOf(newLead))
          .replace(`<includeTypes>${newLead}</includeTypes><includeTypes>`, '<includeTypes>')
          .replace('</includeAttributes><includeAttributes>', '');
        const r = await rawCall(service.url, once);
        expect(faultCode(r.body), r.body).to.equal(null);
      }
    });
  });
}
