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
const OPERATIONS = path.join(INTEROP_DIR, 'clients', 'zeep_operations.py');

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

    it('calls every served operation as zeep stubs do: derived selectors, positions passed back, a naive date, an empty list, faults', async () => {
      const r = await run(
        PYTHON,
        [OPERATIONS, service.wsdlUrl, TEST_USER.userId, TEST_USER.encryptionKey],
        { env: ENV },
      );
      expect(r.code, `zeep_operations.py failed:\n${r.stdout}${r.stderr}`).to.equal(0);
      const out = JSON.parse(r.stdout) as Record<string, unknown> & { ids: number[] };
      const [a, b, c] = out.ids;
      expect(out.syncMultipleLeads).to.deep.equal(['CREATED', 'CREATED', 'CREATED', 'FAILED']);
      expect(out.getMultipleLeadsByKeys).to.deep.equal([2, 1, 1, 0]);
      expect(out.getMultipleLeadsByUpdate).to.be.at.least(3);
      const paged = out.getLeadActivityPaged as number[];
      expect(paged.length).to.be.at.least(2);
      expect(new Set(paged).size, 'no activity twice').to.equal(paged.length);
      expect([...paged].sort((x, y) => y - x)).to.deep.equal(paged);
      // From the last page's date (whole seconds, as answers write it): that activity and the
      // others of its second, read again as under the vendor's whole-second dates; none lost.
      const byDate = out.getLeadActivityByDate as number[];
      expect(byDate).to.include(paged[paged.length - 1]);
      expect(paged).to.include.members(byDate);
      expect(out.getLeadChanges).to.deep.equal([a, b, c].sort((x, y) => x! - y!));
      expect(out.describeMObject).to.have.length(3);
      expect(out.mergeLeads).to.deep.equal({ status: 'MERGED', winner: b, losers: [c] });
      expect(out.unserved).to.include({ code: '20019' });
      expect(out.notFound).to.include({ code: '20103' });
      expect((out.notFound as { message: string }).message).to.match(/^20103 - Lead not found/);
      expect(out.mergeLeadsAgain, 'the loser gone').to.deep.equal({
        status: 'FAILED',
        winner: null,
        losers: [],
        error: true,
      });
      // No offset: read as UTC. No activity type: no filter. The loser's change moved to b.
      expect(out.getLeadChangesNaive).to.deep.equal({
        oldestCreatedAt: '2000-01-01T00:00:00+00:00',
        mine: [a, b].sort((x, y) => x! - y!),
      });
      expect(out.listMObjects).to.deep.equal(['ActivityRecord', 'LeadRecord']);
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
