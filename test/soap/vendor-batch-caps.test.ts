/**
 * The batchSize caps the vendor's pages state, asked past: getLeadActivity answers at most
 * 100 activities ("100 or batchSize, whichever is less"), getLeadChanges at most 1,000, and
 * neither refuses the larger batchSize. A client written against the vendor that asks for
 * more and pages on remainingCount reads every record, page by page.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  activityByEmailXml,
  okCall,
  testServicePerSuite,
  syncFirstNameXml,
  type TestService,
} from '../support/service.js';

const count = (body: string, member: string) =>
  Number(new RegExp(`<${member}>(\\d+)</${member}>`).exec(body)?.[1] ?? NaN);
const records = (body: string, name: string) => body.split(`<${name}>`).length - 1;

/** A syncMultipleLeads body creating one lead for each address. */
const createLeadsXml = (emails: readonly string[]) =>
  '<ns1:paramsSyncMultipleLeads><leadRecordList>' +
  emails.map((e) => `<leadRecord><Email>${e}</Email></leadRecord>`).join('') +
  '</leadRecordList><dedupEnabled>true</dedupEnabled></ns1:paramsSyncMultipleLeads>';

for (const engine of testEngines()) {
  describe(`batchSize caps of the vendor's pages (${engine.name})`, function () {
    this.timeout(120000);
    let service: TestService;
    testServicePerSuite(engine, (made) => (service = made));
    const call = (body: string) => okCall(service.url, body);

    it('getLeadActivity answers 100 activities to a batchSize of 500, the rest counted as remaining', async () => {
      const email = 'many-changes@example.com';
      // One New Lead and 101 changes of FirstName: 102 activities.
      for (let i = 0; i <= 101; i++)
        await call(syncFirstNameXml(email, i === 0 ? undefined : `N${i}`));
      const body = await call(activityByEmailXml(email, '<batchSize>500</batchSize>'));
      expect(count(body, 'returnCount')).to.equal(100);
      expect(records(body, 'activityRecord')).to.equal(100);
      expect(count(body, 'remainingCount')).to.be.above(0);
      const offset = /<offset>(ID:\d+)<\/offset>/.exec(body)?.[1];
      const rest = await call(
        activityByEmailXml(
          email,
          `<startPosition><offset>${offset}</offset></startPosition><batchSize>500</batchSize>`,
        ),
      );
      expect(records(rest, 'activityRecord')).to.equal(2);
      expect(count(rest, 'remainingCount')).to.equal(0);
    });

    it('getLeadChanges answers 1,000 changes to a batchSize of 5000, the rest counted as remaining', async () => {
      for (let batch = 0; batch < 5; batch++) {
        const emails = Array.from({ length: 250 }, (_, i) => `cap-${batch}-${i}@example.com`);
        await call(createLeadsXml(emails));
      }
      const body = await call(
        '<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition>' +
          '<batchSize>5000</batchSize></ns1:paramsGetLeadChanges>',
      );
      expect(count(body, 'returnCount')).to.equal(1000);
      expect(records(body, 'leadChangeRecord')).to.equal(1000);
      expect(count(body, 'remainingCount')).to.be.above(0);
    });
  });
}
