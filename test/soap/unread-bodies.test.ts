import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { sendEndlessBody } from '../support/endless-body.js';
import { idleTimeoutMs } from '../../src/http/unread-bodies.js';

/** Pipelines `count` GETs of the WSDL on a connection that never reads an answer. */
function neverReading(port: number, count: number): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('connect', () => {
    socket.pause(); // nothing is read: the answers pile up in the buffers
    socket.write('GET /soap/mktows/2_9?WSDL HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(count));
  });
  socket.on('error', () => undefined);
  return socket;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const engine of testEngines()) {
  describe(`bodies nobody reads, and answers nobody reads (${engine.name})`, function () {
    this.timeout(90000);
    let service: TestService;
    before(async () => {
      // An idle connection is closed after max(REQUEST_TIMEOUT_MS + COMMIT_GRACE_MS,
      // BODY_TIMEOUT_MS) + 5 s.
      service = await startTestService(engine, {
        requestTimeoutMs: 3000,
        commitGraceMs: 0,
        bodyTimeoutMs: 500,
        dbAcquireTimeoutMs: 1000,
        // 80 answers pile up unread below: more than MAX_PIPELINED_REQUESTS lets wait.
        maxPipelinedRequests: 100,
      });
    });
    after(() => service?.stop());

    for (const [method, path] of [
      ['GET', '/healthz'],
      ['GET', '/soap/mktows/2_9?WSDL'],
      ['GET', '/soap/mktows/2_9'],
      ['PUT', '/soap/mktows/2_9'],
      ['GET', '/admin/login'],
      ['OPTIONS', '/u/1.k1.x'],
    ]) {
      it(`reads no more than a bound of a body sent with ${method} ${path}, then closes`, async () => {
        // Before: node read and discarded the body for as long as it came (200 MiB here).
        const { writtenMiB, answer } = await sendEndlessBody(
          service.running.port,
          `${method} ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
        expect(writtenMiB, 'MiB the client could send').to.be.below(40);
        // The answer comes before the close, to a client still writing: the reset of that close
        // can reach the client before it reads the answer (as in console-review's test), so an
        // answer is checked when one arrived; the bound above is the point.
        if (answer !== '') expect(answer).to.match(/^HTTP\/1\.1 [2-4]\d\d /);
      });
    }

    it('keeps a body within the bound and the connection alive for the next request', async () => {
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(service.running.port, '127.0.0.1');
        let data = '';
        socket.on('data', (d: Buffer) => {
          data += d.toString('latin1');
          if ((data.match(/HTTP\/1\.1 200/g) ?? []).length === 2) {
            socket.destroy();
            resolve(data);
          }
        });
        socket.write(
          'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
            'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
        );
      });
      expect(answer.match(/HTTP\/1\.1 200/g)).to.have.length(2);
    });

    it('keeps a connection whose client reads its answers slowly, for as long as bytes move', async () => {
      const idleMs = idleTimeoutMs(service.config);
      const socket = neverReading(service.running.port, 80);
      let closed = false;
      socket.on('close', () => (closed = true));
      let read = 0;
      socket.on('data', (chunk: Buffer) => {
        read += chunk.length;
        socket.pause();
      });
      try {
        // A few kilobytes every quarter of the idle timeout: far slower than the answers come.
        const started = Date.now();
        while (Date.now() - started < 1.5 * idleMs && !closed) {
          await sleep(idleMs / 4);
          socket.resume();
        }
        expect(closed, 'closed while reading').to.equal(false);
        expect(read, 'bytes read').to.be.above(0);
      } finally {
        socket.destroy();
      }
    });

    it('closes a connection whose client stops reading its answers after the idle timeout', async () => {
      // At first: no idle timeout, the connection and the answers buffered for it stayed for
      // ever. Then: closed after twice the idle timeout (16 s here), node's own timeout put off
      // once by the write still in flight.
      const idleMs = idleTimeoutMs(service.config);
      const server = service.running.server;
      const connections = () =>
        new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));
      const before = await connections();
      const opened = Date.now();
      const socket = neverReading(service.running.port, 80);
      try {
        await sleep(idleMs / 2);
        expect(await connections(), 'the connection is open').to.equal(before + 1);
        // Looked at once a second: closed within a second or two of the timeout, on a loaded
        // machine too.
        while ((await connections()) > before && Date.now() - opened < 1.5 * idleMs)
          await sleep(100);
        expect(await connections(), 'connections after 1.5 × the idle timeout').to.equal(before);
        expect(Date.now() - opened, 'ms the connection lived').to.be.at.least(0.9 * idleMs);
      } finally {
        socket.destroy();
      }
    });
  });
}
