import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import { toolkitOrSkip } from './legacy-toolkits.js';
import { INTEROP_DIR, parseReport, run } from './worked-example.js';

/**
 * An integration without a SOAP toolkit (test/interop/clients/minidom_client.py): the vendor's
 * sample request XML filled in and posted with urllib, answers read with Python's
 * xml.dom.minidom by tag name as the vendor's sample answers spell them, prefix included
 * (`ns1:successGetLead`, `SOAP-ENV:Fault`, `ns1:serviceException`). Scripts reading answers by
 * prefix (minidom, xmldom, PHP's `children('ns1', true)`) find nothing in another prefix.
 */
const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(INTEROP_DIR, 'clients', 'minidom_client.py');
const ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

interface Read {
  http: number;
  found: number;
  fault: { faultcode: string; faultstring: string; code: string | null } | null;
}
interface Synced extends Read {
  status: string | null;
}
interface Got extends Read {
  count: string | null;
  leads: { email: string | null; unsubscribed: string | null }[];
}
interface Report {
  created: Synced;
  before: Got;
  unsubscribed: Synced;
  after: Got;
  wrongSignature: { http: number; fault: Read['fault'] };
}

for (const engine of testEngines()) {
  describe(`interop: a hand-built client reading answers by prefix (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService | undefined;

    before(async function () {
      toolkitOrSkip(this, [PYTHON], 'python3');
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('finds ns1:successSyncLead and ns1:successGetLead, and a fault by SOAP-ENV:Fault and ns1:serviceException', async () => {
      const email = `minidom.${engine.name}@example.com`;
      const r = await run(
        PYTHON,
        [CLIENT, service!.url, TEST_USER.userId, TEST_USER.encryptionKey, email],
        { env: ENV },
      );
      const report = parseReport<Report>('minidom_client.py', r);
      const synced = (status: string) => ({ http: 200, found: 1, status, fault: null });
      expect(report.created).to.deep.equal(synced('CREATED'));
      expect(report.unsubscribed).to.deep.equal(synced('UPDATED'));
      const got = (unsubscribed: string) => ({
        http: 200,
        found: 1,
        count: '1',
        leads: [{ email, unsubscribed }],
        fault: null,
      });
      expect(report.before).to.deep.equal(got('0'));
      expect(report.after).to.deep.equal(got('1'));
      expect(report.wrongSignature).to.deep.equal({
        http: 500,
        fault: {
          faultcode: 'SOAP-ENV:Client',
          faultstring: '20014 - Authentication failed',
          code: '20014',
        },
      });
    });
  });
}
