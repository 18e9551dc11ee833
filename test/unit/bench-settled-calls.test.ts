import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { settledCalls } from '../../bench/lib/event-loop.js';

describe('bench: the busy stage waits for the calls a load left behind', () => {
  let server: http.Server;
  let answered: number;
  let url: string;

  beforeEach(async () => {
    answered = 0;
    // A /metrics whose answered-calls counter is split by label, as the service's is.
    server = http.createServer((_req, res) => {
      res.end(
        `# TYPE du_soap_calls_total counter\n` +
          `du_soap_calls_total{operation="syncLead",outcome="ok"} ${answered}\n` +
          `du_soap_calls_total{operation="getLead",outcome="ok"} 7\n`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });

  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('returns only once the counter stops moving', async () => {
    // Calls keep ending for a while after the load stopped.
    const ticking = setInterval(() => answered++, 20);
    setTimeout(() => clearInterval(ticking), 400);
    await settledCalls(url, 100);
    const whenReturned = answered;
    await new Promise((r) => setTimeout(r, 150));
    expect(answered).to.equal(whenReturned);
    expect(whenReturned).to.be.greaterThan(10);
  });

  it('gives up at its bound when the counter never settles', async () => {
    // A hang here would be mocha's timeout; returning while calls still end is the bound's work.
    const ticking = setInterval(() => answered++, 10);
    try {
      await settledCalls(url, 50, 300);
      const whenReturned = answered;
      await new Promise((r) => setTimeout(r, 100));
      expect(answered).to.be.greaterThan(whenReturned);
    } finally {
      clearInterval(ticking);
    }
  });
});
