import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { envelope, getLeadByEmailXml } from '../support/service.js';
import { ALICE, AdminClient } from '../admin/support.js';
import { exchangeUntilClosed } from '../support/raw-socket.js';
import { historyOf, startLinkService, type LinkService } from '../one-click/support.js';
import { ORG_ID, PATH_SECRET } from '../salesforce/support.js';

/**
 * `Expect: 100-continue`: the 100 is sent only when the request is to be served (its body
 * read), never for a request refused on what its head says (a bad one-click token, no console
 * session, a wrong listener secret, a declared length past the limit). A client that waits for
 * the 100 (.NET's HttpWebRequest does on every POST) is still served.
 */

interface Exchange {
  data: string;
  /** Whether 100 Continue was received (and the body sent after it). */
  asked: boolean;
  closed: boolean;
}

/**
 * Sends `head` alone, and `body` only once 100 Continue arrives, as a client that waits for it
 * does; resolves with all it got once the server closes the connection (or after `waitMs`).
 */
function waitingClient(port: number, head: string, body: string, waitMs = 5000): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let asked = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ data, asked, closed: false });
    }, waitMs);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (!asked && data.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        asked = true;
        socket.write(body);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, asked, closed: true });
    });
    socket.write(head);
  });
}

const headOf = (
  method: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
  length = Buffer.byteLength(body),
) =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
  Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('') +
  `Content-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`;

/** The final answer's status line (after any 100 Continue). */
const finalStatus = (data: string) =>
  /HTTP\/1\.1 ([2-5]\d\d) /.exec(data.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, ''))?.[1];

/** A refusal without the body: no 100, the final answer, the connection closed. */
function expectRefusedUnasked(x: Exchange, status: string, what: string): void {
  expect(x.data, what).not.to.match(/^HTTP\/1\.1 100/);
  expect(x.asked, what).to.equal(false);
  expect(finalStatus(x.data), `${what}: ${x.data.slice(0, 120)}`).to.equal(status);
  expect(x.closed, `${what}: connection left open`).to.equal(true);
}

/** Served: the 100 first, then the body sent, then the final answer. */
function expectServed(x: Exchange, status: string, what: string): void {
  expect(x.asked, `${what}: ${x.data.slice(0, 120)}`).to.equal(true);
  expect(finalStatus(x.data), `${what}: ${x.data.slice(0, 300)}`).to.equal(status);
}

const FORM = 'List-Unsubscribe=One-Click';
const FORM_TYPE = { 'Content-Type': 'application/x-www-form-urlencoded' };

for (const engine of testEngines()) {
  describe(`Expect: 100-continue is answered only for requests to be served (${engine.name})`, function () {
    this.timeout(60000);
    let service: LinkService;
    let port: number;
    before(async () => {
      service = await startLinkService(engine, {
        adminUsers: [ALICE],
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
        maxBodyBytes: 64 * 1024,
        unsubscribeMaxBodyBytes: 1024,
        // Long: a refusal that waits for the body it never asked for shows as a timeout.
        bodyTimeoutMs: 20000,
      });
      port = Number(new URL(service.base).port);
    });
    after(() => service.stop());

    it('one-click POST with a token that does not hold: refused, no 100', async () => {
      const x = await waitingClient(port, headOf('POST', '/u/not-a-token', FORM, FORM_TYPE), FORM);
      expectRefusedUnasked(x, finalStatus(x.data) ?? '', 'bad token');
      expect(Number(finalStatus(x.data))).to.be.within(400, 499);
    });

    it('one-click POST with a good token: 100, then served', async () => {
      const path = new URL(service.linkUrl('expect@example.com')).pathname;
      const x = await waitingClient(
        port,
        headOf('POST', path, FORM, { ...FORM_TYPE, Connection: 'close' }),
        FORM,
      );
      expectServed(x, '200', 'good token');
    });

    it('one-click POST with a good token, the expectation written in capitals: 100, then served', async () => {
      // Expectations are case-insensitive; only another expectation beside it is refused (417).
      const path = new URL(service.linkUrl('capitals@example.com')).pathname;
      const head = headOf('POST', path, FORM, { ...FORM_TYPE, Connection: 'close' });
      const x = await waitingClient(
        port,
        head.replace('Expect: 100-continue', 'Expect:  100-CONTINUE '),
        FORM,
      );
      expectServed(x, '200', 'capitals');
    });

    it('one-click POST with a good token, 100-continue on two lines: 100, then served', async () => {
      // node joins the lines ("100-continue, 100-continue"): every expectation is one it meets.
      const path = new URL(service.linkUrl('twice@example.com')).pathname;
      const head = headOf('POST', path, FORM, { ...FORM_TYPE, Connection: 'close' });
      const x = await waitingClient(
        port,
        head.replace('Expect: 100-continue', 'Expect: 100-continue\r\nExpect: , 100-Continue'),
        FORM,
      );
      expectServed(x, '200', 'twice');
    });

    it('a request whose Expect holds no expectation (empty, only commas): served as without it', async () => {
      // A list's empty elements are ignored (RFC 9110 §5.6.1): `Expect:` asks for nothing.
      // Python's http.client and urllib write the line so when a caller blanks the header.
      // Before: 417, the one-click refused (nothing stored) and the SOAP call with it.
      for (const [value, email] of [
        ['', 'blank-expect@example.com'],
        [' , ,', 'commas-expect@example.com'],
      ] as const) {
        const path = new URL(service.linkUrl(email)).pathname;
        const answer = await exchangeUntilClosed(
          port,
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM_TYPE['Content-Type']}\r\n` +
            `Content-Length: ${FORM.length}\r\nExpect:${value}\r\nConnection: close\r\n\r\n${FORM}`,
        );
        expect(answer, `Expect:${value}`).to.match(/^HTTP\/1\.1 200 /);
        expect(await historyOf(service.running.services, email), email).to.have.length(1);
      }
      const xml = envelope(getLeadByEmailXml('nobody@example.com'));
      const soap = await exchangeUntilClosed(
        port,
        `POST /soap/mktows/2_9 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(xml)}\r\nExpect: \r\nConnection: close\r\n\r\n${xml}`,
      );
      // No such lead: the contract's fault, after the body was read.
      expect(soap).to.include('<code>20103</code>');
      const health = await exchangeUntilClosed(
        port,
        'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect:\r\nConnection: close\r\n\r\n',
      );
      expect(health).to.match(/^HTTP\/1\.1 200 /);
    });

    it('one-click POST with a good token but a declared length past the limit: refused, no 100', async () => {
      const path = new URL(service.linkUrl('large@example.com')).pathname;
      const x = await waitingClient(port, headOf('POST', path, FORM, FORM_TYPE, 1024 * 1024), FORM);
      expectRefusedUnasked(x, '413', 'too large');
    });

    it('console POST without a session: refused, no 100', async () => {
      const form = '_csrf=x';
      for (const cookie of [undefined, 'du_admin_session=forged-session-token']) {
        const x = await waitingClient(
          port,
          headOf('POST', '/admin/address/status', form, {
            ...FORM_TYPE,
            ...(cookie ? { Cookie: cookie } : {}),
          }),
          form,
        );
        expectRefusedUnasked(x, '401', `no session (${cookie ?? 'no cookie'})`);
      }
    });

    it('console POST with a session: 100, then served', async () => {
      const client = new AdminClient(service.base);
      expect((await client.logIn()).status).to.equal(303);
      const cookie = client.cookieHeader;
      const form = `_csrf=${encodeURIComponent(client.csrf)}`;
      const x = await waitingClient(
        port,
        headOf('POST', '/admin/logout', form, {
          ...FORM_TYPE,
          Cookie: cookie,
          Connection: 'close',
        }),
        form,
      );
      expectServed(x, '303', 'logged in');
    });

    it('SOAP as .NET sends it (waits for 100): served', async () => {
      const xml = envelope(getLeadByEmailXml('nobody@example.com'));
      const x = await waitingClient(
        port,
        headOf('POST', '/soap/mktows/2_9', xml, {
          'Content-Type': 'text/xml; charset=utf-8',
          SOAPAction: '"http://www.marketo.com/mktows/getLead"',
          Connection: 'close',
        }),
        xml,
      );
      expect(x.asked).to.equal(true);
      // No such lead: the contract's fault, after the body was read.
      expect(x.data).to.include('<code>20103</code>');
    });

    it('SOAP refused on its head (length past MAX_BODY_BYTES, wrong listener secret, no route): no 100', async () => {
      const xml = envelope(getLeadByEmailXml('nobody@example.com'));
      const big = await waitingClient(
        port,
        headOf('POST', '/soap/mktows/2_9', xml, { 'Content-Type': 'text/xml' }, 1024 * 1024),
        xml,
      );
      expectRefusedUnasked(big, '500', 'mktows too large');
      const secret = await waitingClient(
        port,
        headOf('POST', '/soap/salesforce/outbound/wrong-secret', xml, {
          'Content-Type': 'text/xml',
        }),
        xml,
      );
      expectRefusedUnasked(secret, '404', 'salesforce wrong secret');
      const nowhere = await waitingClient(port, headOf('POST', '/nowhere', xml), xml);
      expectRefusedUnasked(nowhere, '404', 'no route');
    });
  });
}
