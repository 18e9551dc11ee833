/**
 * MktowsContextHeader/targetWorkspace → the partition of new leads. The vendor's own Java sample
 * of syncLead (and every syncLead of Talend's Marketo components) sends `default` for the
 * `Default` workspace its page says a call must name when workspaces are off: such a call made
 * its leads in a partition `default` of their own (where a user confined to `Default` may not
 * create, 20013), and a workspace named like a property every JavaScript object has
 * (`constructor`) was read from the object's prototype: 10001. The header entry is read by its
 * name in any case, as its member and the Body's members are: Savon writes a header hash's
 * symbol keys in lower camel case (`mktows_context_header:` → `mktowsContextHeader`), and an
 * entry so spelt was passed over, the call's new leads made in `DEFAULT_PARTITION` without a word.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  expectFault,
  leadExists,
  rawCall,
  startTestService,
  syncEmailXml,
  type TestService,
} from '../support/service.js';

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

    /** The partition a new lead synced with `workspace` (or the header `contextXml`) lands in. */
    async function partitionOf(
      workspace: string,
      contextXml = CONTEXT(workspace),
    ): Promise<string | undefined> {
      const email = `workspace-${++n}@example.com`;
      const res = await rawCall(service.url, syncEmailXml(email), { extraHeaderXml: contextXml });
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

    it('reads the header entry by its name in any case, mustUnderstand or not', async () => {
      const spelt = (name: string, attributes = '') =>
        `<ns1:${name}${attributes}><targetWorkspace>Asia</targetWorkspace></ns1:${name}>`;
      expect(await partitionOf('', spelt('mktowsContextHeader'))).to.equal('Asia');
      expect(await partitionOf('', spelt('MKTOWSCONTEXTHEADER'))).to.equal('Asia');
      expect(
        await partitionOf('', spelt('mktowsContextHeader', ' SOAP-ENV:mustUnderstand="1"')),
      ).to.equal('Asia');
    });

    it('refuses the header entry given twice in two spellings (20012), nothing stored', async () => {
      const email = 'workspace-twice@example.com';
      const res = await rawCall(service.url, syncEmailXml(email), {
        extraHeaderXml:
          CONTEXT('Asia') +
          '<ns1:mktowsContextHeader><targetWorkspace>EMEA</targetWorkspace></ns1:mktowsContextHeader>',
      });
      expectFault(res, 20012);
      expect(res.body).to.include('More than one MktowsContextHeader');
      expect(await leadExists(service.url, email)).to.equal(false);
    });
  });
}
