import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import {
  expectAuthFailureReported,
  expectQuickstartOutput,
  INTEROP_DIR,
  REPO_ROOT,
  run,
  expectWorkedExampleReport,
} from './worked-example.js';

/**
 * Python zeep (strict) runs the worked example against the live WSDL URL, signing each call
 * itself: test/interop/clients/zeep_worked_example.py, which shares examples/python.
 */

const PYTHON = '/usr/bin/python3';
// No __pycache__ left in examples/python by the import of mktows_client.
const ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
const CLIENT = path.join(INTEROP_DIR, 'clients', 'zeep_worked_example.py');
const QUICKSTART = path.join(REPO_ROOT, 'examples', 'python', 'quickstart.py');

for (const engine of testEngines()) {
  describe(`interop: Python zeep client runs the worked example (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('sees every step of the worked example and reads fault 20103', async () => {
      const r = await run(
        PYTHON,
        [CLIENT, service.wsdlUrl, TEST_USER.userId, TEST_USER.encryptionKey],
        { env: ENV },
      );
      const report = expectWorkedExampleReport('zeep_worked_example.py', r);
      expect(report.client).to.match(/^zeep \d/);
    });

    it('reports a wrong encryption key as fault 20014', async () => {
      const r = await run(PYTHON, [CLIENT, service.wsdlUrl, TEST_USER.userId, 'WRONG-KEY'], {
        env: ENV,
      });
      expectAuthFailureReported('zeep_worked_example.py', r);
    });

    it('runs examples/python/quickstart.py', async () => {
      const email = 'quickstart.zeep@example.com';
      const r = await run(
        PYTHON,
        [QUICKSTART, service.wsdlUrl, TEST_USER.userId, TEST_USER.encryptionKey, email],
        { env: ENV },
      );
      expectQuickstartOutput('examples/python/quickstart.py', r, email);
    });
  });
}
