import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { capConnectionsPerAddress } from '../../src/connections-per-address.js';
import { testEngines } from '../support/database.js';
import { connectFor } from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';

/** How long a connection the server keeps must stay open to count as kept. */
const KEPT_MS = 700;

/** A connection from `from`; `closed` resolves with whether the server closed it before `ms`. */
const connectFrom = (port: number, from: string, ms = KEPT_MS) => connectFor(port, ms, from);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    const held = Array.from({ length: CAP }, () => connectFrom(port, '127.0.0.1'));
    await Promise.all(held.map((c) => c.connected));
    // Before: one address could open as many as MAX_CONNECTIONS.
    const extra = connectFrom(port, '127.0.0.1');
    expect(await extra.closed, 'the connection beyond the cap is closed').to.equal(true);
    const other = connectFrom(port, '127.0.0.2');
    expect(await other.closed, 'another address is still served').to.equal(false);
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
    expect(answer, 'a request from the capped address is refused').to.equal(null);
    other.socket.destroy();

    held.slice(0, 2).forEach((c) => c.socket.destroy());
    await Promise.all(held.slice(0, 2).map((c) => c.closed));
    await pause(200);
    const again = [connectFrom(port, '127.0.0.1'), connectFrom(port, '127.0.0.1')];
    expect(await Promise.all(again.map((c) => c.closed)), 'freed slots').to.deep.equal([
      false,
      false,
    ]);
    const beyond = connectFrom(port, '127.0.0.1');
    expect(await beyond.closed, 'the cap holds again').to.equal(true);
    [...held, ...again].forEach((c) => c.socket.destroy());
    await pause(200);
    const served = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(served.status).to.equal(200);
    await served.text();
  });
});

describe('capConnectionsPerAddress', function () {
  this.timeout(10000);

  it('counts open connections by address, never below zero, refused ones not counted', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    const open = capConnectionsPerAddress(server, 2);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const held = [connectFrom(port, '127.0.0.1'), connectFrom(port, '127.0.0.1')];
      await Promise.all(held.map((c) => c.connected));
      const refused = [connectFrom(port, '127.0.0.1'), connectFrom(port, '127.0.0.1')];
      expect(await Promise.all(refused.map((c) => c.closed))).to.deep.equal([true, true]);
      const other = connectFrom(port, '127.0.0.3');
      await other.connected;
      await pause(100);
      expect([...open]).to.deep.equal([
        ['127.0.0.1', 2],
        ['127.0.0.3', 1],
      ]);
      [...held, other].forEach((c) => c.socket.destroy());
      await Promise.all([...held, other].map((c) => c.closed));
      await pause(100);
      expect(open.size, 'nothing left counted').to.equal(0);
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
