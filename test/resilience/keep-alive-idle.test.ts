/**
 * Idle keep-alive connections of the service port. node's default closed them 5 s after their
 * last answer (6 s with its 1 s margin), while .NET Framework SOAP clients keep an idle pooled
 * connection up to 100 s and load balancers 60 s: their next POST went out on a connection
 * this side had closed and failed, unretried. KEEP_ALIVE_TIMEOUT_MS (120 s) sets the wait.
 */
import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw connection: what it received, whether and when it closed. */
async function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  let closedAt: number | null = null;
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve((closedAt = Date.now()))),
  );
  return { socket, closed, received: () => received, closedAt: () => closedAt };
}

/** Sends a GET /healthz and waits for its whole answer; the time it arrived. */
async function askHealth(conn: Awaited<ReturnType<typeof connect>>): Promise<number> {
  const before = conn.received().length;
  conn.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  for (let i = 0; i < 500; i++) {
    const answer = conn.received().slice(before);
    const head = answer.split('\r\n\r\n')[0]!;
    const length = /^Content-Length: (\d+)$/im.exec(head)?.[1];
    if (length !== undefined && answer.length >= head.length + 4 + Number(length))
      return Date.now();
    await sleep(10);
  }
  throw new Error(`no answer: ${conn.received()}`);
}

function port(service: TestService): number {
  return Number(new URL(service.base).port);
}

for (const engine of testEngines()) {
  describe(`idle keep-alive connections of the service port (${engine.name})`, function () {
    this.timeout(60000);

    it('keeps an idle connection past node’s 5 s by default, advertises it, and serves the next request on it', async () => {
      const service = await startTestService(engine);
      try {
        const conn = await connect(port(service));
        await askHealth(conn);
        expect(conn.received()).to.match(/^Keep-Alive: timeout=120$/im);
        // node's default wait (5 s, plus the 1 s it adds) is over.
        await sleep(6500);
        expect(conn.closedAt(), 'closed while idle').to.equal(null);
        // The pooled client's next call on it is answered.
        await askHealth(conn);
        expect(conn.received().match(/HTTP\/1\.1 200 /g)).to.have.length(2);
        conn.socket.destroy();
      } finally {
        await service.stop();
      }
    });

    it('closes it after KEEP_ALIVE_TIMEOUT_MS, even when longer than the idle and headers timeouts, and a slow request on it still meets the headers timeout', async () => {
      const service = await startTestService(engine, {
        keepAliveTimeoutMs: 7000,
        headersTimeoutMs: 500,
        // server.timeout = max(1000 + 0, 1000) + 5000 = 6 s, below the keep-alive wait.
        requestTimeoutMs: 1000,
        bodyTimeoutMs: 1000,
        commitGraceMs: 0,
        dbAcquireTimeoutMs: 500,
      });
      try {
        const idle = await connect(port(service));
        const answered = await askHealth(idle);
        expect(idle.received()).to.match(/^Keep-Alive: timeout=7$/im);
        // A client going idle after its answer, then sending headers a byte at a time: held
        // for the headers timeout, not for the keep-alive wait.
        const slow = await connect(port(service));
        await askHealth(slow);
        await sleep(300);
        slow.socket.write('GET /healthz HTTP/1.1\r\nHo');
        const slowStart = Date.now();

        await sleep(6600 - (Date.now() - answered));
        // Past server.timeout (6 s) and past node's default wait (6 s): still open.
        expect(idle.closedAt(), 'closed before KEEP_ALIVE_TIMEOUT_MS').to.equal(null);
        const closedAfter = (await idle.closed) - answered;
        // Generous bounds: 7 s and node's 1 s margin, on a loaded machine.
        expect(closedAfter, 'ms from the last answer to the close').to.be.below(12000);

        const slowClosedAfter = (await slow.closed) - slowStart;
        expect(slow.received()).to.match(/HTTP\/1\.1 408 /);
        expect(slowClosedAfter, 'ms the partial headers held the connection').to.be.below(
          closedAfter / 2,
        );
      } finally {
        await service.stop();
      }
    });
  });
}
