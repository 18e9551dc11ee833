import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import {
  expectLegacyRun,
  toolkitOrSkip,
  type LegacyRun,
  expectOperationsReport,
  type OperationsReport,
} from './legacy-toolkits.js';
import { INTEROP_DIR, parseReport, run } from './worked-example.js';

/**
 * Python suds (Debian's python3-suds) on the live ?WSDL: headers from the vendor's types
 * (AuthenticationHeaderInfo, MktowsContextHeaderInfo) through its factory, answers as suds'
 * typed objects, the stream position passed back as suds read it.
 * test/interop/clients/suds_client.py; the other served operations in suds_operations.py; their
 * optional parameters and rarer answers in suds_optional_parameters.py.
 */
const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(INTEROP_DIR, 'clients', 'suds_client.py');
const OPERATIONS = path.join(INTEROP_DIR, 'clients', 'suds_operations.py');
const OPTIONAL = path.join(INTEROP_DIR, 'clients', 'suds_optional_parameters.py');
const SUDS = '/usr/lib/python3/dist-packages/suds/client.py';
const ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

for (const engine of testEngines()) {
  describe(`interop: Python suds client (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService | undefined;

    before(async function () {
      toolkitOrSkip(this, [PYTHON, SUDS], 'python3-suds');
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('syncMultipleLeads, syncLead (an unsubscribe), getLead, getLeadActivity paged, a fault', async () => {
      const r = await run(
        PYTHON,
        [CLIENT, service!.wsdlUrl, TEST_USER.userId, TEST_USER.encryptionKey],
        { env: ENV },
      );
      const report = parseReport<LegacyRun>('suds_client.py', r);
      expect(report.client).to.match(/^suds \d/);
      expectLegacyRun(report);
    });

    it('getMultipleLeads (both selectors, the position passed back), getLeadChanges paged, mergeLeads, describeMObject, listMObjects', async () => {
      const r = await run(
        PYTHON,
        [OPERATIONS, service!.wsdlUrl, TEST_USER.userId, TEST_USER.encryptionKey],
        { env: ENV },
      );
      expect(r.code, `suds_operations.py failed:\n${r.stdout}${r.stderr}`).to.equal(0);
      const out = JSON.parse(r.stdout) as OperationsReport;
      expectOperationsReport(out);
    });

    it('the optional parameters: a foreign id and a cookie, other key types, excludeTypes, dedupEnabled false, closed date windows, mergeInSales', async () => {
      const r = await run(
        PYTHON,
        [OPTIONAL, service!.wsdlUrl, TEST_USER.userId, TEST_USER.encryptionKey],
        { env: ENV },
      );
      expect(r.code, `suds_optional_parameters.py failed:\n${r.stdout}${r.stderr}`).to.equal(0);
      const out = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(out.syncLead).to.deep.include({ status: 'CREATED', foreignSysType: 'SFDC' });
      expect(out.bySfdcLeadId, 'getLead SFDCLEADID finds the foreign id').to.equal(true);
      // No cookies kept: a visitor's cookie is a lead not found, as an unseen one was.
      expect(out.byCookie).to.deep.equal({ code: '20103', faultstring: '20103 - Lead not found' });
      expect(out.byLeadOwnerEmail).to.deep.include({ code: '20108' });
      expect(out.excludeTypes, 'getLeadActivity excludeTypes').to.deep.equal([
        { returnCount: 1, types: ['Change Data Value'] },
        { returnCount: 0, types: [] },
      ]);
      expect(out.dedupDisabled).to.deep.equal({
        statuses: ['CREATED', 'CREATED'],
        newIds: 2,
        count: 3,
      });
      expect(out.lastUpdatedAt, 'getMultipleLeads lastUpdatedAt, paged').to.deep.equal({
        a: true,
        b: true,
        once: true,
      });
      // A window closed at the second A was written in (as answers write dates) holds A.
      expect(out.latestUpdatedAt, 'LastUpdateAtSelector latestUpdatedAt').to.deep.equal({
        a: true,
        b: false,
      });
      expect(out.latestCreatedAt, 'getLeadChanges latestCreatedAt, paged').to.deep.equal({
        a: true,
        b: false,
        kept: true,
        paged: true,
      });
      expect(out.mergeInSales).to.deep.equal({ status: 'MERGED', winner: true, losers: true });
    });
  });
}
