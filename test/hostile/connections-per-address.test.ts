import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { capConnectionsPerAddress } from '../../src/http/connections-per-address.js';
import { testEngines } from '../support/database.js';
import {
  answeredOnNewConnection,
  askOnNewConnection,
  holdConnection,
} from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';
import { settle } from '../support/wait.js';

/*
 * Whether a connection was kept or closed is the server's answer to a request on it (a status,
 * or a close unanswered), never "still open after some ms": a process stalled for that long
 * (a loaded machine, a collection) read as one keeping the connection beyond the cap. And the
 * server counts a connection gone only once it sees it close: a freed slot is waited for, not
 * slept for.
 */

// No storage is involved: one engine is enough.
const engine = testEngines()[0]!;

describe('connections beyond MAX_CONNECTIONS_PER_ADDRESS', function () {
  this.timeout(30000);
  const CAP = 4;
  let service: TestService;
  before(async () => {
    service = await startTestService(engine, { maxConnections: 64, maxConnectionsPerAddress: CAP });
  });
  after(() => service?.stop());

  it('closes the one beyond the cap from one address while another address still connects, and frees slots on close', async () => {
    const port = service.running.port;
    const held = Array.from({ length: CAP }, () => holdConnection(port, '127.0.0.1'));
    await Promise.all(held.map((c) => c.connected));
    // Before: one address could open as many as MAX_CONNECTIONS.
    const extra = await askOnNewConnection(port, '/healthz', '127.0.0.1');
    expect(extra.status, 'the connection beyond the cap is closed').to.equal(null);
    const other = await askOnNewConnection(port, '/healthz', '127.0.0.2');
    expect(other.status, 'another address is still served').to.equal(200);
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
    expect(answer, 'a request from the capped address is refused').to.equal(null);
    other.socket.destroy();

    held.slice(0, 2).forEach((c) => c.socket.destroy());
    await Promise.all(held.slice(0, 2).map((c) => c.closed));
    const again = [
      await answeredOnNewConnection(port, '/healthz', '127.0.0.1'),
      await answeredOnNewConnection(port, '/healthz', '127.0.0.1'),
    ];
    expect(
      again.map((a) => a.status),
      'freed slots',
    ).to.deep.equal([200, 200]);
    const beyond = await askOnNewConnection(port, '/healthz', '127.0.0.1');
    expect(beyond.status, 'the cap holds again').to.equal(null);
    [...held.map((c) => c.socket), ...again.map((a) => a.socket)].forEach((s) => s.destroy());
    const served = await answeredOnNewConnection(port, '/healthz', '127.0.0.1');
    expect(served.status).to.equal(200);
    served.socket.destroy();
  });
});

describe('capConnectionsPerAddress', function () {
  this.timeout(30000);

  it('counts open connections by address, never below zero, refused ones not counted', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    const open = capConnectionsPerAddress(server, 2);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const held = [holdConnection(port, '127.0.0.1'), holdConnection(port, '127.0.0.1')];
      await Promise.all(held.map((c) => c.connected));
      const refused = [
        await askOnNewConnection(port, '/', '127.0.0.1'),
        await askOnNewConnection(port, '/', '127.0.0.1'),
      ];
      expect(refused.map((r) => r.status)).to.deep.equal([null, null]);
      // Answered: the server has counted it.
      const other = await askOnNewConnection(port, '/', '127.0.0.3');
      expect(other.status).to.equal(200);
      expect([...open]).to.deep.equal([
        ['127.0.0.1', 2],
        ['127.0.0.3', 1],
      ]);
      [...held.map((c) => c.socket), other.socket].forEach((s) => s.destroy());
      await settle('nothing left counted', () => open.size === 0, 20000);
    } finally {
      server.close();
    }
  });

  it('counts nothing with a cap of 0', async () => {
    const server = http.createServer();
    expect(capConnectionsPerAddress(server, 0).size).to.equal(0);
    expect(server.listenerCount('connection')).to.equal(1);
  });
});
