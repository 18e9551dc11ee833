import net from 'node:net';
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { start } from '../../src/main.js';

/** A port nothing listens on, free a moment ago. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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
    port = await freePort();
    metricsPort = await freePort();
    // A database that refuses connections: the service waits for it, answering "Starting".
    const config = loadConfig({
      DATABASE_URL: `postgres://nobody@127.0.0.1:${await freePort()}/none`,
      USER_KEY_SECRET: 'test-user-key-secret-0123456789',
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'silent',
    });
    starting = start(config, createLogger('silent'), { signal: stop.signal }).catch(
      (error: unknown) => error,
    );
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
