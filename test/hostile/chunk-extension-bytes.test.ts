import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';

const MAX_BODY_BYTES = 64 * 1024;
/** Each chunk: one byte of body behind an extension of about 16 KB (node takes up to 16 KiB). */
const CHUNK = Buffer.from(`1;x=${'e'.repeat(16000)}\r\na\r\n`);
const BLOCK = Buffer.concat(Array.from({ length: 16 }, () => CHUNK));

/** An envelope whose SOAP Header goes on: no signature is seen yet, nothing is refused. */
const OPEN_HEADER =
  '<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">' +
  '<SOAP-ENV:Header><x>';
/** An envelope with no AuthenticationHeader: refused as soon as its Body starts. */
const UNSIGNED =
  '<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">' +
  '<SOAP-ENV:Header/><SOAP-ENV:Body><x>';

// No storage is involved: one engine is enough.
const engine = testEngines()[0]!;

describe('chunked bodies padded with chunk extensions', function () {
  this.timeout(60000);
  let service: TestService;
  before(async () => {
    service = await startTestService(engine, {
      maxBodyBytes: MAX_BODY_BYTES,
      bodyTimeoutMs: 30000,
    });
  });
  after(() => service?.stop());

  /**
   * Sends `path` a chunked body that starts with `start`, then goes on in one-byte chunks with
   * long extensions until the server closes the connection or has read `giveUpBytes`; resolves
   * with what the server read of the connection.
   */
  const padded = (path: string, start: string, giveUpBytes: number) =>
    new Promise<{ read: number; closed: boolean }>((resolve) => {
      let serverSide: net.Socket | undefined;
      const accept = (socket: net.Socket) => (serverSide ??= socket);
      service.running.server.once('connection', accept);
      const socket = net.connect(service.running.port, '127.0.0.1');
      socket.on('error', () => undefined);
      let closed = false;
      const finish = () => {
        socket.destroy();
        resolve({ read: serverSide?.bytesRead ?? 0, closed });
      };
      socket.on('close', () => {
        closed = true;
        finish();
      });
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n` +
          `SOAPAction: ""\r\nTransfer-Encoding: chunked\r\n\r\n` +
          `${Buffer.byteLength(start).toString(16)}\r\n${start}\r\n`,
      );
      const pump = () => {
        while (!closed) {
          if ((serverSide?.bytesRead ?? 0) > giveUpBytes) return finish();
          if (!socket.write(BLOCK)) return void socket.once('drain', pump);
        }
      };
      pump();
    });

  // Before: a refused or unfinished body was bounded by its bytes of body only, and a chunk
  // extension is none: one byte of body per 16 KB sent kept the server reading, gigabytes,
  // until BODY_TIMEOUT_MS, before anyone was authenticated.
  // What the server reads while its answer goes out comes on top (milliseconds of a client
  // sending as fast as the loopback carries): the bound is far above the few times
  // MAX_BODY_BYTES the reads stop at, and far below what was read before.
  const bound = 128 * MAX_BODY_BYTES;
  for (const [what, path, start] of [
    ['an unfinished SOAP Header', '/soap/mktows/2_9', OPEN_HEADER],
    ['a refused (unsigned) SOAP call', '/soap/mktows/2_9', UNSIGNED],
    ['a path no route takes', '/nowhere', 'a'],
  ] as const) {
    it(`closes ${what} once it has read a bounded multiple of MAX_BODY_BYTES`, async () => {
      const { read, closed } = await padded(path, start, 4 * bound);
      expect(closed, `read ${read} bytes`).to.equal(true);
      expect(read).to.be.below(bound);
    });
  }
});
