import type { Server } from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import { serveMetrics } from '../../src/metrics.js';

const MAX_PIPELINED = 8;

describe('requests pipelined on the metrics listener', function () {
  this.timeout(30000);
  let server: Server;
  let gathered = 0;
  before(async () => {
    const metrics = {
      registry: {
        contentType: 'text/plain',
        // Each scrape gathers every metric: the work a pipelined request asks for.
        metrics: async () => {
          gathered++;
          await new Promise((resolve) => setTimeout(resolve, 2));
          return '# metrics\n';
        },
      },
    };
    server = await serveMetrics(() => metrics, {
      port: 0,
      host: '127.0.0.1',
      headersTimeoutMs: 1000,
      maxConnections: 16,
      maxPipelinedRequests: MAX_PIPELINED,
    });
  });
  after(() => {
    server.close();
    server.closeAllConnections();
  });

  it('gathers the metrics for no more than MAX_PIPELINED_REQUESTS waiting, then closes', async () => {
    const port = (server.address() as net.AddressInfo).port;
    const answers = await new Promise<number>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      const count = () => (data.match(/HTTP\/1\.1 200 /g) ?? []).length;
      const giveUp = setTimeout(() => socket.destroy(), 5000);
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(giveUp);
        resolve(count());
      });
      socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(500));
    });
    // Before: every one of the 500 requests gathered the metrics and was answered.
    expect(gathered, 'scrapes gathered').to.be.at.most(MAX_PIPELINED + 1);
    expect(answers, 'answers').to.be.at.most(MAX_PIPELINED + 1);
  });
});
