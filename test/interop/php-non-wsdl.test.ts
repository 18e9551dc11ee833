import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import { INTEROP_DIR, run } from './worked-example.js';

/**
 * PHP's SoapClient without a WSDL (its default rpc/encoded style), as integrations written
 * before the WSDL was at hand call the service: every list a PHP list, which SoapClient writes
 * as a SOAP-ENC:Array of `item`s (attributes, records, keys, activity types, key lists).
 * test/interop/clients/php_non_wsdl.php.
 */
const CLIENT = path.join(INTEROP_DIR, 'clients', 'php_non_wsdl.php');

interface NonWsdlRun {
  client: string;
  ids: number[];
  syncMultipleLeads: string[];
  syncLead: (string | null)[];
  getLead: [number, string | null];
  getMultipleLeads: [number, number, number[]][];
  getLeadActivity: string[];
  getLeadChanges: number[];
  mergeLeads: string | null;
  listMObjects: string[];
  describeMObject: boolean;
  unserved: { code: string; faultcode: string } | null;
  notFound: { code: string; faultcode: string } | null;
  empty: { syncLead: string; getLeadActivity: number; getMultipleLeads: string[] };
}

for (const engine of testEngines()) {
  describe(`interop: PHP SoapClient without a WSDL (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('calls every served operation with its lists written as SOAP-ENC arrays; faults read', async () => {
      const r = await run('php', [
        '-d',
        'error_reporting=-1',
        CLIENT,
        service.url,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      expect(r.code, `php_non_wsdl.php failed:\n${r.stdout}${r.stderr}`).to.equal(0);
      expect(r.stderr).to.equal('');
      const out = JSON.parse(r.stdout) as NonWsdlRun;
      expect(out.client).to.match(/^php SoapClient \d.* \(no WSDL\)$/);
      const [a, b, c] = out.ids as [number, number, number];
      expect(out.syncMultipleLeads).to.deep.equal(['CREATED', 'CREATED', 'CREATED']);
      expect(out.syncLead, 'syncLead by Id, two attributes').to.deep.equal([
        'UPDATED',
        'Non',
        'Acme',
        'Lyon',
      ]);
      expect(out.getLead).to.deep.equal([1, 'Wsdl']);
      expect(out.getMultipleLeads, 'two a page, the position passed back').to.deep.equal([
        [2, 1, [a, b]],
        [1, 0, [c]],
      ]);
      expect(out.getLeadActivity, 'one a page, newest first').to.deep.equal([
        'Change Data Value',
        'Change Data Value',
        'New Lead',
      ]);
      expect(out.getLeadChanges).to.deep.equal([a, b, c]);
      expect(out.mergeLeads).to.equal('MERGED');
      expect(out.listMObjects).to.deep.equal(['ActivityRecord', 'LeadRecord']);
      expect(out.describeMObject).to.equal(true);
      expect(out.unserved).to.deep.equal({ code: '20019', faultcode: 'SOAP-ENV:Client' });
      expect(out.notFound).to.deep.equal({ code: '20103', faultcode: 'SOAP-ENV:Client' });
      expect(out.empty, 'empty lists: no attribute, no filter, every field').to.deep.equal({
        syncLead: 'CREATED',
        getLeadActivity: 1,
        getMultipleLeads: ['Unsubscribed'],
      });
    });
  });
}
