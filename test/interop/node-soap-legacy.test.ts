import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';

/**
 * node-soap 0.2.x, the generation Node integrations of the vendor API were written with
 * (installed test-only as `soap-legacy`): it loads our ?WSDL and runs getLead. Its WSDL parser
 * asserted on a wsdl:documentation directly under wsdl:definitions and never called back.
 */

interface LegacyClient {
  addSoapHeader(xml: string): void;
  setSecurity(security: { toXML(): string }): void;
  getLead(args: object, cb: (err: unknown, result: unknown, body: string) => void): void;
  getTags(args: object, cb: (err: unknown, result: unknown, body: string) => void): void;
}
interface LegacySoap {
  createClient(
    url: string,
    options: { endpoint?: string },
    cb: (err: unknown, client: LegacyClient) => void,
  ): void;
}

const legacy = createRequire(import.meta.url)('soap-legacy') as LegacySoap;

function authHeader(): string {
  const ts = new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00');
  const sig = crypto
    .createHmac('sha1', TEST_USER.encryptionKey)
    .update(ts + TEST_USER.userId)
    .digest('hex');
  return (
    '<ns1:AuthenticationHeader xmlns:ns1="http://www.marketo.com/mktows/">' +
    `<mktowsUserId>${TEST_USER.userId}</mktowsUserId><requestSignature>${sig}</requestSignature>` +
    `<requestTimestamp>${ts}</requestTimestamp></ns1:AuthenticationHeader>`
  );
}

/**
 * createClient with a deadline: the failure this guards against is a callback never made.
 * 0.2.x sends its Host header without the port, so the address our WSDL names has none: like
 * its users behind anything but port 80/443, the test passes the endpoint.
 */
function createClient(url: string, endpoint: string): Promise<LegacyClient> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('createClient never called back')), 10000);
    legacy.createClient(url, { endpoint }, (err, client) => {
      clearTimeout(timer);
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(client);
    });
  });
}

function call(
  client: LegacyClient,
  op: 'getLead' | 'getTags',
  args: object,
): Promise<{ err: unknown; result: unknown; body: string }> {
  return new Promise((resolve) =>
    client[op](args, (err, result, body) => resolve({ err, result, body })),
  );
}

for (const engine of testEngines()) {
  describe(`interop: node-soap 0.2.x loads our WSDL and runs getLead (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
      const created = await fetch(service.url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml; charset=utf-8' },
        body:
          '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://www.marketo.com/mktows/">' +
          `<SOAP-ENV:Header>${authHeader()}</SOAP-ENV:Header><SOAP-ENV:Body><ns1:paramsSyncLead>` +
          '<leadRecord><Email>legacy@example.com</Email><leadAttributeList><attribute>' +
          '<attrName>FirstName</attrName><attrValue>Old</attrValue></attribute></leadAttributeList>' +
          '</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead></SOAP-ENV:Body></SOAP-ENV:Envelope>',
      });
      expect(created.status).to.equal(200);
    });
    after(() => service?.stop());

    it('createClient calls back, and getLead returns the lead', async () => {
      const client = await createClient(service.wsdlUrl, service.url);
      client.addSoapHeader(authHeader());
      const r = await call(client, 'getLead', {
        leadKey: { keyType: 'EMAIL', keyValue: 'legacy@example.com' },
      });
      expect(r.err, String(r.err)).to.equal(null);
      expect(r.body).to.include('<Email>legacy@example.com</Email>');
      const result = (r.result as { result: { count: string } }).result;
      expect(Number(result.count)).to.equal(1);
      expect(JSON.stringify(r.result)).to.include('"Old"');
    });

    it("a security object writing the header as tns:AuthenticationHeader (marketo-soap-security's shape)", async () => {
      const client = await createClient(service.wsdlUrl, service.url);
      client.setSecurity({
        // Its header, on every call: the tns prefix (bound by 0.2.x on the Envelope from the
        // WSDL's own declarations), members on indented lines, and the local time followed by
        // the hours of its offset cut from Date#toTimeString ("GMT-0800" → "-08") and ":00".
        // Written here for a zone eight hours west, whatever the zone this test runs in.
        toXML() {
          const local = new Date(Date.now() - 8 * 3600000).toISOString().slice(0, 19);
          const ts = `${local}-08:00`;
          const sig = crypto
            .createHmac('sha1', TEST_USER.encryptionKey)
            .update(ts + TEST_USER.userId)
            .digest('hex');
          return (
            `<tns:AuthenticationHeader>\n    <mktowsUserId>${TEST_USER.userId}</mktowsUserId>\n` +
            `    <requestSignature>${sig}</requestSignature>\n` +
            `    <requestTimestamp>${ts}</requestTimestamp>\n</tns:AuthenticationHeader>`
          );
        },
      });
      const r = await call(client, 'getLead', {
        leadKey: { keyType: 'EMAIL', keyValue: 'legacy@example.com' },
      });
      expect(r.err, `${String(r.err)} ${r.body}`).to.equal(null);
      expect(r.body).to.include('<Email>legacy@example.com</Email>');
    });

    it('an unserved operation reaches the client as fault 20019', async () => {
      const client = await createClient(service.wsdlUrl, service.url);
      client.addSoapHeader(authHeader());
      const r = await call(client, 'getTags', {});
      expect(String(r.err)).to.include('20019');
    });
  });
}
