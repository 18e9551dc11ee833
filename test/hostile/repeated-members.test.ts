import { expect } from 'chai';
import { ErrorCode, isAppError } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';

const attribute = (name: string, value: string) =>
  `<attribute><attrName>${name}</attrName><attrValue>${value}</attrValue></attribute>`;

/** A lead record whose leadAttributeList is given by `lists` (each one element). */
const record = (email: string, lists: string) =>
  `<leadRecord><Email>${email}</Email>${lists}</leadRecord>`;

const syncLead = (leadRecord: string) =>
  `<ns1:paramsSyncLead>${leadRecord}<returnLead>false</returnLead></ns1:paramsSyncLead>`;

const syncMultipleLeads = (records: string) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList></ns1:paramsSyncMultipleLeads>`;

const getLead = (email: string) =>
  `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey></ns1:paramsGetLead>`;

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
      const after = await rawCall(service.url, getLead('twice@example.com'));
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
      const absent = await rawCall(service.url, getLead('batch-twice@example.com'));
      expect(faultCode(absent.body), absent.body).to.equal(20103);
      const stored = await rawCall(service.url, getLead('batch-once@example.com'));
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
      const after = await rawCall(service.url, getLead('text-list@example.com'));
      expect(faultCode(after.body), after.body).to.equal(20103);
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
      const people = await service.running.services.leads
        .find({ keyType: 'EMAIL', keyValue: email })
        .catch((error: unknown) => {
          if (isAppError(error) && error.code === ErrorCode.LEAD_NOT_FOUND) return [];
          throw error;
        });
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
