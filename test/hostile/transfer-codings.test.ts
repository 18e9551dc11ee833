import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { exchangeUntilClosed } from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';
import { unsubscribingSyncLead } from './support.js';
import { peopleWithEmail } from '../support/people.js';

/** A SOAP POST whose body goes in one chunk under `transferEncoding`. */
const chunkedPost = (transferEncoding: string, body: string) =>
  'POST /soap/mktows/2_9 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n' +
  `SOAPAction: ""\r\nTransfer-Encoding: ${transferEncoding}\r\n\r\n` +
  `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;

for (const engine of testEngines()) {
  describe(`transfer codings other than chunked (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    const stored = async (email: string) =>
      (await peopleWithEmail(service.running.services, email)).length;

    // Before: node undoes the chunking but not the gzip (or any other coding) before it, and
    // the body was read as it came, as plain XML: a proxy that decodes the coding, or a client
    // that applied it, meant another body than the one the service stored (200, CREATED).
    for (const coding of ['gzip, chunked', 'deflate, chunked', 'x-custom, chunked']) {
      it(`answers "Transfer-Encoding: ${coding}" with 501, storing nothing`, async () => {
        const email = `coded-${coding.split(',')[0]}@example.com`;
        const answer = await exchangeUntilClosed(
          service.running.port,
          chunkedPost(coding, unsubscribingSyncLead(email)),
        );
        expect(answer).to.match(/^HTTP\/1\.1 501 /);
        expect(answer).to.match(/\r\nConnection: close\r\n/i);
        expect(answer).to.not.match(/ at |Error:/);
        expect(await stored(email)).to.equal(0);
      });
    }

    it('still reads a chunked body, whatever the case or spaces of the word', async () => {
      for (const [coding, email] of [
        ['chunked', 'plain-chunked@example.com'],
        [' Chunked ', 'spelled-chunked@example.com'],
      ] as const) {
        const answer = await exchangeUntilClosed(
          service.running.port,
          chunkedPost(coding, unsubscribingSyncLead(email)).replace(
            'SOAPAction: ""\r\n',
            'Connection: close\r\n',
          ),
        );
        expect(answer).to.match(/^HTTP\/1\.1 200 /);
        expect(await stored(email)).to.equal(1);
      }
    });
  });
}
