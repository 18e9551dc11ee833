/**
 * MktowsContextHeader/targetWorkspace → the partition of new leads. The vendor's own Java sample
 * of syncLead (and every syncLead of Talend's Marketo components) sends `default` for the
 * `Default` workspace its page says a call must name when workspaces are off: such a call made
 * its leads in a partition `default` of their own (where a user confined to `Default` may not
 * create, 20013), and a workspace named like a property every JavaScript object has
 * (`constructor`) was read from the object's prototype: 10001.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { rawCall, startTestService, syncEmailXml, type TestService } from '../support/service.js';

const CONTEXT = (workspace: string) =>
  `<ns1:MktowsContextHeader><targetWorkspace>${workspace}</targetWorkspace></ns1:MktowsContextHeader>`;

for (const engine of testEngines()) {
  describe(`targetWorkspace names a partition (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    let n = 0;

    before(async () => {
      service = await startTestService(engine, { workspacePartitions: { EMEA: 'Europe' } });
    });
    after(() => service?.stop());

    /** The partition a new lead synced with `workspace` lands in. */
    async function partitionOf(workspace: string): Promise<string | undefined> {
      const email = `workspace-${++n}@example.com`;
      const res = await rawCall(service.url, syncEmailXml(email), {
        extraHeaderXml: CONTEXT(workspace),
      });
      expect(res.status, res.body).to.equal(200);
      const [lead] = await service.running.services.leads.find({
        keyType: 'EMAIL',
        keyValue: email,
      });
      return lead?.partition;
    }

    it("matches the default partition's name and configured workspaces in any case", async () => {
      expect(await partitionOf('default')).to.equal('Default');
      expect(await partitionOf('DEFAULT')).to.equal('Default');
      expect(await partitionOf('Default')).to.equal('Default');
      expect(await partitionOf('emea')).to.equal('Europe');
      expect(await partitionOf('EMEA')).to.equal('Europe');
    });

    it('takes a workspace it does not know as the name of a partition, whatever the name', async () => {
      expect(await partitionOf('Asia')).to.equal('Asia');
      for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty'])
        expect(await partitionOf(name)).to.equal(name);
    });
  });
}
