import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import { VENDOR_OPERATIONS } from '../soap/vendor-contract.js';
import { INTEROP_DIR, run } from './worked-example.js';

/**
 * PHP client classes of the vendor era against our ?WSDL: every vendor method exists (an
 * unserved one is called and answers 20019 instead of "not a valid method"), and attribute
 * values cast by attrType read right (the string "false" would cast to true).
 */
const CLIENT = path.join(INTEROP_DIR, 'clients', 'php_legacy_client.php');

for (const engine of testEngines()) {
  describe(`interop: PHP client classes of the vendor era (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('casts by attrType and reads Unsubscribed false for a subscribed person; an unserved operation is fault 20019; a returnLead never set syncs', async () => {
      const r = await run('php', [
        '-d',
        'soap.wsdl_cache_enabled=0',
        '-d',
        'error_reporting=-1',
        CLIENT,
        service.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      expect(r.code, `${r.stderr}\n${r.stdout}`).to.equal(0);
      const out = JSON.parse(r.stdout) as {
        functions: number;
        subscribed: { Unsubscribed: unknown; LeadScore: unknown };
        unsubscribed: { Unsubscribed: unknown };
        unserved: { code: string; message: string } | null;
        unsetReturnLead: unknown;
      };
      expect(out.functions).to.equal(VENDOR_OPERATIONS.length + 1);
      expect(out.subscribed).to.deep.equal({ Unsubscribed: false, LeadScore: 42 });
      expect(out.unsubscribed).to.deep.equal({ Unsubscribed: true });
      expect(out.unserved).to.deep.equal({
        code: '20019',
        message: 'getCampaignsForSource is not served by this service (20019)',
      });
      // A client class's returnLead left unset goes out as <returnLead/>: synced, no record back.
      expect(out.unsetReturnLead).to.deep.equal({
        sent: true,
        status: 'CREATED',
        leadRecord: null,
      });
    });
  });
}
