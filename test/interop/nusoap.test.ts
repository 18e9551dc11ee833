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
 * PHP NuSOAP 0.9.5 (Debian's libnusoap-php, on PHP's xml extension), as PHP integrations used it
 * before ext/soap was common: new nusoap_client($wsdlUrl, true) with the header as an XML string
 * or as arrays, and without a WSDL (call('paramsX', $params, $namespace, $soapAction,
 * $headerXml), its rpc/encoded default); HTTP/1.0, ISO-8859-1, answers as PHP arrays.
 * test/interop/clients/nusoap_client.php; the other served operations in nusoap_operations.php;
 * nusoap_loader.php gives its PHP 4 constructors to PHP 8.
 */
const CLIENT = path.join(INTEROP_DIR, 'clients', 'nusoap_client.php');
const OPERATIONS = path.join(INTEROP_DIR, 'clients', 'nusoap_operations.php');
const NUSOAP = '/usr/share/php/nusoap/nusoap.php';

/** PHP's xml extension, which NuSOAP parses with: none, and the file it would be. */
async function missingXmlExtension(): Promise<string[]> {
  const probe = await run('php', [
    '-r',
    'echo function_exists("xml_parser_create") ? "" : ini_get("extension_dir") . "/xml.so";',
  ]);
  return probe.stdout.trim() === '' ? [] : [probe.stdout.trim()];
}

for (const engine of testEngines()) {
  describe(`interop: PHP NuSOAP client (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService | undefined;

    before(async function () {
      toolkitOrSkip(this, [NUSOAP, ...(await missingXmlExtension())], 'libnusoap-php php-xml');
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    for (const mode of ['wsdl', 'wsdl-array-headers', 'no-wsdl'] as const) {
      it(`${mode}: syncMultipleLeads, syncLead (an unsubscribe), getLead, getLeadActivity paged, a fault`, async () => {
        const r = await run('php', [
          CLIENT,
          service!.wsdlUrl,
          TEST_USER.userId,
          TEST_USER.encryptionKey,
          mode,
        ]);
        const report = parseReport<LegacyRun>('nusoap_client.php', r);
        expect(report.client).to.equal(`NuSOAP 0.9.5 (${mode})`);
        expectLegacyRun(report);
      });
    }

    it('getMultipleLeads (a soapval naming the selector’s type, the position passed back), getLeadChanges paged, mergeLeads, describeMObject, listMObjects, deleteLead, text outside ASCII', async () => {
      const r = await run('php', [
        OPERATIONS,
        service!.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      expect(r.code, `nusoap_operations.php failed:\n${r.stdout}${r.stderr}`).to.equal(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as OperationsReport;
      expectOperationsReport(out);
      expect(out.deleteLead).to.equal(1);
      expect(out.nonAscii, 'ISO-8859-1 at the defaults, UTF-8 when set').to.deep.equal({
        defaults: true,
        utf8: '東京',
        defaultsAsUtf8: 'Zoë',
      });
    });
  });
}
