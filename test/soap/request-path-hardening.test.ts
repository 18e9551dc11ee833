import http from 'node:http';
import { expect } from 'chai';
import { requestSignature } from '../../src/mktows/auth.js';
import { testEngines } from '../support/database.js';
import {
  envelope,
  faultCode,
  getLeadByEmailXml,
  isoNow,
  rawCall,
  startTestService,
  syncEmailXml,
  TEST_USER,
  type TestService,
} from '../support/service.js';
import { sendEndlessBody } from '../support/endless-body.js';
import { startLoggedService, type LoggedService } from '../support/logged-service.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  url: string,
  options: {
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    /** A path sent as it is (the URL's would be percent-encoded). */
    rawPath?: string;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      ...(options.rawPath ? { path: options.rawPath } : {}),
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

for (const engine of testEngines()) {
  describe(`the SOAP request path, hardened (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine, {
        authFailureLimit: 5,
        authFailureWindowSeconds: 60,
        publicUrl: 'https://soap.example.com/marketing',
        getLeadMaxResults: 3,
        // The Salesforce listener answers only with an organisation and its path secret.
        salesforceOrgIds: ['00D000000000001'],
        salesforcePathSecret: 'hardening-path-secret-0123',
      });
    });
    after(() => service?.stop());

    it('decides on a bad AuthenticationHeader from the header alone: the rest is neither kept nor parsed', async () => {
      // After the header: 2 MB (twice MAX_BODY_BYTES) that is not even XML. Read whole, this
      // body would be refused as too large (413) or malformed; refused at its header, it is
      // discarded as it arrives.
      const head = envelope('<ns1:paramsGetLead>', { signature: '0'.repeat(40) }).replace(
        /<\/SOAP-ENV:Body>.*$/,
        '',
      );
      const res = await request(service.url, {
        method: 'POST',
        body: head + '<leadKey>' + '<&>'.repeat(700000),
        // No Content-Length: the size is known only by reading.
        headers: { 'Content-Type': 'text/xml; charset=utf-8', 'Transfer-Encoding': 'chunked' },
      });
      expect(res.status, res.body).to.equal(500);
      expect(faultCode(res.body), res.body).to.equal(20014);
      // Without a header at all, the same.
      const bare = await request(service.url, {
        method: 'POST',
        body:
          head.replace(/<ns1:AuthenticationHeader>.*<\/ns1:AuthenticationHeader>/, '') +
          '<&>'.repeat(700000),
        headers: { 'Content-Type': 'text/xml; charset=utf-8', 'Transfer-Encoding': 'chunked' },
      });
      expect(faultCode(bare.body), bare.body).to.equal(20014);
    });

    it('refuses an unsigned 1 MB body with 20014 and stores nothing', async () => {
      const big = syncEmailXml(`${'u'.repeat(900000)}@example.com`);
      const res = await rawCall(service.url, big, { user: null });
      expect(faultCode(res.body)).to.equal(20014);
    });

    it('reads no more of a refused body than four times MAX_BODY_BYTES, then closes the connection', async () => {
      // A bad header, then a body sent without end: what follows the refusal is discarded as
      // it arrives, up to four times the limit (1 MiB here), and then the connection ends.
      // Kept alive instead, the server would go on reading to find the next request.
      const head = envelope('<ns1:paramsGetLead>', { signature: '0'.repeat(40) }).replace(
        /<\/SOAP-ENV:Body>.*$/,
        '',
      );
      const { writtenMiB: written, answer } = await sendEndlessBody(
        Number(new URL(service.url).port),
        `POST ${new URL(service.url).pathname} HTTP/1.1\r\nHost: x\r\n` +
          'Content-Type: text/xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n',
        head,
      );
      // Past 4 MiB read, the rest lies in the two sockets' buffers at most (a few MiB each).
      expect(written, 'MiB the client could send').to.be.below(40);
      if (answer !== '') expect(answer).to.match(/^HTTP\/1\.1 500 .*connection: close/is);
      // The service answers the next caller as before.
      const next = await rawCall(service.url, getLeadByEmailXml('after@example.com'));
      expect(faultCode(next.body), next.body).to.equal(20103);
    });

    it('serves both WSDLs with PUBLIC_URL as the address, whatever the Host header says', async () => {
      for (const path of [
        '/soap/mktows/2_9?WSDL',
        '/soap/salesforce/outbound/hardening-path-secret-0123?wsdl',
      ]) {
        const res = await request(`${service.base}${path}`, {
          headers: { Host: 'evil.example.net' },
        });
        expect(res.status, path).to.equal(200);
        const address = /<soap:address\s+location="([^"]*)"/.exec(res.body)?.[1];
        expect(address, path).to.equal(
          `https://soap.example.com/marketing${path.replace(/\?.*$/, '')}`,
        );
      }
    });

    it('writes the path into the WSDL address escaped: markup or $ in it change nothing else', async () => {
      const plain = await request(`${service.base}/soap/mktows/2_9?WSDL`);
      // Quotes, angle brackets, & and replacement patterns ($' is "what follows the match").
      const version = `x"><evil&$'$&`;
      const res = await request(service.base, { rawPath: `/soap/mktows/${version}?WSDL` });
      expect(res.status, res.body.slice(0, 300)).to.equal(200);
      const escaped = version.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
      expect(res.body).to.equal(
        plain.body.replace(
          'location="https://soap.example.com/marketing/soap/mktows/2_9"',
          () => `location="https://soap.example.com/marketing/soap/mktows/${escaped}"`,
        ),
      );
    });

    it('answers malformed URLs with a short error in the path’s dialect, never a stack trace', async () => {
      const paths = [
        '/soap/mktows/%C0',
        '/soap/mktows/%E0%A4%A',
        '/soap/salesforce/outbound/%C0',
        '/soap/salesforce/outbound/%ZZ',
        // Express routes paths in any case: these are the SOAP listeners' too.
        '/SOAP/mktows/%C0',
        '/Soap/Mktows/%ZZ',
        '/admin/people/%C0',
        '/%C0',
      ];
      for (const path of paths) {
        for (const method of ['GET', 'POST']) {
          const res = await request(`${service.base}${path}`, {
            method,
            body: method === 'POST' ? envelope(getLeadByEmailXml('a@example.com')) : undefined,
            headers: { 'Content-Type': 'text/xml; charset=utf-8' },
          });
          const where = `${method} ${path}: ${res.status} ${res.body.slice(0, 200)}`;
          expect(res.status, where).to.be.within(300, 499);
          expect(res.body, where).to.not.match(
            /<pre|\bat .*\.(ts|js)|node_modules|\/src\/|URIError/,
          );
          if (path.toLowerCase().startsWith('/soap/')) {
            expect(res.status, where).to.equal(400);
            expect(res.headers['content-type'], where).to.match(/^text\/xml/);
            expect(faultCode(res.body), where).to.equal(20012);
          } else if (!path.startsWith('/admin/')) {
            // (the console sends whoever is not logged in to its login page first)
            expect(res.status, where).to.be.within(400, 404);
            expect(res.headers['content-type'], where).to.match(/^text\/plain/);
          }
        }
      }
    });

    it('answers getLead with at most GET_LEAD_MAX_RESULTS people, the most recently updated, count saying how many', async () => {
      for (let i = 0; i < 5; i++) {
        const res = await rawCall(
          service.url,
          `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>shared@example.com</Email></leadRecord></leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`,
        );
        expect(res.status, res.body).to.equal(200);
      }
      const res = await rawCall(service.url, getLeadByEmailXml('shared@example.com'));
      expect(res.status, res.body).to.equal(200);
      expect(res.body).to.contain('<count>3</count>');
      const ids = [...res.body.matchAll(/<Id>(\d+)<\/Id>/g)].map((m) => Number(m[1]));
      expect(ids).to.have.length(3);
      expect(ids).to.deep.equal([...ids].sort((a, b) => b - a));
    });
  });
}

for (const engine of testEngines()) {
  describe(`authentication failures per client address (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine, {
        authFailureLimit: 5,
        authFailureWindowSeconds: 60,
      });
    });
    after(() => service?.stop());

    it('counts authentication failures per client address: 20014 up to the limit, then HTTP 429 with Retry-After', async () => {
      const bad = { signature: '1'.repeat(40) };
      for (let i = 0; i < 5; i++) {
        const res = await rawCall(service.url, getLeadByEmailXml('a@example.com'), bad);
        expect(res.status).to.equal(500);
        expect(faultCode(res.body)).to.equal(20014);
      }
      for (const opts of [bad, {}]) {
        const res = await request(service.url, {
          method: 'POST',
          body: envelope(getLeadByEmailXml('a@example.com'), opts),
          headers: { 'Content-Type': 'text/xml; charset=utf-8' },
        });
        expect(res.status).to.equal(429);
        expect(Number(res.headers['retry-after'])).to.be.within(1, 60);
        expect(faultCode(res.body)).to.equal(20014);
        expect(res.body).to.contain('Too many authentication failures');
      }
    });
  });

  describe(`authentication failures of IPv6 clients (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine, {
        authFailureLimit: 5,
        authFailureWindowSeconds: 60,
        trustProxy: 1,
      });
    });
    after(() => service?.stop());

    it('counts an IPv6 client by its /64, so that one subscriber cannot take a turn per address', async () => {
      const from = (address: string) => ({
        signature: '1'.repeat(40),
        headers: { 'X-Forwarded-For': address },
      });
      for (let i = 0; i < 5; i++) {
        const res = await rawCall(
          service.url,
          getLeadByEmailXml('a@example.com'),
          from(`2001:db8:5:5::${i + 1}`),
        );
        expect(res.status).to.equal(500);
      }
      const next = await rawCall(
        service.url,
        getLeadByEmailXml('a@example.com'),
        from('2001:db8:5:5:ffff::9'),
      );
      expect(next.status).to.equal(429);
      const other = await rawCall(
        service.url,
        getLeadByEmailXml('a@example.com'),
        from('2001:db8:5:6::1'),
      );
      expect(other.status).to.equal(500);
      expect(faultCode(other.body)).to.equal(20014);
    });
  });
}

describe('authentication failures in the log', function () {
  this.timeout(30000);
  let service: LoggedService;

  before(async () => {
    service = await startLoggedService('info');
  });
  after(() => service?.running.close());

  it('name the user id given and the reason, never the key or the signature', async () => {
    const url = `http://127.0.0.1:${service.running.port}/soap/mktows/2_9`;
    const wrongSignature = 'abcdef'.repeat(6) + 'abcd';
    await rawCall(url, getLeadByEmailXml('a@example.com'), { signature: wrongSignature });
    await rawCall(url, getLeadByEmailXml('a@example.com'), {
      user: { userId: 'mallory', encryptionKey: 'K' },
    });
    const old = isoNow(-3600000);
    await rawCall(url, getLeadByEmailXml('a@example.com'), {
      timestamp: old,
      signature: requestSignature(TEST_USER.encryptionKey, old, TEST_USER.userId),
    });
    // The id and key fields swapped (both are opaque strings): the key is in the id field.
    const pastedKey = '9C6C3299642534288C8A10C7B2F599E7292D01B86304C710';
    await rawCall(url, getLeadByEmailXml('a@example.com'), {
      user: { userId: pastedKey, encryptionKey: 'du_0123456789abcdef' },
    });
    const lines = service.lines();
    const refusals = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'SOAP authentication refused');
    expect(refusals.map((r) => [r.userId, r.reason])).to.deep.equal([
      [TEST_USER.userId, 'bad signature'],
      ['mallory', 'unknown user'],
      [TEST_USER.userId, 'timestamp out of window'],
      ['(withheld: 48 characters shaped like a key)', 'unknown user'],
    ]);
    expect(lines.join('\n')).to.not.contain(pastedKey);
    const all = lines.join('\n');
    expect(all).to.not.contain(wrongSignature);
    expect(all).to.not.contain(TEST_USER.encryptionKey);
  });
});
