import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  expectFault,
  leadExists,
  rawCall,
  testServicePerSuite,
  syncUnsubscribedXml,
  type TestService,
} from '../support/service.js';

/**
 * The action parameter of an application/soap+xml Content-Type is SOAP 1.2's SOAPAction. The
 * endpoint reads a SOAP 1.1 envelope sent with that type all the same, so the parameter must be
 * held to the Body as a SOAPAction header is: ignored, a request said getLead to whatever reads
 * its headers (a proxy or firewall admitting reads only) while its Body synced, and stored.
 */

const MKTOWS = 'http://www.marketo.com/mktows/';
const soap12Type = (action: string) => `application/soap+xml; charset=utf-8; action=${action}`;

for (const engine of testEngines()) {
  describe(`the action of an application/soap+xml Content-Type (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    testServicePerSuite(engine, (made) => (service = made));

    const cases: Array<[string, Record<string, string>]> = [
      ['a quoted action naming getLead', { 'Content-Type': soap12Type(`"${MKTOWS}getLead"`) }],
      ['a bare token naming getLead', { 'Content-Type': soap12Type('getLead') }],
      [
        'an action naming getLead beside a SOAPAction naming syncLead',
        {
          'Content-Type': soap12Type(`"${MKTOWS}getLead"`),
          SOAPAction: `"${MKTOWS}syncLead"`,
        },
      ],
      ['an action naming nothing served', { 'Content-Type': soap12Type('"urn:x"') }],
    ];
    cases.forEach(([what, headers], i) => {
      it(`refuses a syncLead Body under ${what} with 20019, storing nothing`, async () => {
        const email = `ct-action-${i}@example.com`;
        const r = await rawCall(service.url, syncUnsubscribedXml(email, 'true'), { headers });
        expectFault(r, 20019);
        expect(await leadExists(service.url, email)).to.equal(false);
      });
    });

    it('applies a syncLead Body whose Content-Type action names syncLead, in any of its forms', async () => {
      const forms = [`"${MKTOWS}syncLead"`, 'syncLead', `"${MKTOWS}syncLead"; foo=bar`];
      for (const [i, action] of forms.entries()) {
        const email = `ct-action-ok-${i}@example.com`;
        const r = await rawCall(service.url, syncUnsubscribedXml(email, 'true'), {
          headers: { 'Content-Type': soap12Type(action), SOAPAction: `"${MKTOWS}syncLead"` },
        });
        expect(r.status, r.body).to.equal(200);
        expect(await leadExists(service.url, email)).to.equal(true);
      }
    });
  });
}
