import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { exchangeUntilClosed, headersOf } from '../support/raw-socket.js';
import {
  envelope,
  getLeadByEmailXml,
  startTestService,
  TEST_USER,
  type TestService,
} from '../support/service.js';
import {
  leadRecordId,
  listenerUrl,
  notificationId,
  notificationsXml,
  ORG_ID,
  OTHER_ORG_ID,
  PATH_SECRET,
} from '../salesforce/support.js';

/**
 * The main port's machine answers (SOAP answers and faults of both listeners, /healthz,
 * /readyz, the WSDL) carry the headers its pages and the metrics listener carry: nothing of
 * them sniffed, framed, referred from or indexed, and (but for the WSDL) never stored.
 */

function expectProtected(headers: Headers, what: string, stored: 'no-store' | 'cacheable'): void {
  expect(headers.get('x-content-type-options'), what).to.equal('nosniff');
  expect(headers.get('content-security-policy'), what).to.equal(
    "default-src 'none'; frame-ancestors 'none'",
  );
  expect(headers.get('x-frame-options'), what).to.equal('DENY');
  expect(headers.get('referrer-policy'), what).to.equal('no-referrer');
  if (stored === 'no-store') expect(headers.get('cache-control'), what).to.equal('no-store');
  else expect(headers.get('cache-control'), what).to.equal(null);
}

async function post(url: string, xml: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""', ...headers },
    body: xml,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

for (const engine of testEngines()) {
  describe(`machine answers of the main port carry the security headers (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    let port: number;
    before(async () => {
      service = await startTestService(engine, {
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
        maxBodyBytes: 64 * 1024,
      });
      port = Number(new URL(service.base).port);
    });
    after(() => service.stop());

    it('a SOAP answer (getLead)', async () => {
      const res = await fetch(service.url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml; charset=utf-8' },
        body: envelope(getLeadByEmailXml('nobody@example.com')),
      });
      await res.text();
      // Not found is a fault; a found lead is the 200 below.
      expectProtected(res.headers, 'getLead fault', 'no-store');
      const sync = await fetch(service.url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml; charset=utf-8' },
        body: envelope(
          '<ns1:paramsSyncLead><leadRecord><Email>head@example.com</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
        ),
      });
      expect(sync.status).to.equal(200);
      await sync.text();
      expectProtected(sync.headers, 'syncLead 200', 'no-store');
      const found = await fetch(service.url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml; charset=utf-8' },
        body: envelope(getLeadByEmailXml('head@example.com')),
      });
      expect(found.status).to.equal(200);
      await found.text();
      expectProtected(found.headers, 'getLead 200', 'no-store');
    });

    it('SOAP faults: authentication, a malformed envelope, a body too large, a wrong method', async () => {
      const auth = await post(
        service.url,
        envelope(getLeadByEmailXml('a@example.com'), {
          user: { ...TEST_USER, encryptionKey: 'WRONGKEY0123456789ABCDE' },
        }),
      );
      expect(auth.status).to.equal(500);
      expectProtected(auth.headers, 'auth fault', 'no-store');
      const malformed = await post(service.url, '<SOAP-ENV:Envelope><unclosed');
      expect(malformed.status).to.be.within(400, 599);
      expectProtected(malformed.headers, 'malformed fault', 'no-store');
      const wrongType = await post(service.url, envelope(getLeadByEmailXml('a@example.com')), {
        'Content-Type': 'application/json',
      });
      expectProtected(wrongType.headers, `content type fault ${wrongType.status}`, 'no-store');
      const put = await fetch(service.url, { method: 'PUT', body: 'x' });
      await put.text();
      expect(put.status).to.equal(405);
      expectProtected(put.headers, '405', 'no-store');
      // Declared larger than MAX_BODY_BYTES: refused before it is read.
      const big = await exchangeUntilClosed(
        port,
        `POST /soap/mktows/2_9 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n` +
          `Content-Length: ${1024 * 1024}\r\n\r\n<x/>`,
      );
      expect(big).to.match(/^HTTP\/1\.1 500 /);
      expectProtected(headersOf(big), '500 (too large)', 'no-store');
    });

    it('/healthz and /readyz', async () => {
      for (const path of ['/healthz', '/readyz']) {
        const res = await fetch(service.base + path);
        await res.text();
        expect(res.status, path).to.equal(200);
        expectProtected(res.headers, path, 'no-store');
      }
    });

    it('the WSDL of both listeners: protected, and as cacheable as before', async () => {
      for (const url of [service.wsdlUrl, `${listenerUrl(service.base)}?wsdl`]) {
        const res = await fetch(url);
        const text = await res.text();
        expect(res.status, url).to.equal(200);
        expect(text).to.include('definitions');
        expectProtected(res.headers, url, 'cacheable');
      }
    });

    it('the Salesforce listener: an answer and a fault', async () => {
      const ok = await post(
        listenerUrl(service.base),
        notificationsXml([
          {
            id: notificationId(1),
            type: 'Lead',
            recordId: leadRecordId(1),
            fields: { Email: 'sf@example.com' },
          },
        ]),
      );
      expect(ok.status, ok.text).to.equal(200);
      expectProtected(ok.headers, 'salesforce 200', 'no-store');
      const refused = await post(
        listenerUrl(service.base),
        notificationsXml([], { orgId: OTHER_ORG_ID }),
      );
      expect(refused.status).to.be.within(400, 599);
      expectProtected(refused.headers, 'salesforce fault', 'no-store');
      const malformed = await post(listenerUrl(service.base), '<soapenv:Envelope><');
      expect(malformed.status).to.be.within(400, 599);
      expectProtected(malformed.headers, 'salesforce malformed', 'no-store');
    });

    it('an answer of the SOAP paths made outside the listeners (a URL that does not decode)', async () => {
      const answer = await exchangeUntilClosed(
        port,
        'GET /soap/mktows/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      expect(answer).to.match(/^HTTP\/1\.1 4\d\d /);
      expectProtected(headersOf(answer), answer.split('\r\n')[0]!, 'no-store');
    });
  });
}
