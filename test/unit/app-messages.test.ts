import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { adoptApp, createAppServer } from '../../src/http/app-messages.js';
import { testEngines } from '../support/database.js';
import { startTestService } from '../support/service.js';

/** What a request to `server` saw: its prototypes as node made them, and the answer. */
async function once(
  server: ReturnType<typeof createAppServer>,
  seen: Array<{ request: object | null; response: object | null }>,
) {
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/x?y=1`, { method: 'POST', body: 'z' });
  return { status: res.status, text: await res.text(), seen: seen.at(-1)! };
}

describe('the HTTP server whose requests are born as the application makes them', () => {
  it('gives requests and responses plain prototypes until the app is adopted, then its own', async () => {
    const app = express();
    app.post('/x', (req, res) => {
      res
        .type('text/plain')
        .send(`${req.path} ${String(req.query.y)} ${req.get('host') ? 'h' : ''}`);
    });
    const seen: Array<{ request: object | null; response: object | null }> = [];
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ request: Object.getPrototypeOf(req), response: Object.getPrototypeOf(res) });
      if (started) app(req, res);
      else res.writeHead(503).end('starting');
    };
    let started = false;
    const server = createAppServer(listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const before = await once(server, seen);
      expect(before.status).to.equal(503);
      expect(before.seen.request).to.not.equal(app.request);
      expect(before.seen.response).to.not.equal(app.response);

      adoptApp(server, app);
      started = true;
      const after = await once(server, seen);
      expect(after.status).to.equal(200);
      expect(after.text).to.equal('/x 1 h');
      expect(after.seen.request).to.equal(app.request);
      expect(after.seen.response).to.equal(app.response);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("is the service's own server: its requests are born as Express requests", async () => {
    const service = await startTestService(testEngines()[0]!);
    try {
      let prototype: object | null = null;
      service.running.server.prependListener('request', (req: IncomingMessage) => {
        prototype = Object.getPrototypeOf(req) as object;
      });
      expect((await fetch(`${service.base}/healthz`)).status).to.equal(200);
      // Express's request methods, there before Express's dispatch has run.
      expect(prototype).to.have.property('get').that.is.a('function');
      expect(prototype).to.have.property('app').that.is.a('function');
    } finally {
      await service.stop();
    }
  });
});
