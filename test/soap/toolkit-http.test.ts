/**
 * HTTP as the .NET-era and Java-era SOAP stacks send it, written on a raw connection: Axis 1.4's
 * HTTP/1.0 POST, .NET's HttpWebRequest waiting for 100 Continue on every call of a kept-alive
 * connection, Java's pooled connections, `Connection: close`, CXF's chunked bodies, the
 * Content-Type each writes (with or without a charset) and Accept-Encoding. Each is served, and
 * a fault among the calls of a kept-alive connection leaves it open for the next one. The heads
 * of the installed clients (Axis 1.4, JAX-WS, PHP, zeep, suds, SOAP::Lite, gSOAP, node-soap)
 * are written as they send them; .NET's and CXF's as their documentation describes them.
 */
import zlib from 'node:zlib';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { rawServiceSuite } from '../support/raw-service.js';
import { type RawAnswer } from '../support/http-connection.js';
import { envelope, faultCode, getLeadByEmailXml } from '../support/service.js';
import { MKTOWS } from '../support/toolkit-envelopes.js';

const EMAIL = 'http-stacks@example.com';

/** A request head: the request line, `headers` as given, Content-Length when a body is sized. */
function requestHead(
  path: string,
  headers: Record<string, string>,
  { length, version = '1.1' }: { length?: number; version?: string } = {},
): string {
  return (
    `POST ${path} HTTP/${version}\r\n` +
    Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    (length === undefined ? '' : `Content-Length: ${length}\r\n`) +
    '\r\n'
  );
}

/** `body` as chunks of at most `size` bytes, then the last chunk. */
function chunked(body: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, at + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return parts;
}

const getLeadBody = () => Buffer.from(envelope(getLeadByEmailXml(EMAIL)));

/** The lead was found: 200, one lead, an answer of known length. */
function expectFound(answer: RawAnswer, what: string): void {
  expect(answer.status, `${what}: ${answer.body}`).to.equal(200);
  expect(answer.body, what).to.include('<count>1</count>');
  expect(answer.headers.get('content-type'), what).to.equal('text/xml; charset=utf-8');
  expect(Number(answer.headers.get('content-length')), what).to.equal(
    Buffer.byteLength(answer.body),
  );
  expect(answer.headers.get('transfer-encoding'), what).to.equal(null);
}

for (const engine of testEngines()) {
  describe(`HTTP as .NET and Java SOAP stacks send it (${engine.name})`, function () {
    this.timeout(60000);
    const raw = rawServiceSuite(engine, EMAIL);

    it('Axis 1.4’s HTTP/1.0 POST (its default sender): answered with its length, then closed', async () => {
      const body = getLeadBody();
      const connection = await raw.open();
      const head = requestHead(
        raw.path,
        {
          'Content-Type': 'text/xml; charset=utf-8',
          Accept: 'application/soap+xml, application/dime, multipart/related, text/*',
          'User-Agent': 'Axis/1.4',
          Host: `127.0.0.1:${raw.port}`,
          'Cache-Control': 'no-cache',
          Pragma: 'no-cache',
          SOAPAction: '""',
        },
        { length: body.length, version: '1.0' },
      );
      expectFound(await connection.request(head, [body]), 'HTTP/1.0');
      expect(await connection.closedWithin(5000), 'an HTTP/1.0 connection ends').to.equal(true);
    });

    it('.NET HttpWebRequest: calls on one kept-alive connection, each waiting for 100 Continue, faults among them', async () => {
      const connection = await raw.open();
      const dotNet = (body: Buffer, first: boolean) =>
        requestHead(
          raw.path,
          {
            'User-Agent':
              'Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)',
            'Content-Type': 'text/xml; charset=utf-8',
            SOAPAction: `"${MKTOWS}getLead"`,
            Host: `127.0.0.1:${raw.port}`,
            Expect: '100-continue',
            ...(first ? { Connection: 'Keep-Alive' } : {}),
          },
          { length: body.length },
        );
      const calls: Array<{ body: Buffer; status: number; code: number | null; what: string }> = [
        { body: getLeadBody(), status: 200, code: null, what: 'served' },
        {
          body: Buffer.from(envelope(getLeadByEmailXml(EMAIL), { signature: '0'.repeat(40) })),
          status: 500,
          code: 20014,
          what: 'a wrong signature',
        },
        { body: Buffer.from('<soap:Envelope'), status: 500, code: 20012, what: 'no XML' },
        {
          body: Buffer.from(envelope(getLeadByEmailXml('nobody-here@example.com'))),
          status: 500,
          code: 20103,
          what: 'no such lead',
        },
        {
          body: Buffer.from(
            envelope(getLeadByEmailXml(EMAIL), {
              extraHeaderXml: '<w:Security xmlns:w="urn:x" SOAP-ENV:mustUnderstand="1"/>',
            }),
          ),
          status: 500,
          code: 20012,
          what: 'a header to be understood',
        },
        { body: getLeadBody(), status: 200, code: null, what: 'served after the faults' },
      ];
      for (const [i, call] of calls.entries()) {
        const answer = await connection.request(dotNet(call.body, i === 0), [call.body], {
          awaitContinue: true,
        });
        expect(answer.continued, `${call.what}: 100 Continue`).to.equal(true);
        expect(answer.status, `${call.what}: ${answer.body}`).to.equal(call.status);
        expect(faultCode(answer.body), call.what).to.equal(call.code);
        expect(answer.headers.get('connection'), call.what).to.equal('keep-alive');
        expect(answer.headers.get('keep-alive'), call.what).to.match(/^timeout=\d+$/);
        expect(connection.closed, `${call.what}: connection closed`).to.equal(false);
      }
      expect(await connection.closedWithin(300), 'kept for the next call').to.equal(false);
    });

    it('Java’s pooled connections (JAX-WS, HttpURLConnection’s own Accept): one call after another', async () => {
      const connection = await raw.open();
      for (const accept of [
        'text/xml, multipart/related',
        'text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2',
        'text/xml, multipart/related',
      ]) {
        const body = getLeadBody();
        const head = requestHead(
          raw.path,
          {
            Accept: accept,
            'Content-Type': 'text/xml; charset=utf-8',
            SOAPAction: `"${MKTOWS}getLead"`,
            'User-Agent': 'JAX-WS RI 2.3.0.2',
            Host: `127.0.0.1:${raw.port}`,
            Connection: 'keep-alive',
          },
          { length: body.length },
        );
        expectFound(await connection.request(head, [body]), `Accept: ${accept}`);
      }
      expect(connection.closed).to.equal(false);
    });

    it('Connection: close, as suds, gSOAP and SOAP::Lite (with TE) send it: answered, said so, and closed', async () => {
      const clients: Record<string, Record<string, string>> = {
        suds: { 'Accept-Encoding': 'identity', Connection: 'close' },
        gSOAP: { 'User-Agent': 'gSOAP/2.8', Connection: 'close' },
        'SOAP::Lite': {
          TE: 'deflate,gzip;q=0.3',
          Connection: 'TE, close',
          Accept: 'application/soap',
        },
      };
      for (const [client, headers] of Object.entries(clients)) {
        const body = getLeadBody();
        const connection = await raw.open();
        const head = requestHead(
          raw.path,
          { Host: 'x', 'Content-Type': 'text/xml; charset=utf-8', ...headers },
          { length: body.length },
        );
        const answer = await connection.request(head, [body]);
        expectFound(answer, client);
        expect(answer.headers.get('connection'), client).to.equal('close');
        expect(await connection.closedWithin(5000), client).to.equal(true);
      }
    });

    it('CXF’s chunked bodies, in pieces, two on one connection (the second waiting for 100 Continue)', async () => {
      const connection = await raw.open();
      const cxf = (extra: Record<string, string>) =>
        requestHead(raw.path, {
          'Content-Type': 'text/xml; charset=UTF-8',
          Accept: '*/*',
          SOAPAction: '""',
          'User-Agent': 'Apache-CXF/3.5.5',
          'Cache-Control': 'no-cache',
          Pragma: 'no-cache',
          Host: `127.0.0.1:${raw.port}`,
          Connection: 'Keep-Alive',
          'Transfer-Encoding': 'chunked',
          ...extra,
        });
      expectFound(await connection.request(cxf({}), chunked(getLeadBody(), 100)), 'chunked');
      const second = await connection.request(
        cxf({ Expect: '100-continue' }),
        chunked(getLeadBody(), 4096),
        { awaitContinue: true },
      );
      expect(second.continued).to.equal(true);
      expectFound(second, 'chunked after 100 Continue');
      expect(connection.closed).to.equal(false);
    });

    it('reads the body as UTF-8 under each stack’s Content-Type, with a charset or none', async () => {
      for (const [i, contentType] of [
        'text/xml; charset=utf-8',
        'text/xml; charset=UTF-8',
        'text/xml;charset=UTF-8',
        'text/xml; charset="utf-8"',
        'text/xml',
        'TEXT/XML; Charset=UTF-8',
      ].entries()) {
        const email = `charset-${i}@example.com`;
        const sync = Buffer.from(
          envelope(
            `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList><attribute>` +
              '<attrName>FirstName</attrName><attrValue>Zoë Łukasz 東京</attrValue></attribute>' +
              '</leadAttributeList></leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>',
          ).replace('<?xml version="1.0" encoding="UTF-8"?>', ''),
        );
        const connection = await raw.open();
        const answer = await connection.request(
          requestHead(
            raw.path,
            { Host: 'x', 'Content-Type': contentType, SOAPAction: '""' },
            { length: sync.length },
          ),
          [sync],
        );
        expect(answer.status, `${contentType}: ${answer.body}`).to.equal(200);
        expect(answer.body, contentType).to.include('<attrValue>Zoë Łukasz 東京</attrValue>');
        expect(answer.headers.get('content-type')).to.equal('text/xml; charset=utf-8');
      }
    });

    it('Accept-Encoding gzip (zeep, WCF, CXF’s GZIPFeature, PHP’s compression option), or node-soap’s "none": an uncompressed answer, as every one of them reads', async () => {
      const connection = await raw.open();
      const bodies: Array<[string, string, Buffer]> = [
        ['gzip, deflate', '', getLeadBody()],
        ['gzip, deflate', 'gzip', zlib.gzipSync(getLeadBody())],
        ['gzip, deflate', 'deflate', zlib.deflateSync(getLeadBody())],
        ['none', '', getLeadBody()],
      ];
      for (const [accept, encoding, body] of bodies) {
        const answer = await connection.request(
          requestHead(
            raw.path,
            {
              Host: 'x',
              'Content-Type': 'text/xml; charset=utf-8',
              'Accept-Encoding': accept,
              ...(encoding ? { 'Content-Encoding': encoding } : {}),
            },
            { length: body.length },
          ),
          [body],
        );
        expectFound(answer, `Accept-Encoding ${accept}, Content-Encoding ${encoding || 'none'}`);
        expect(answer.headers.get('content-encoding')).to.equal(null);
      }
    });
  });
}
