import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import { buildDotnet, MCS, MONO, MONO_LIBS, WSDL_TOOL } from './dotnet-build.js';
import {
  expectLegacyRun,
  expectStubOperationsRun,
  toolkitOrSkip,
  type LegacyRun,
  type StubOperationsRun,
} from './legacy-toolkits.js';
import { recordingProxy, type RecordingProxy } from './recording-proxy.js';
import { parseReport, run } from './worked-example.js';

/**
 * .NET "Add Web Reference" (wsdl.exe: a SoapHttpClientProtocol proxy, XmlSerializer), the
 * client most .NET integrations of the API were, through Mono (Debian's mono-devel): Mono's
 * `wsdl` on the live ?WSDL, `mcs` of the proxy with the programs in
 * test/interop/clients/dotnet/, `mono` runs them. The headers are the proxy's header members
 * (AuthenticationHeaderValue, MktowsContextHeaderValue), the signature computed in C#, faults
 * read from SoapException.Detail. The legacy run goes through a relay that keeps what the proxy
 * wrote, to check the bytes .NET writes against what the service reads.
 */

/** What AsmxOperations prints: the compiled clients' report and what .NET adds to it. */
interface AsmxOperationsRun extends StubOperationsRun {
  /** FirstName and Address as syncLead returned them. */
  values: { firstName: string | null; address: string | null };
  /** getMultipleLeads finding no one: its list as the proxy read it (null, or how many). */
  emptyPage: { returnCount: number; records: number | null };
  /** The first person's New Lead activity, as the proxy read its empty members. */
  newLead: { campaign: string | null; mktgAssetName: string | null } | null;
  /** A call signed with the wrong key, as SoapException showed it. */
  wrongKey: { faultstring: string; code: string | null } | null;
}

/** The programs, built once from the first service's ?WSDL: every engine's run uses them. */
let built: Promise<string> | undefined;

for (const engine of testEngines()) {
  describe(`interop: .NET ASMX proxy (Mono wsdl + mcs) client (${engine.name})`, function () {
    this.timeout(120000);
    let service: TestService | undefined;
    let relay: RecordingProxy | undefined;
    let exes: string;

    before(async function () {
      toolkitOrSkip(
        this,
        [MONO, MCS, WSDL_TOOL, path.join(MONO_LIBS, 'System.Web.Services.dll')],
        'mono-devel',
      );
      service = await startTestService(engine);
      relay = await recordingProxy({ host: '127.0.0.1', port: service.running.port });
      built ??= buildDotnet(service.wsdlUrl, 'du-dotnet-asmx-', [
        { name: 'AsmxClient', with: ['AsmxSession', 'LegacyRun', 'Signing', 'Json'] },
        { name: 'AsmxOperations', with: ['AsmxSession', 'LegacyRun', 'Signing', 'Json'] },
      ]);
      exes = await built;
    });
    after(async () => {
      await relay?.close();
      await service?.stop();
    });

    it('syncMultipleLeads, syncLead (an unsubscribe), getLead, getLeadActivity paged, a fault; the requests as .NET writes them', async () => {
      const before = relay!.sent().length;
      const r = await run(MONO, [
        path.join(exes, 'AsmxClient.exe'),
        relay!.via(service!.url),
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const report = parseReport<LegacyRun>('AsmxClient', r);
      expect(report.client).to.match(/^ASMX SoapHttpClientProtocol \(Mono \d/);
      expectLegacyRun(report);

      // What the proxy wrote, read here as the service read it: one kept-alive connection for
      // every call (the fault's included), each POST waiting for 100 Continue, SOAPAction
      // quoted, unset nillable members as xsi:nil, the header's optional members too.
      const connections = relay!.sent().slice(before);
      expect(connections, 'one connection').to.have.length(1);
      const requests = connections[0]!.split(/(?=POST \/soap\/mktows\/)/);
      expect(requests, 'every call').to.have.length(11);
      for (const request of requests) {
        const [head, body] = request.split('\r\n\r\n');
        expect(head).to.match(/^POST \/soap\/mktows\/2_9 HTTP\/1\.1\r\n/);
        expect(head).to.include('\r\nExpect: 100-continue\r\n');
        expect(head).to.include('\r\nContent-Type: text/xml; charset=utf-8\r\n');
        expect(head).to.match(/\r\nSOAPAction: "http:\/\/www\.marketo\.com\/mktows\/\w+"\r\n/);
        expect(body).to.match(/^<\?xml version="1\.0" encoding="utf-8"\?><soap:Envelope /);
        expect(body).to.include(
          '<audit xsi:nil="true" xmlns="" /><partnerId xsi:nil="true" xmlns="" />',
        );
      }
      const unsubscribe = requests.find((r) => r.includes('<attrValue>true</attrValue>'));
      expect(unsubscribe, 'the unsubscribe').to.include('<Email xsi:nil="true" />');
      expect(unsubscribe).to.include('<marketoCookie xsi:nil="true" xmlns="" />');
    });

    it('getMultipleLeads (keys paged, none found, update date), a New Lead’s empty members, values outside ASCII and on two lines, getLeadChanges paged, a static list, mergeLeads, deleteLead, an unserved operation, listMObjects, describeMObject, a wrong signature', async () => {
      const r = await run(MONO, [
        path.join(exes, 'AsmxOperations.exe'),
        relay!.via(service!.url),
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const out = parseReport<AsmxOperationsRun>('AsmxOperations', r);
      expectStubOperationsRun(out);
      expect(out.emptyPage, 'an empty list, not nil: no null to check').to.deep.equal({
        returnCount: 0,
        records: 0,
      });
      expect(out.newLead, 'empty elements, read as ""').to.deep.equal({
        campaign: '',
        mktgAssetName: '',
      });
      expect(
        out.values,
        'UTF-8 both ways; the CR LF of a .NET string one LF, as XML reads it',
      ).to.deep.equal({
        firstName: 'Zoë 東京',
        address: '1 Main St\nSuite 2',
      });
      expect(out.wrongKey).to.deep.equal({
        faultstring: '20014 - Authentication failed',
        code: '20014',
      });
    });
  });
}
