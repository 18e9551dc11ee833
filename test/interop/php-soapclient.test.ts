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
 * PHP's SoapClient runs the worked example against the live WSDL URL, with SoapHeaders for
 * AuthenticationHeader (signed by the script) and MktowsContextHeader (lead B in East):
 * test/interop/clients/php_worked_example.php, which shares examples/php.
 */

const PHP = 'php';
// No WSDL cache between runs, and every notice reported.
const PHP_FLAGS = ['-d', 'soap.wsdl_cache_enabled=0', '-d', 'error_reporting=-1'];
const CLIENT = path.join(INTEROP_DIR, 'clients', 'php_worked_example.php');
const QUICKSTART = path.join(REPO_ROOT, 'examples', 'php', 'quickstart.php');

for (const engine of testEngines()) {
  describe(`interop: PHP SoapClient runs the worked example (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('sees every step of the worked example and reads fault 20103', async () => {
      const r = await run(PHP, [
        ...PHP_FLAGS,
        CLIENT,
        service.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const report = expectWorkedExampleReport('php_worked_example.php', r);
      expect(report.client).to.match(/^php SoapClient \d/);
    });

    it('reports a wrong encryption key as fault 20014', async () => {
      const r = await run(PHP, [
        ...PHP_FLAGS,
        CLIENT,
        service.wsdlUrl,
        TEST_USER.userId,
        'WRONG-KEY',
      ]);
      expectAuthFailureReported('php_worked_example.php', r);
    });

    it('runs examples/php/quickstart.php', async () => {
      const email = 'quickstart.php@example.com';
      const r = await run(PHP, [
        ...PHP_FLAGS,
        QUICKSTART,
        service.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
        email,
      ]);
      expectQuickstartOutput('examples/php/quickstart.php', r, email);
      expect(r.stderr).to.equal('');
    });
  });
}
