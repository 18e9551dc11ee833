/**
 * Values that no XML answer can carry (U+FFFE, U+FFFF, surrogates standing alone). A SOAP
 * request cannot hold them (the envelope guard refuses it), but the console reads forms, not
 * XML: stored from there, such a value went out as it was in every SOAP answer showing it, and
 * strict clients (lxml, JAX-WS, .NET) refuse such an answer whole, a getLeadChanges page
 * included, which they could then never read past. Every path now refuses them as it refuses
 * control characters (20105), and nothing is stored.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { NOT_XML_CHAR } from '../../src/soap-transport/xml-lexis.js';
import { ALICE, AdminClient, postPersonFlag } from '../admin/support.js';
import { testEngines } from '../support/database.js';
import {
  activityByEmailXml,
  getLeadByEmailXml,
  rawCall,
  startTestService,
  syncEmailXml,
  type TestService,
} from '../support/service.js';

const EMAIL = 'odd-values@example.com';
const CHANGES =
  '<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition></ns1:paramsGetLeadChanges>';
const MULTIPLE = `<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType><keyValues><stringItem>${EMAIL}</stringItem></keyValues></leadSelector></ns1:paramsGetMultipleLeads>`;

const UNSERVABLE: ReadonlyArray<[string, string]> = [
  ['U+FFFF', '\uffff'],
  ['U+FFFE', '\ufffe'],
];

for (const engine of testEngines()) {
  describe(`values no XML answer can carry (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;
    let client: AdminClient;
    let id: number;

    /**
     * Every SOAP answer that shows the person: well-formed XML, and each of them the same as
     * before (but for the read's own time).
     */
    const answers = async () => {
      const bodies: string[] = [];
      for (const body of [getLeadByEmailXml(EMAIL), activityByEmailXml(EMAIL), CHANGES, MULTIPLE]) {
        const res = await rawCall(svc.url, body);
        expect(res.status, res.body).to.equal(200);
        const bad = NOT_XML_CHAR.exec(res.body);
        expect(bad, `a character XML 1.0 cannot carry at ${bad?.index}`).to.equal(null);
        // getLeadActivity's newStartPosition carries the read's time as its upper bound when none
        // was given: it moves with the clock between two reads, the stored values do not.
        bodies.push(
          res.body.replace(/<latestCreatedAt>[^<]*<\/latestCreatedAt>/g, '<latestCreatedAt/>'),
        );
      }
      return bodies;
    };

    before(async () => {
      svc = await startTestService(engine, { adminUsers: [ALICE] });
      const res = await rawCall(svc.url, syncEmailXml(EMAIL));
      expect(res.status, res.body).to.equal(200);
      id = Number(/<leadId>(\d+)<\/leadId>/.exec(res.body)![1]);
      client = new AdminClient(svc.base);
      await client.logIn();
    });
    after(() => svc?.stop());

    for (const [name, c] of UNSERVABLE) {
      it(`the console refuses a reason holding ${name} (400), storing nothing`, async () => {
        const before = await answers();
        const reply = await postPersonFlag(client, id, {
          unsubscribed: true,
          reason: `Asked by phone ${c}`,
        });
        expect(reply.status, reply.body).to.equal(400);
        expect(reply.body).to.contain('XML 1.0');
        expect(await answers()).to.deep.equal(before);
      });

      it(`a change of any field holding ${name}, by any path, is 20105 and stores nothing`, async () => {
        const before = await answers();
        // A Change Data Value job and the person page write through this same sync.
        for (const path of [
          ChangePaths.flowStep('alice', true),
          ChangePaths.personDetail('alice'),
        ]) {
          const refused = await svc.running.services.leads
            .sync({ id, attributes: [{ name: 'FirstName', value: `Ann${c}` }] }, { path })
            .then(
              () => null,
              (error: unknown) => error,
            );
          expect(refused, 'stored').to.be.instanceOf(AppError);
          expect((refused as AppError).code).to.equal(ErrorCode.LEAD_ATTRIBUTE_BAD);
        }
        expect(await answers()).to.deep.equal(before);
      });
    }
  });
}
