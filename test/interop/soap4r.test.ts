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
 * Ruby soap4r (Debian's ruby-soap4r, the soap4r-ruby1.9 line) on the live ?WSDL:
 * SOAP::WSDLDriverFactory#create_rpc_driver, each paramsX given as a Hash, the headers from
 * SOAP::Header::SimpleHandler subclasses, answers as soap4r's mapped objects, faults as
 * SOAP::FaultError. test/interop/clients/soap4r_client.rb; the other served operations in
 * soap4r_operations.rb. The same run on the classes wsdl2ruby generates (soap4r_generate.rb,
 * once per run into a temp dir, from the first engine's service): soap4r_stubs_client.rb.
 */
const RUBY = '/usr/bin/ruby';
const CLIENT = path.join(INTEROP_DIR, 'clients', 'soap4r_client.rb');
const OPERATIONS = path.join(INTEROP_DIR, 'clients', 'soap4r_operations.rb');
const GENERATE = path.join(INTEROP_DIR, 'clients', 'soap4r_generate.rb');
const STUBS_CLIENT = path.join(INTEROP_DIR, 'clients', 'soap4r_stubs_client.rb');
/** Where Debian's ruby-soap4r puts the library: a directory named after its version. */
const GEMS = '/usr/share/rubygems-integration/all/gems';
const SOAP4R = path.join(
  GEMS,
  (fs.existsSync(GEMS) ? fs.readdirSync(GEMS) : []).find((d) => d.startsWith('soap4r')) ??
    'soap4r-ruby1.9-2.0.5',
  'lib/soap/wsdlDriver.rb',
);

/** What wsdl2ruby wrote from the first service's ?WSDL: every engine's run uses it. */
let generated: Promise<string> | undefined;

async function generate(wsdlUrl: string): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'du-soap4r-'));
  process.once('exit', () => fs.rmSync(work, { recursive: true, force: true }));
  const r = await run(RUBY, [GENERATE, wsdlUrl, work]);
  expect(r.code, `wsdl2ruby failed:\n${r.stdout}${r.stderr}`).to.equal(0);
  expect(fs.readdirSync(work)).to.include.members([
    'mktows.rb',
    'mktowsDriver.rb',
    'mktowsMappingRegistry.rb',
  ]);
  return work;
}

for (const engine of testEngines()) {
  describe(`interop: Ruby soap4r client (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService | undefined;

    before(async function () {
      toolkitOrSkip(this, [RUBY, SOAP4R], 'ruby-soap4r');
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('syncMultipleLeads, syncLead (an unsubscribe, a MktowsContextHeader), getLead, getLeadActivity paged, a fault', async () => {
      const r = await run(RUBY, [
        CLIENT,
        service!.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const report = parseReport<LegacyRun>('soap4r_client.rb', r);
      expect(report.client).to.match(/^soap4r \d/);
      expectLegacyRun(report);
    });

    it('the same on the classes wsdl2ruby generates (Mktows::MktowsPort), and getMultipleLeads by a generated LeadKeySelector', async () => {
      generated ??= generate(service!.wsdlUrl);
      const dir = await generated;
      const r = await run(RUBY, [
        STUBS_CLIENT,
        dir,
        service!.url,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const report = parseReport<LegacyRun & { byKeys: number[] }>('soap4r_stubs_client.rb', r);
      expect(report.client).to.match(/^soap4r \d.* \(wsdl2ruby\)$/);
      expectLegacyRun(report);
      expect(report.byKeys, 'Ann, Bob and the East person').to.deep.equal(
        [report.batch[0]!.leadId, report.batch[1]!.leadId, report.east.leadId].sort(
          (x, y) => x - y,
        ),
      );
    });

    it('getMultipleLeads (selectors with their xsi:type, the position passed back), getLeadChanges paged, mergeLeads, deleteLead, listMObjects, describeMObject; an unserved operation a fault', async () => {
      const r = await run(RUBY, [
        OPERATIONS,
        service!.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const out = parseReport<OperationsRun>('soap4r_operations.rb', r);
      expectOperationsRun(out);
    });
  });
}
