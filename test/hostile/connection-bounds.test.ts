import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  answeredOnNewConnection,
  askOnNewConnection,
  holdConnection,
} from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';

const HEADERS_TIMEOUT_MS = 1000;
/**
 * node looks for late connections once a second (CONNECTIONS_CHECKING_MS), plus scheduling:
 * closed 0.6 to 1 s past the timeout on a loaded machine. The defect gives 10 s (metrics) or
 * 30 s, far past this bound.
 */
const MARGIN_MS = 5000;

/**
 * Sends a request's head one byte a second, never finishing it; resolves with how long the
 * connection lived and what it got, or with the time it gave up (still open) after `giveUpMs`.
 */
function slowHeaders(port: number, giveUpMs: number): Promise<{ ms: number; got: string }> {
  return new Promise((resolve) => {
    const head = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000);
    const socket = net.connect(port, '127.0.0.1');
    const began = Date.now();
    let sent = 0;
    let got = '';
    const drip = setInterval(() => socket.write(head[sent++ % head.length]!), 1000);
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('connect', () => socket.write(head[sent++]!));
    socket.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(giveUp);
      resolve({ ms: Date.now() - began, got });
    });
  });
}

// No storage is involved: one engine is enough.
const engine = testEngines()[0]!;

describe('connections sending their headers slowly (slowloris)', function () {
  this.timeout(30000);
  let service: TestService;
  before(async () => {
    service = await startTestService(engine, { headersTimeoutMs: HEADERS_TIMEOUT_MS });
  });
  after(() => service?.stop());

  const listeners: Array<[string, () => number | null]> = [
    ['service (SOAP, one-click, admin, Salesforce)', () => service.running.port],
    ['metrics', () => service.running.metricsPort],
  ];
  for (const [name, port] of listeners) {
    it(`closes them on the ${name} listener soon after HEADERS_TIMEOUT_MS`, async () => {
      // Before: node looked every 30 s, with headersTimeout fixed at 30 s (10 s on metrics).
      const giveUpMs = HEADERS_TIMEOUT_MS + MARGIN_MS + 2000;
      const { ms, got } = await slowHeaders(port()!, giveUpMs);
      expect(ms, 'ms the connection lived').to.be.at.least(HEADERS_TIMEOUT_MS - 50);
      expect(ms, 'ms the connection lived').to.be.below(HEADERS_TIMEOUT_MS + MARGIN_MS);
      expect(got).to.match(/^HTTP\/1\.1 408 /);
    });
  }
});

describe('connections beyond MAX_CONNECTIONS', function () {
  this.timeout(30000);
  const MAX = 16;
  let service: TestService;
  before(async () => {
    service = await startTestService(engine, { maxConnections: MAX, maxConnectionsPerAddress: 0 });
  });
  after(() => service?.stop());

  const listeners: Array<[string, () => number | null]> = [
    ['service', () => service.running.port],
    ['metrics', () => service.running.metricsPort],
  ];
  for (const [name, port] of listeners) {
    it(`closes them as they arrive on the ${name} listener, and serves again once below`, async () => {
      const path = name === 'metrics' ? '/metrics' : '/healthz';
      const held = Array.from({ length: MAX }, () => holdConnection(port()!));
      await Promise.all(held.map((c) => c.connected));
      // Before: node took every connection offered, as many as descriptors allow. Closed
      // unanswered, whenever the server gets to it (no window of ms: a stalled process is no
      // server keeping the connection).
      const extra = await askOnNewConnection(port()!, path);
      expect(extra.status, 'the connection beyond the bound is closed').to.equal(null);
      held.forEach((c) => c.socket.destroy());
      await Promise.all(held.map((c) => c.closed));
      // The server counts them gone when it sees them close, a moment after the client.
      const answer = await answeredOnNewConnection(port()!, path);
      expect(answer.status).to.equal(200);
      answer.socket.destroy();
    });
  }
});
