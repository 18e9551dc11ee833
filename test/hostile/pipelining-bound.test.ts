import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';

const GET = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
const statusLines = (data: string) => data.match(/HTTP\/1\.1 \d{3}/g) ?? [];

/**
 * A connection on which `batches` are written one after the other, each once every answer of
 * the one before has come back; resolves with all it got and whether the server closed it.
 */
function pipeline(
  port: number,
  batches: Array<{ bytes: string; answers: number }>,
): Promise<{ data: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let expected = 0;
    let next = 0;
    const sendNext = () => {
      const batch = batches[next++];
      if (!batch) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ data, closedByServer: false });
        return;
      }
      expected += batch.answers;
      socket.write(batch.bytes);
    };
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ data, closedByServer: false });
    }, 10000);
    socket.on('connect', sendNext);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      // Each answer of /healthz is small: a batch's answers are all in once their count is.
      if (statusLines(data).length >= expected && data.endsWith('}')) sendNext();
    });
    socket.on('error', () => undefined);
    // After sendNext or the timer resolved, this changes nothing.
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closedByServer: true });
    });
  });
}

// No storage is involved: one engine is enough.
const engine = testEngines()[0]!;

describe('requests pipelined on one connection beyond MAX_PIPELINED_REQUESTS', function () {
  this.timeout(30000);
  let service: TestService;
  before(async () => {
    service = await startTestService(engine);
  });
  after(() => service?.stop());

  it('is 32 by default', () => {
    expect(service.config.maxPipelinedRequests).to.equal(32);
  });

  it('closes a connection with more requests waiting than the bound, answering none past it', async () => {
    // One answer in progress, 200 waiting behind it: node parses them all from one write.
    const { data, closedByServer } = await pipeline(service.running.port, [
      { bytes: GET.repeat(201), answers: 201 },
    ]);
    // Before: node kept all 200 (and any number more) and answered every one.
    expect(closedByServer, 'the server closed the connection').to.equal(true);
    expect(statusLines(data).length).to.be.at.most(33);
  });

  it('answers every request of a connection that keeps within it, batch after batch', async () => {
    // 1 answered + 32 waiting, twice: the count of waiting requests goes down as they run.
    const batch = { bytes: GET.repeat(33), answers: 33 };
    const { data, closedByServer } = await pipeline(service.running.port, [batch, batch]);
    expect(closedByServer).to.equal(false);
    expect(statusLines(data)).to.have.length(66);
    expect(new Set(statusLines(data))).to.deep.equal(new Set(['HTTP/1.1 200']));
  });

  it('serves the client again on a new connection', async () => {
    const answer = await fetch(`${service.base}/healthz`);
    expect(answer.status).to.equal(200);
    await answer.text();
  });
});
