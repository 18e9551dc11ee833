import net from 'node:net';
import { expect } from 'chai';
import { ErrorCode, isAppError } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { envelope, startTestService, type TestService } from '../support/service.js';

/** Writes `bytes` on a fresh connection; resolves with all it got once it closes. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection still open after 10 s; got ${data.slice(0, 200)}`));
    }, 10000);
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

const syncLead = (email: string) =>
  envelope(
    `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList><attribute>` +
      '<attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute>' +
      '</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
  );

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
      (
        await service.running.services.leads
          .find({ keyType: 'EMAIL', keyValue: email })
          .catch((error: unknown) => {
            if (isAppError(error) && error.code === ErrorCode.LEAD_NOT_FOUND) return [];
            throw error;
          })
      ).length;

    // Before: node undoes the chunking but not the gzip (or any other coding) before it, and
    // the body was read as it came, as plain XML: a proxy that decodes the coding, or a client
    // that applied it, meant another body than the one the service stored (200, CREATED).
    for (const coding of ['gzip, chunked', 'deflate, chunked', 'x-custom, chunked']) {
      it(`answers "Transfer-Encoding: ${coding}" with 501, storing nothing`, async () => {
        const email = `coded-${coding.split(',')[0]}@example.com`;
        const answer = await exchange(service.running.port, chunkedPost(coding, syncLead(email)));
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
        const answer = await exchange(
          service.running.port,
          chunkedPost(coding, syncLead(email)).replace(
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
