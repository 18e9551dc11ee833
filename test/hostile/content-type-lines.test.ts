import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { peopleWithEmail } from '../support/people.js';
import { exchangeUntilClosed, headersOf } from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';
import { unsubscribingSyncLead } from './support.js';

/** A signed SOAP POST of `body` with the given Content-Type lines, then Connection: close. */
const soapPost = (body: string, types: readonly string[]) =>
  'POST /soap/mktows/2_9 HTTP/1.1\r\nHost: x\r\n' +
  types.map((type) => `Content-Type: ${type}\r\n`).join('') +
  `SOAPAction: ""\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/**
 * Content-Type is one value (RFC 9110 §8.3), not a list. node keeps the first of two
 * Content-Type lines and drops the others, while a proxy or gateway in front may read the last:
 * the charset a body is decoded in, and SOAP 1.2's action, were the first line's here and
 * perhaps the last one's there. Two lines that differ are answered 400, as two Host lines are;
 * the same type written twice (a client stack that sets it twice) is read as once.
 */
for (const engine of testEngines()) {
  describe(`a request with two Content-Type lines (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    const stored = async (email: string) =>
      (await peopleWithEmail(service.running.services, email)).length;

    it('is answered 400 and closed when they differ, nothing of the call stored', async () => {
      const email = 'two-content-types@example.com';
      const answer = await exchangeUntilClosed(
        service.running.port,
        soapPost(unsubscribingSyncLead(email), [
          'text/xml; charset=utf-8',
          'text/xml; charset=utf-16',
        ]),
      );
      expect(answer).to.match(/^HTTP\/1\.1 400 /);
      const headers = headersOf(answer);
      expect(headers.get('connection')).to.equal('close');
      expect(headers.get('cache-control')).to.equal('no-store');
      expect(headers.get('x-content-type-options')).to.equal('nosniff');
      expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).to.equal(
        'A request names one Content-Type.\n',
      );
      expect(await stored(email)).to.equal(0);
    });

    it('is answered so on every path of the port', async () => {
      for (const path of ['/healthz', '/u/abc', '/admin/login', '/soap/salesforce/outbound/x']) {
        const answer = await exchangeUntilClosed(
          service.running.port,
          `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n` +
            'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n' +
            'Connection: close\r\n\r\n',
        );
        expect(answer, path).to.match(/^HTTP\/1\.1 400 /);
        expect(answer, path).to.match(/\r\n\r\nA request names one Content-Type\.\n$/);
      }
    });

    it('serves the same type written twice, in any case and spacing, as once', async () => {
      const email = 'same-content-type-twice@example.com';
      const answer = await exchangeUntilClosed(
        service.running.port,
        soapPost(unsubscribingSyncLead(email), [
          'text/xml; charset=utf-8',
          'Text/XML;charset=UTF-8 ',
        ]),
      );
      expect(answer, answer).to.match(/^HTTP\/1\.1 200 /);
      expect(await stored(email)).to.equal(1);
    });
  });
}
