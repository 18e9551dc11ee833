/**
 * MTOM/XOP requests: WCF with messageEncoding="Mtom" and JAX-WS with MTOM enabled send every
 * call as multipart/related, the envelope in its root part (application/xop+xml). mktows carried
 * no binary data and its WSDL names no MTOM policy, so the service reads one envelope as text:
 * such a request is refused from its Content-Type alone, with a fault that says what to change,
 * before any of its body is read or looked at.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { rawServiceSuite } from '../support/raw-service.js';
import { envelope, faultCode, getLeadByEmailXml } from '../support/service.js';
import { MKTOWS } from '../support/toolkit-envelopes.js';

const EMAIL = 'mtom-client@example.com';

/** A multipart/related body of one part, the signed envelope, as each stack frames it. */
function mtomBody(boundary: string, partHeaders: string[], xml: string): Buffer {
  return Buffer.from(
    `--${boundary}\r\n${partHeaders.join('\r\n')}\r\n\r\n${xml}\r\n--${boundary}--\r\n`,
  );
}

/** WCF's MtomMessageEncoder (messageEncoding="Mtom"): the Content-Type and root part it writes. */
function wcfMtom(xml: string): { type: string; body: Buffer } {
  const boundary = 'uuid:0ca0e16e-feb1-426c-97d8-c4508ada5e82+id=1';
  return {
    type:
      `multipart/related; type="application/xop+xml";start="<http://tempuri.org/0>";` +
      `boundary="${boundary}";start-info="text/xml"`,
    body: mtomBody(
      boundary,
      [
        'Content-ID: <http://tempuri.org/0>',
        'Content-Transfer-Encoding: 8bit',
        'Content-Type: application/xop+xml;charset=utf-8;type="text/xml"',
      ],
      xml,
    ),
  };
}

/** JAX-WS RI with MTOMFeature: its Content-Type and root part. */
function jaxwsMtom(xml: string): { type: string; body: Buffer } {
  const boundary = 'uuid:6f1a8c2e-3b8d-4b6e-9d1c-3f2a7c5e9b10';
  const start = '<rootpart*6f1a8c2e-3b8d-4b6e-9d1c-3f2a7c5e9b10@example.jaxws.sun.com>';
  return {
    type:
      `multipart/related;start="${start}";type="application/xop+xml";` +
      `boundary="${boundary}";start-info="text/xml"`,
    body: mtomBody(
      boundary,
      [
        `Content-Id: ${start}`,
        'Content-Type: application/xop+xml;charset=utf-8;type="text/xml"',
        'Content-Transfer-Encoding: binary',
      ],
      xml,
    ),
  };
}

function head(path: string, port: number, type: string, length: number, extra = ''): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${type}\r\n` +
    `SOAPAction: "${MKTOWS}getLead"\r\nContent-Length: ${length}\r\n${extra}\r\n`
  );
}

function expectMtomFault(status: number, body: string, what: string): void {
  expect(status, `${what}: ${body}`).to.equal(500);
  expect(faultCode(body), what).to.equal(20012);
  expect(body, what).to.include('<faultcode>SOAP-ENV:Client</faultcode>');
  expect(body, what).to.match(/MTOM/);
  expect(body, what).to.include('multipart/related');
  expect(body, what).to.include('text/xml');
}

for (const engine of testEngines()) {
  describe(`MTOM/XOP requests (${engine.name})`, function () {
    this.timeout(60000);
    const raw = rawServiceSuite(engine, EMAIL);

    it('WCF’s and JAX-WS’s MTOM envelopes are a fault saying to send text/xml, the connection kept for the next call', async () => {
      const connection = await raw.open();
      const signed = envelope(getLeadByEmailXml(EMAIL));
      for (const [what, { type, body }] of [
        ['WCF', wcfMtom(signed)],
        ['JAX-WS', jaxwsMtom(signed)],
      ] as const) {
        const answer = await connection.request(head(raw.path, raw.port, type, body.length), [
          body,
        ]);
        expectMtomFault(answer.status, answer.body, what);
        expect(answer.headers.get('connection'), what).to.equal('keep-alive');
      }
      const plain = Buffer.from(signed);
      const served = await connection.request(
        head(raw.path, raw.port, 'text/xml; charset=utf-8', plain.length),
        [plain],
      );
      expect(served.status, served.body).to.equal(200);
      expect(served.body).to.include('<count>1</count>');
    });

    it('is refused from the Content-Type alone: unsigned, or held back for 100 Continue, the body is never asked for', async () => {
      // No AuthenticationHeader at all: the refusal says nothing of one, it never looked.
      const unsigned = wcfMtom(envelope(getLeadByEmailXml(EMAIL), { user: null }));
      const connection = await raw.open();
      const answer = await connection.request(
        head(raw.path, raw.port, unsigned.type, unsigned.body.length, 'Expect: 100-continue\r\n'),
        [unsigned.body],
        { awaitContinue: true },
      );
      expect(answer.continued, 'no 100 Continue: the body is not wanted').to.equal(false);
      expectMtomFault(answer.status, answer.body, 'held back');
      expect(await connection.closedWithin(5000), 'the unread body ends the connection').to.equal(
        true,
      );
    });
  });
}
