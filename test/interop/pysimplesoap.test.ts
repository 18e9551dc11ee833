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
 * Python pysimplesoap (Debian's python3-pysimplesoap) in its two forms: SoapClient(wsdl=…?WSDL)
 * with the paramsX members as keyword arguments, and SoapClient(location, action, namespace,
 * ns) without the WSDL, the params element as the method; headers through
 * client['AuthenticationHeader']. test/interop/clients/pysimplesoap_client.py; the other
 * served operations in pysimplesoap_operations.py.
 */
const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(INTEROP_DIR, 'clients', 'pysimplesoap_client.py');
const OPERATIONS = path.join(INTEROP_DIR, 'clients', 'pysimplesoap_operations.py');
const PYSIMPLESOAP = '/usr/lib/python3/dist-packages/pysimplesoap/client.py';
const ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

for (const engine of testEngines()) {
  describe(`interop: Python pysimplesoap client (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService | undefined;

    before(async function () {
      toolkitOrSkip(this, [PYTHON, PYSIMPLESOAP], 'python3-pysimplesoap');
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    for (const mode of ['wsdl', 'no-wsdl'] as const) {
      it(`${mode}: syncMultipleLeads, syncLead (an unsubscribe), getLead, getLeadActivity paged, a fault`, async () => {
        const r = await run(
          PYTHON,
          [CLIENT, service!.wsdlUrl, TEST_USER.userId, TEST_USER.encryptionKey, mode],
          { env: ENV },
        );
        const report = parseReport<LegacyRun>('pysimplesoap_client.py', r);
        expect(report.client).to.match(new RegExp(`^pysimplesoap \\d.* \\(${mode}\\)$`));
        expectLegacyRun(report);
      });
    }

    it('getMultipleLeads (both selectors, the position passed back), getLeadChanges paged, mergeLeads, describeMObject, listMObjects, deleteLead', async () => {
      const r = await run(
        PYTHON,
        [OPERATIONS, service!.wsdlUrl, TEST_USER.userId, TEST_USER.encryptionKey],
        { env: ENV },
      );
      expect(r.code, `pysimplesoap_operations.py failed:\n${r.stdout}${r.stderr}`).to.equal(0);
      const out = JSON.parse(r.stdout) as OperationsReport;
      expectOperationsReport(out);
      expect(out.deleteLead).to.equal(1);
    });
  });
}
