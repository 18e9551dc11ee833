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
 * test/interop/clients/php_worked_example.php, which shares examples/php (php_client_setup.php).
 */

const PHP = 'php';
// No WSDL cache between runs, and every notice reported.
const PHP_FLAGS = ['-d', 'soap.wsdl_cache_enabled=0', '-d', 'error_reporting=-1'];
const CLIENT = path.join(INTEROP_DIR, 'clients', 'php_worked_example.php');
const QUICKSTART = path.join(REPO_ROOT, 'examples', 'php', 'quickstart.php');
const OPERATIONS = path.join(INTEROP_DIR, 'clients', 'php_operations.php');
const COMPRESSION = path.join(INTEROP_DIR, 'clients', 'php_compression.php');
const VENDOR_LOOPS = path.join(INTEROP_DIR, 'clients', 'php_vendor_loops.php');

for (const engine of testEngines()) {
  describe(`interop: PHP SoapClient runs the worked example (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    /** The JSON line `script` prints, run with the WSDL URL and the test user; it must succeed quietly. */
    const jsonOf = async (script: string): Promise<unknown> => {
      const r = await run(PHP, [
        ...PHP_FLAGS,
        script,
        service.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      expect(r.code, `${path.basename(script)} failed:\n${r.stdout}${r.stderr}`).to.equal(0);
      expect(r.stderr).to.equal('');
      return JSON.parse(r.stdout);
    };

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

    it('calls every served operation: SoapVar selectors, a classmap, single-element arrays, faults', async () => {
      const out = (await jsonOf(OPERATIONS)) as Record<string, unknown> & { ids: number[] };
      const [a, b, c] = out.ids;
      expect(out.syncMultipleLeads).to.deep.equal(['CREATED', 'CREATED', 'CREATED']);
      expect(out.getMultipleLeadsByKeys).to.deep.equal([2, 1, 1, 0, 'LeadRecord']);
      expect(out.getMultipleLeadsByUpdate).to.be.at.least(3);
      expect(out.singleElement).to.deep.equal({ withFeature: true, without: true });
      const paged = out.getLeadActivityPaged as number[];
      expect(paged.length).to.be.at.least(1);
      expect(new Set(paged).size, 'no activity twice').to.equal(paged.length);
      expect(out.getLeadChanges).to.deep.equal([a, b, c]);
      // Every date read, read by DateTime::createFromFormat(DATE_W3C) (whole seconds, offset).
      const [dates, readAsW3C] = out.datesReadAsW3C as [number, number];
      expect(dates).to.be.at.least(5);
      expect(readAsW3C, 'dates DATE_W3C reads').to.equal(dates);
      expect(out.describeMObject).to.have.length(3);
      expect(out.mergeLeads).to.deep.equal({ status: 'MERGED', winner: b, losers: [c] });
      // The vendor's sample shape: two losers, and the three Lead Scores of 10 added up.
      expect(out.mergeLeadsVendorShape).to.deep.equal({ status: 'MERGED', losers: 2, score: 30 });
      expect(out.listMObjects).to.deep.equal(['ActivityRecord', 'LeadRecord']);
      expect(out.unserved).to.include({ code: '20019', faultcode: 'SOAP-ENV:Client' });
      expect(out.notFound).to.include({ code: '20103', faultcode: 'SOAP-ENV:Client' });
    });

    it('with its compression option: gzip and deflate bodies sent, the uncompressed answer read', async () => {
      const out = (await jsonOf(COMPRESSION)) as Record<string, Record<string, unknown>>;
      for (const [coding, status] of [
        ['gzip', 'CREATED'],
        ['deflate', 'UPDATED'],
      ] as const)
        expect(out[coding], coding).to.deep.equal({
          status,
          count: 1,
          // PHP writes a CR as a reference: it stays.
          address: `1 Main St\r\nSuite ${coding}`,
          contentEncoding: coding,
          acceptEncoding: 'gzip, deflate',
          answerEncoding: null,
        });
    });

    it('pages as the vendor’s PHP samples do: one header for every call, the position read set back while remainingCount > 0', async () => {
      const out = (await jsonOf(VENDOR_LOOPS)) as Record<string, unknown>;
      expect(out.created).to.equal(5);
      // Two a page: the five New Leads (and those of the other tests' people) over pages.
      expect(out.getLeadChanges).to.deep.include({ all: true, once: true });
      expect((out.getLeadChanges as { pages: number }).pages).to.be.at.least(3);
      // A start of empty strings is no start; no visit was ever logged.
      expect(out.noVisits).to.deep.equal([0, 0]);
      expect(out.getLeadActivity, 'newest first, one a page').to.deep.equal([
        'Change Data Value',
        'New Lead',
      ]);
      expect(out.getMultipleLeads).to.deep.equal({ found: true, pages: 3 });
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
