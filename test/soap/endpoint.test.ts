import zlib from 'node:zlib';
import { expect } from 'chai';
import sinon from 'sinon';
import * as soap from 'soap';
import { requestSignature } from '../../src/mktows/auth.js';
import { testEngines } from '../support/database.js';
import {
  envelope,
  expectFault,
  faultCode,
  getLeadByEmailXml,
  isoNow,
  postXml,
  rawCall,
  startTestService,
  syncEmailXml,
  TEST_USER,
  type TestService,
} from '../support/service.js';

for (const engine of testEngines()) {
  describe(`mktows endpoint over HTTP (${engine.name})`, () => {
    let service: TestService;
    before(async () => {
      service = await startTestService(engine, { maxBodyBytes: 64 * 1024 });
      const res = await rawCall(service.url, syncEmailXml('ann@example.com'));
      expect(res.status).to.equal(200);
    });
    after(() => service.stop());

    describe('WSDL and routing', () => {
      it('serves the WSDL at ?WSDL in any case, with the address it was fetched from', async () => {
        for (const q of ['?WSDL', '?wsdl', '?Wsdl']) {
          const res = await fetch(`${service.base}/soap/mktows/2_6${q}`);
          expect(res.status).to.equal(200);
          const text = await res.text();
          expect(text).to.contain(`location="${service.base}/soap/mktows/2_6"`);
          expect(text).to.contain('name="MktMktowsApiService"');
        }
      });

      it('answers without an ETag (SOAP answers are never revalidated)', async () => {
        const res = await fetch(service.url, {
          method: 'POST',
          headers: { 'Content-Type': 'text/xml; charset=utf-8' },
          body: envelope(getLeadByEmailXml('ann@example.com')),
        });
        expect(res.status).to.equal(200);
        expect(res.headers.get('etag')).to.equal(null);
      });

      it('answers calls on any /soap/mktows/<version> path', async () => {
        const res = await rawCall(
          `${service.base}/soap/mktows/2_1`,
          getLeadByEmailXml('ann@example.com'),
        );
        expect(res.status).to.equal(200);
        expect(res.body).to.contain('<count>1</count>');
      });

      it('answers PUT and DELETE with a fault and 405 allowing GET, HEAD and POST', async () => {
        for (const method of ['PUT', 'DELETE']) {
          const res = await fetch(service.url, { method });
          expect(res.status).to.equal(405);
          expect(res.headers.get('allow')).to.equal('GET, HEAD, POST');
          expect(faultCode(await res.text())).to.equal(20012);
        }
      });

      // Monitors and load balancers check a WSDL with HEAD: it was 405 (Allow: GET, POST), so
      // such a check found the endpoint down.
      it('answers HEAD ?WSDL as GET ?WSDL, without the document', async () => {
        const get = await fetch(service.wsdlUrl);
        const head = await fetch(service.wsdlUrl, { method: 'HEAD' });
        expect(head.status).to.equal(200);
        expect(head.headers.get('content-type')).to.equal(get.headers.get('content-type'));
        expect(head.headers.get('content-length')).to.equal(get.headers.get('content-length'));
        expect(await head.text()).to.equal('');
        const refused = await fetch(service.url, { method: 'PUT' });
        expect(refused.headers.get('allow')).to.equal('GET, HEAD, POST');
      });

      it('answers a GET or HEAD without ?WSDL (none, ?xsd, another query) with a fault and 404, not 405', async () => {
        for (const query of ['', '?xsd', '?wsdl2', '?x=WSDL']) {
          const res = await fetch(`${service.url}${query}`);
          const body = await res.text();
          expect(res.status, query).to.equal(404);
          expect(res.headers.get('allow'), query).to.equal(null);
          expect(faultCode(body), body).to.equal(20012);
          expect(body).to.contain('GET serves only the WSDL (?WSDL); a call is a POST');
          const head = await fetch(`${service.url}${query}`, { method: 'HEAD' });
          expect(head.status, `HEAD ${query}`).to.equal(404);
          expect(head.headers.get('allow'), `HEAD ${query}`).to.equal(null);
        }
      });

      it('has /healthz and /readyz', async () => {
        expect((await fetch(`${service.base}/healthz`)).status).to.equal(200);
        const ready = await fetch(`${service.base}/readyz`);
        expect(ready.status).to.equal(200);
        expect(((await ready.json()) as { status: string }).status).to.equal('ready');
      });
    });

    describe('the operation and SOAPAction', () => {
      it('accepts the matching SOAPAction, quoted or not, and an empty one', async () => {
        for (const soapAction of [
          '"http://www.marketo.com/mktows/getLead"',
          'http://www.marketo.com/mktows/getLead',
          '""',
        ]) {
          const res = await rawCall(service.url, getLeadByEmailXml('ann@example.com'), {
            soapAction,
          });
          expect(res.status, soapAction).to.equal(200);
        }
      });

      it('refuses a SOAPAction that names another operation (node-soap would have run it)', async () => {
        const res = await rawCall(service.url, getLeadByEmailXml('ann@example.com'), {
          soapAction: '"http://www.marketo.com/mktows/syncLead"',
        });
        expectFault(res, 20019);
      });

      it('refuses an unknown SOAPAction and unsupported vendor operations with 20019', async () => {
        expectFault(
          await rawCall(service.url, getLeadByEmailXml('ann@example.com'), {
            soapAction: '"urn:nope"',
          }),
          20019,
        );
        expectFault(await rawCall(service.url, '<ns1:paramsListOperation/>'), 20019);
        expectFault(await rawCall(service.url, '<ns1:paramsGetTags/>'), 20019);
        // Served now: an empty merge names no lead.
        expectFault(await rawCall(service.url, '<ns1:paramsMergeLeads/>'), 20101);
      });
    });

    describe('malformed requests', () => {
      // Built when each test runs: a signed envelope made at load would expire (its timestamp
      // leaves SIGNATURE_WINDOW_SECONDS) in a long run, and be refused for that instead.
      const cases = (): Array<[string, string | Buffer, number]> => [
        ['empty body', '', 20012],
        ['not XML', 'hello', 20012],
        ['JSON', '{"paramsGetLead":{}}', 20012],
        ['truncated envelope', envelope(getLeadByEmailXml('ann@example.com')).slice(0, 200), 20012],
        ['unparseable XML', '<a><b></a>', 20012],
        [
          'a DOCTYPE',
          '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]>' +
            envelope(getLeadByEmailXml('&e;')).replace(/^<\?xml[^>]*>/, ''),
          20012,
        ],
        [
          'invalid UTF-8',
          Buffer.concat([
            Buffer.from(envelope(getLeadByEmailXml('a')).slice(0, 300)),
            Buffer.from([0xc3, 0x28]),
          ]),
          20012,
        ],
        [
          'no Body',
          '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"/>',
          20012,
        ],
        [
          'two Body children',
          envelope(getLeadByEmailXml('ann@example.com') + getLeadByEmailXml('ann@example.com')),
          20012,
        ],
        [
          'an element named __proto__',
          envelope('<ns1:paramsGetLead><__proto__><x>1</x></__proto__></ns1:paramsGetLead>'),
          20012,
        ],
      ];
      for (const [index, [name, , code]] of cases().entries()) {
        it(`answers ${name} with fault ${code}`, async () => {
          expectFault(await postXml(service.url, cases()[index]![1]), code);
        });
      }

      it('answers a SOAP 1.2 envelope with a VersionMismatch fault', async () => {
        const soap12 = envelope(getLeadByEmailXml('ann@example.com')).replace(
          'http://schemas.xmlsoap.org/soap/envelope/',
          'http://www.w3.org/2003/05/soap-envelope',
        );
        const res = await postXml(service.url, soap12);
        expectFault(res, 20012);
        expect(res.body).to.contain('<faultcode>SOAP-ENV:VersionMismatch</faultcode>');
      });

      it('answers a header entry marked mustUnderstand that it does not process with a MustUnderstand fault', async () => {
        const wsse =
          'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
        const entry = (attributes: string) =>
          `<wsse:Security xmlns:wsse="${wsse}" ${attributes}><wsse:UsernameToken/></wsse:Security>`;
        const sync = (email: string, attributes: string) =>
          rawCall(service.url, syncEmailXml(email), { extraHeaderXml: entry(attributes) });
        for (const attributes of [
          'SOAP-ENV:mustUnderstand="1"',
          "SOAP-ENV:mustUnderstand='true'",
        ]) {
          const res = await sync('must-understand@example.com', attributes);
          expectFault(res, 20012);
          expect(res.body).to.contain('<faultcode>SOAP-ENV:MustUnderstand</faultcode>');
          expect(res.body).to.contain('Security');
        }
        // Nothing was written.
        const lookup = await rawCall(service.url, getLeadByEmailXml('must-understand@example.com'));
        expectFault(lookup, 20103);
        // Not mandatory, addressed to another actor, or not in the SOAP namespace: ignored.
        for (const attributes of [
          'SOAP-ENV:mustUnderstand="0"',
          'SOAP-ENV:mustUnderstand="1" SOAP-ENV:actor="urn:some-proxy"',
          'wsse:mustUnderstand="1"',
        ])
          expect((await sync('may-ignore@example.com', attributes)).status, attributes).to.equal(
            200,
          );
        // The headers the WSDL declares are processed, so may be marked.
        const marked = await postXml(
          service.url,
          envelope(getLeadByEmailXml('may-ignore@example.com')).replace(
            '<ns1:AuthenticationHeader>',
            '<ns1:AuthenticationHeader SOAP-ENV:mustUnderstand="1">',
          ),
        );
        expect(marked.status, marked.body).to.equal(200);
        // The context header is read in any case (so understood so); the AuthenticationHeader
        // only as spelt (its credentials are read before the Body): one spelt otherwise is none, 20014.
        const misspelt = await postXml(
          service.url,
          envelope(getLeadByEmailXml('may-ignore@example.com'))
            .replace(
              '<ns1:AuthenticationHeader>',
              '<ns1:authenticationHeader SOAP-ENV:mustUnderstand="1">',
            )
            .replace('</ns1:AuthenticationHeader>', '</ns1:authenticationHeader>'),
        );
        expectFault(misspelt, 20014);
        expect(misspelt.body).to.contain('AuthenticationHeader missing');
      });

      it('turns a plain-text failure of the SOAP engine into a generic Server fault', async () => {
        // The guard leaves node-soap nothing to choke on, so its failure is simulated.
        // On both ways to the operation: node-soap's processRequest, and the direct call of
        // its _executeMethod for a request the fast reader read.
        const stub = sinon
          .stub(soap.Server.prototype, 'processRequest')
          .resolves({ statusCode: 500, body: 'Error: secret internals', headers: {} });
        const direct = sinon
          .stub(soap.Server.prototype as unknown as { _executeMethod(): void }, '_executeMethod')
          .callsFake((...args: unknown[]) =>
            (args[3] as (body: string, status: number) => void)('Error: secret internals', 500),
          );
        try {
          const res = await rawCall(service.url, getLeadByEmailXml('ann@example.com'));
          expectFault(res, 10001);
          expect(res.body).to.contain('<faultcode>SOAP-ENV:Server</faultcode>');
          expect(res.body).to.not.contain('secret internals');
          expect(stub.callCount + direct.callCount).to.equal(1);
        } finally {
          stub.restore();
          direct.restore();
        }
      });
    });

    describe('body limit', () => {
      it('refuses a body over the limit with a fault, HTTP 500 as every fault (JAX-WS reads no other)', async () => {
        const big = envelope(getLeadByEmailXml('a'.repeat(70 * 1024)));
        expectFault(await postXml(service.url, big), 20012, 500);
      });

      it('refuses a compressed body that inflates over the limit, without inflating it all', async () => {
        // Signed: read on past its header, until the limit.
        const head = envelope(getLeadByEmailXml('a')).replace(
          /<SOAP-ENV:Body>.*$/,
          '<SOAP-ENV:Body>',
        );
        const bomb = zlib.gzipSync(
          Buffer.concat([Buffer.from(head), Buffer.alloc(50 * 1024 * 1024, 0x20)]),
        );
        expect(bomb.length).to.be.below(100 * 1024);
        const res = await postXml(service.url, bomb, { headers: { 'Content-Encoding': 'gzip' } });
        expectFault(res, 20012, 500);
        // Unsigned: no header in its first 64 KiB, refused there.
        const unsigned = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
        const refused = await postXml(service.url, unsigned, {
          headers: { 'Content-Encoding': 'gzip' },
        });
        expectFault(refused, 20014, 500);
      });

      it('accepts a gzip body under the limit', async () => {
        const body = zlib.gzipSync(Buffer.from(envelope(getLeadByEmailXml('ann@example.com'))));
        const res = await postXml(service.url, body, { headers: { 'Content-Encoding': 'gzip' } });
        expect(res.status).to.equal(200);
      });
    });

    describe('authentication', () => {
      it('refuses a call without AuthenticationHeader (20014)', async () => {
        expectFault(
          await rawCall(service.url, getLeadByEmailXml('ann@example.com'), { user: null }),
          20014,
        );
      });

      it('refuses an unknown user and a wrong signature (20014)', async () => {
        expectFault(
          await rawCall(service.url, getLeadByEmailXml('ann@example.com'), {
            user: { userId: 'nobody', encryptionKey: 'x' },
          }),
          20014,
        );
        expectFault(
          await rawCall(service.url, getLeadByEmailXml('ann@example.com'), {
            user: { ...TEST_USER, encryptionKey: 'WRONG' },
          }),
          20014,
        );
      });

      it('refuses the signature of another timestamp (20014)', async () => {
        const other = isoNow(-1000);
        const res = await rawCall(service.url, getLeadByEmailXml('ann@example.com'), {
          timestamp: isoNow(),
          signature: requestSignature(TEST_USER.encryptionKey, other, TEST_USER.userId),
        });
        expectFault(res, 20014);
      });

      it('refuses timestamps too old or too far ahead (20016)', async () => {
        expectFault(
          await rawCall(service.url, getLeadByEmailXml('ann@example.com'), {
            timestamp: isoNow(-16 * 60000),
          }),
          20016,
        );
        expectFault(
          await rawCall(service.url, getLeadByEmailXml('ann@example.com'), {
            timestamp: isoNow(16 * 60000),
          }),
          20016,
        );
      });

      it('accepts a timestamp with a non-UTC offset and an upper-case signature', async () => {
        const d = new Date(Date.now() - 8 * 3600000);
        const ts = d.toISOString().replace(/\.\d{3}Z$/, '-08:00');
        const sig = requestSignature(TEST_USER.encryptionKey, ts, TEST_USER.userId).toUpperCase();
        const res = await rawCall(service.url, getLeadByEmailXml('ann@example.com'), {
          timestamp: ts,
          signature: sig,
        });
        expect(res.status, res.body).to.equal(200);
      });

      it('never echoes the key or the signature in a fault', async () => {
        const res = await rawCall(service.url, getLeadByEmailXml('ann@example.com'), {
          user: { ...TEST_USER, encryptionKey: 'WRONG' },
        });
        expect(res.body).to.not.contain(TEST_USER.encryptionKey);
        expect(res.body).to.not.match(/[0-9a-f]{40}/);
      });
    });

    describe('partitions from MktowsContextHeader', () => {
      it('creates leads in the target workspace partition', async () => {
        const res = await rawCall(service.url, syncEmailXml('east@example.com'), {
          extraHeaderXml:
            '<ns1:MktowsContextHeader><targetWorkspace>East</targetWorkspace></ns1:MktowsContextHeader>',
        });
        expect(res.status, res.body).to.equal(200);
        const [lead] = await service.running.services.leads.find({
          keyType: 'EMAIL',
          keyValue: 'east@example.com',
        });
        expect(lead?.partition).to.equal('East');
      });

      // On purpose unlike the vendor's page (an error when workspaces are on): the header
      // places new people only, so an opt-out sent by Id with another workspace is applied.
      it('updates a person found by Id in another partition where it is', async () => {
        const made = await rawCall(service.url, syncEmailXml('west@example.com'));
        const id = /<leadId>(\d+)<\/leadId>/.exec(made.body)![1]!;
        const res = await rawCall(
          service.url,
          `<ns1:paramsSyncLead><leadRecord><Id>${id}</Id><leadAttributeList><attribute>` +
            `<attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute>` +
            `</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
          {
            extraHeaderXml:
              '<ns1:MktowsContextHeader><targetWorkspace>East</targetWorkspace></ns1:MktowsContextHeader>',
          },
        );
        expect(res.status, res.body).to.equal(200);
        expect(res.body).to.contain('<status>UPDATED</status>');
        const [lead] = await service.running.services.leads.find({
          keyType: 'IDNUM',
          keyValue: id,
        });
        expect(lead?.partition).to.equal('Default');
        expect(lead?.unsubscribed).to.equal(true);
      });
    });

    describe('syncMultipleLeads', () => {
      it('refuses more records than the configured batch limit', async () => {
        const records = Array.from(
          { length: 301 },
          (_, i) => `<leadRecord><Email>m${i}@example.com</Email></leadRecord>`,
        ).join('');
        const res = await rawCall(
          service.url,
          `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList></ns1:paramsSyncMultipleLeads>`,
        );
        expectFault(res, 20110);
      });
    });
  });
}

describe('anonymous development mode', () => {
  it('accepts calls without AuthenticationHeader only when ALLOW_ANONYMOUS is set', async () => {
    const [engine] = testEngines();
    const open = await startTestService(engine!, { allowAnonymous: true });
    try {
      const res = await rawCall(open.url, getLeadByEmailXml('nobody@example.com'), { user: null });
      expect(faultCode(res.body), res.body).to.equal(20103);
    } finally {
      await open.stop();
    }
  });
});

describe('anonymous development mode: a header that names someone', () => {
  for (const engine of testEngines()) {
    it(`authenticates it as that user or refuses it (20014), never anonymous (${engine.name})`, async () => {
      // Before: with ALLOW_ANONYMOUS, a header naming a real user without its signature (or
      // its timestamp) was taken as no header at all, and the call went on with full access.
      const open = await startTestService(engine, { allowAnonymous: true });
      try {
        const ts = isoNow();
        const signature = requestSignature(TEST_USER.encryptionKey, ts, TEST_USER.userId);
        const partial = [
          `<mktowsUserId>${TEST_USER.userId}</mktowsUserId>`,
          `<mktowsUserId>${TEST_USER.userId}</mktowsUserId><requestTimestamp>${ts}</requestTimestamp>`,
          `<mktowsUserId>${TEST_USER.userId}</mktowsUserId><requestSignature>${signature}</requestSignature>`,
          `<requestSignature>${signature}</requestSignature><requestTimestamp>${ts}</requestTimestamp>`,
        ];
        for (const fields of partial) {
          const res = await rawCall(open.url, syncEmailXml('named@example.com'), {
            user: null,
            extraHeaderXml: `<ns1:AuthenticationHeader>${fields}</ns1:AuthenticationHeader>`,
          });
          expectFault(res, 20014);
        }
        // Nothing was stored: the address is still unknown to an anonymous call.
        const unknown = await rawCall(open.url, getLeadByEmailXml('named@example.com'), {
          user: null,
        });
        expect(faultCode(unknown.body), unknown.body).to.equal(20103);
        // Signed, the user is that user; with no credentials at all, the call is anonymous.
        expect((await rawCall(open.url, syncEmailXml('signed@example.com'))).status).to.equal(200);
        const empty = await rawCall(open.url, syncEmailXml('anonymous@example.com'), {
          user: null,
          extraHeaderXml: '<ns1:AuthenticationHeader/>',
        });
        expect(empty.status, empty.body).to.equal(200);
      } finally {
        await open.stop();
      }
    });
  }
});

describe('database unavailable', () => {
  it('answers 20011 as a Server fault when the database is gone', async () => {
    const [engine] = testEngines();
    const service = await startTestService(engine!);
    try {
      await service.running.database.knex.destroy();
      const res = await rawCall(service.url, syncEmailXml('down@example.com'));
      expect(res.status).to.equal(500);
      expect(faultCode(res.body), res.body).to.equal(20011);
      expect(res.body).to.contain('<faultcode>SOAP-ENV:Server</faultcode>');
    } finally {
      await service.stop().catch(() => undefined);
    }
  });
});
