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
 * test/interop/clients/suds_client.py; the other served operations in suds_operations.py.
 */
const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(INTEROP_DIR, 'clients', 'suds_client.py');
const OPERATIONS = path.join(INTEROP_DIR, 'clients', 'suds_operations.py');
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
  });
}
