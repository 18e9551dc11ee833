import net from 'node:net';
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { start, type ListeningPorts } from '../../src/main.js';
import { unreachablePostgresUrl } from '../support/ports.js';

/** Resolves once something accepts connections on `port`. */
async function listening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Writes `bytes` on a fresh connection; resolves with what came back and whether it closed. */
function exchange(port: number, bytes: string, waitMs: number) {
  return new Promise<{ data: string; closed: boolean }>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ data, closed: false });
    }, waitMs);
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
    socket.write(bytes);
  });
}

describe('the answer of the service while it starts', function () {
  this.timeout(30000);
  const stop = new AbortController();
  let port: number;
  let metricsPort: number;
  let starting: Promise<unknown>;

  before(async () => {
    // A database nothing answers: the service waits for it, answering "Starting" on the ports
    // it bound (any free ones), which it tells as soon as they are bound.
    const config = loadConfig({
      DATABASE_URL: unreachablePostgresUrl(),
      USER_KEY_SECRET: 'test-user-key-secret-0123456789',
      PORT: '0',
      HOST: '127.0.0.1',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    const bound = new Promise<ListeningPorts>((resolve, reject) => {
      starting = start(config, createLogger('silent'), {
        signal: stop.signal,
        onListening: resolve,
      }).catch((error: unknown) => {
        reject(error as Error);
        return error;
      });
    });
    ({ port, metricsPort } = (await bound) as { port: number; metricsPort: number });
    await listening(port);
    await listening(metricsPort);
  });
  after(async () => {
    stop.abort();
    await starting;
  });

  it('is 503 with Connection: close, and the connection ends', async () => {
    const { data, closed } = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 3000);
    expect(data).to.match(/^HTTP\/1\.1 503 /);
    expect(data).to.match(/\r\nconnection: close\r\n/i);
    expect(data).to.match(/\r\nretry-after: 5\r\n/i);
    // Before: kept alive, the connection stayed open for as long as the client liked.
    expect(closed, 'the server closed the connection').to.equal(true);
  });

  it('answers one of several pipelined requests, and closes', async () => {
    const { data, closed } = await exchange(
      port,
      'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(50),
      3000,
    );
    expect(data.match(/HTTP\/1\.1 503/g)).to.have.length(1);
    expect(closed).to.equal(true);
  });

  it('is 503 with Connection: close on the metrics listener too', async () => {
    const { data, closed } = await exchange(
      metricsPort,
      'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n',
      3000,
    );
    expect(data).to.match(/^HTTP\/1\.1 503 /);
    expect(data).to.match(/\r\nconnection: close\r\n/i);
    expect(closed, 'the server closed the connection').to.equal(true);
  });
});
