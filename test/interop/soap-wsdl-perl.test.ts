import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import {
  expectLegacyRun,
  expectOperationsRun,
  toolkitOrSkip,
  type LegacyRun,
  type OperationsRun,
} from './legacy-toolkits.js';
import { INTEROP_DIR, parseReport, run } from './worked-example.js';

/**
 * Perl SOAP::WSDL (Debian's libsoap-wsdl-perl): wsdl2perl on the live ?WSDL into a temp dir
 * (once per run, from the first engine's service; nothing generated is kept), then the
 * generated interface MyInterfaces::MktMktowsApiService::MktowsApiSoapPort called with hash
 * references, the header as the second argument. test/interop/clients/soap_wsdl_client.pl; the
 * other served operations in soap_wsdl_operations.pl; the interpreting client in
 * soap_wsdl_interpreted.pl.
 */
const WSDL2PERL = '/usr/bin/wsdl2perl';
const SOAP_WSDL = '/usr/share/perl5/SOAP/WSDL.pm';
const CLIENT = path.join(INTEROP_DIR, 'clients', 'soap_wsdl_client.pl');
const OPERATIONS = path.join(INTEROP_DIR, 'clients', 'soap_wsdl_operations.pl');
/** SOAP::WSDL->new(wsdl => …)->call(…): the interpreting client, no generated class. */
const INTERPRETED = path.join(INTEROP_DIR, 'clients', 'soap_wsdl_interpreted.pl');

/** The classes wsdl2perl wrote from the first service's ?WSDL: every engine's run uses them. */
let generated: Promise<string> | undefined;

async function generate(wsdlUrl: string): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'du-soap-wsdl-'));
  process.once('exit', () => fs.rmSync(work, { recursive: true, force: true }));
  const r = await run(WSDL2PERL, ['-b', work, wsdlUrl], { timeoutMs: 110000 });
  expect(r.code, `wsdl2perl failed:\n${r.stdout}${r.stderr}`).to.equal(0);
  return work;
}

for (const engine of testEngines()) {
  describe(`interop: Perl SOAP::WSDL (wsdl2perl) client (${engine.name})`, function () {
    this.timeout(120000);
    let service: TestService | undefined;
    let lib: string;

    before(async function () {
      toolkitOrSkip(this, [WSDL2PERL, SOAP_WSDL], 'libsoap-wsdl-perl');
      service = await startTestService(engine);
      generated ??= generate(service.wsdlUrl);
      lib = await generated;
    });
    after(() => service?.stop());

    const client = (...extra: string[]) =>
      run('perl', [CLIENT, lib, service!.url, TEST_USER.userId, TEST_USER.encryptionKey, ...extra]);

    it('syncMultipleLeads, syncLead (an unsubscribe, the MktowsContextHeader beside the AuthenticationHeader), getLead, getLeadActivity paged, a fault read laxly', async () => {
      const report = parseReport<LegacyRun>('soap_wsdl_client.pl', await client());
      expect(report.client).to.match(/^SOAP::WSDL \d/);
      expectLegacyRun(report);
    });

    it('read strictly (its default), a fault whose detail the WSDL does not declare reaches it as a fault of its own making, the answer quoted', async () => {
      const report = parseReport<LegacyRun>('soap_wsdl_client.pl', await client('strict'));
      // Everything but the fault reads the same strictly.
      expectLegacyRun({
        ...report,
        fault: { faultcode: 'Client', faultstring: '20103 - Lead not found', code: '20103' },
      });
      expect(report.fault!.faultcode).to.equal('SOAP-ENV:Server');
      expect(report.fault!.faultstring).to.match(
        /^Error deserializing message: Cannot resolve class for Fault\/detail\/serviceException/,
      );
      expect(report.fault!.faultstring).to.include(
        '<faultstring>20103 - Lead not found</faultstring>',
      );
    });

    it('the same with the interpreting client (SOAP::WSDL->new(wsdl => …?WSDL), call with the body keyed by paramsX and the header as XML), answers as a SOAP::SOM', async () => {
      const r = await run('perl', [
        INTERPRETED,
        service!.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const report = parseReport<LegacyRun>('soap_wsdl_interpreted.pl', r);
      expect(report.client).to.match(/^SOAP::WSDL \d.* \(interpreted\)$/);
      expectLegacyRun(report);
    });

    it('getMultipleLeads (selectors as the generated derived classes, the position passed back), getLeadChanges paged, mergeLeads, deleteLead, listMObjects, describeMObject; an unserved operation a fault', async () => {
      const r = await run('perl', [
        OPERATIONS,
        lib,
        service!.url,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const out = parseReport<OperationsRun>('soap_wsdl_operations.pl', r);
      expectOperationsRun(out);
    });
  });
}
