import { expect } from 'chai';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import {
  expectFault,
  rawCall,
  testServicePerSuite,
  syncEmailXml,
  type TestService,
} from '../support/service.js';

/**
 * The MktowsContextHeader's targetWorkspace names the partition of a syncLead's new lead. Its
 * name was read as spelt while the Body's members are read in any case: a TargetWorkspace was
 * taken for none, and the lead went to DEFAULT_PARTITION, a partition the request never named
 * (a workspace the service refuses, too long, was not even looked at). Read in any case now;
 * two spellings, or a header of other members only, are refused, nothing stored.
 */

const context = (inner: string) => `<ns1:MktowsContextHeader>${inner}</ns1:MktowsContextHeader>`;

for (const engine of testEngines()) {
  describe(`the members of MktowsContextHeader (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    let n = 0;
    testServicePerSuite(engine, (made) => (service = made));

    const sync = (email: string, inner: string) =>
      rawCall(service.url, syncEmailXml(email), { extraHeaderXml: context(inner) });
    /** The partition of the lead of `email`, or undefined when there is none. */
    async function partitionOf(email: string): Promise<string | undefined> {
      try {
        const [lead] = await service.running.services.leads.find({
          keyType: 'EMAIL',
          keyValue: email,
        });
        return lead?.partition;
      } catch (error) {
        if (error instanceof AppError && error.code === ErrorCode.LEAD_NOT_FOUND) return undefined;
        throw error;
      }
    }

    it('puts the new lead in the partition a TargetWorkspace names', async () => {
      const email = `context-${++n}@example.com`;
      const r = await sync(email, '<TargetWorkspace>East</TargetWorkspace>');
      expect(r.status, r.body).to.equal(200);
      expect(await partitionOf(email)).to.equal('East');
    });

    it('refuses a TargetWorkspace it would refuse as targetWorkspace, storing nothing', async () => {
      const email = `context-${++n}@example.com`;
      expectFault(
        await sync(email, `<TargetWorkspace>${'x'.repeat(100)}</TargetWorkspace>`),
        20110,
      );
      expect(await partitionOf(email)).to.equal(undefined);
    });

    const refused: Array<[string, string]> = [
      [
        'targetWorkspace and TargetWorkspace',
        '<targetWorkspace>East</targetWorkspace><TargetWorkspace>West</TargetWorkspace>',
      ],
      ['members but no targetWorkspace', '<workspace>East</workspace>'],
    ];
    for (const [what, inner] of refused) {
      it(`refuses a header of ${what} with 20110, storing nothing`, async () => {
        const email = `context-${++n}@example.com`;
        expectFault(await sync(email, inner), 20110);
        expect(await partitionOf(email)).to.equal(undefined);
      });
    }
  });
}
