import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Sends `head`, then body bytes (64 KiB every 10 ms) for up to `forMs`; resolves with what came
 * back, whether the server closed the connection and how many body bytes were sent by then.
 */
function endlessBody(port: number, head: string, forMs: number, chunk: Buffer) {
  return new Promise<{ data: string; closed: boolean; sent: number; ms: number }>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const began = Date.now();
    let data = '';
    let sent = 0;
    const finish = (closed: boolean) => {
      clearInterval(pump);
      clearTimeout(giveUp);
      resolve({ data, closed, sent, ms: Date.now() - began });
    };
    const pump = setInterval(() => {
      if (socket.writable && socket.writableLength < 1 << 20) {
        socket.write(chunk);
        sent += chunk.length;
      }
    }, 10);
    const giveUp = setTimeout(() => {
      socket.removeAllListeners('close');
      socket.destroy();
      finish(false);
    }, forMs);
    socket.on('data', (bytes: Buffer) => (data += bytes.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    socket.write(head);
  });
}

// No storage is involved: one engine is enough.
const engine = testEngines()[0]!;

describe('requests announcing a body on the metrics listener', function () {
  this.timeout(30000);
  let service: TestService;
  before(async () => {
    service = await startTestService(engine);
  });
  after(() => service?.stop());

  const plain = Buffer.alloc(65536, 'a');
  const chunked = Buffer.concat([Buffer.from('10000\r\n'), plain, Buffer.from('\r\n')]);
  const cases: Array<[string, string, Buffer]> = [
    [
      'GET /metrics with a length',
      'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n',
      plain,
    ],
    [
      'POST /metrics with chunks',
      'POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      chunked,
    ],
    [
      'PUT /other with a length',
      'PUT /other HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n',
      plain,
    ],
  ];
  for (const [name, head, chunk] of cases) {
    it(`answers ${name} 400 and closes the connection, the body unread`, async () => {
      const { data, closed, ms } = await endlessBody(
        service.running.metricsPort!,
        head,
        4000,
        chunk,
      );
      expect(data).to.match(/^HTTP\/1\.1 400 /);
      expect(data).to.match(/\r\nconnection: close\r\n/i);
      // Before: answered (200 or 404), kept alive, and the body read for as long as it came.
      expect(closed, 'the server closed the connection').to.equal(true);
      expect(ms).to.be.below(2000);
    });
  }

  it('still serves GET /metrics without a body, and GET with Content-Length: 0', async () => {
    const answer = await fetch(`http://127.0.0.1:${service.running.metricsPort}/metrics`);
    expect(answer.status).to.equal(200);
    expect(await answer.text()).to.contain('du_soap_calls_total');
    const { data } = await endlessBody(
      service.running.metricsPort!,
      'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
      3000,
      Buffer.alloc(0),
    );
    expect(data).to.match(/^HTTP\/1\.1 200 /);
  });
});
