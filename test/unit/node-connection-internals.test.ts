import http, { type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { expect } from 'chai';
import { answerHalfClosed } from '../../src/http/half-close.js';
import { refuseVersionlessRequests } from '../../src/http/versionless-requests.js';
import { answerStatuses, timedExchange } from '../support/raw-socket.js';

/**
 * What of node's HTTP server, undocumented, answerHalfClosed and refuseVersionlessRequests rely
 * on (lib/_http_server.js). Each check fails if a node release changes it: the service would
 * then lose answers to half-closed connections, or answer HTTP/0.9 at the header timeout again.
 */

/** A bare node server answering every request after a moment (as a call to the database does). */
async function slowServer(prepare: (server: Server) => void): Promise<[Server, number]> {
  const server = http.createServer({ connectionsCheckingInterval: 200 }, (_req, res) => {
    setTimeout(() => res.end('answered\n'), 50);
  });
  server.headersTimeout = 30000;
  server.requestTimeout = 30000;
  prepare(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return [server, (server.address() as AddressInfo).port];
}

const REQUEST = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

describe("node's HTTP server, where the service relies on what it does not document", function () {
  this.timeout(20000);
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) {
      server.close();
      server.closeAllConnections();
    }
  });
  const start = async (prepare: (server: Server) => void = () => undefined) => {
    const [server, port] = await slowServer(prepare);
    servers.push(server);
    return port;
  };

  it('has httpAllowHalfOpen, off by default, and then drops the answer to a half-closed request', async () => {
    const server = http.createServer();
    expect((server as Server & { httpAllowHalfOpen?: unknown }).httpAllowHalfOpen).to.equal(false);
    const port = await start();
    const { got } = await timedExchange(port, REQUEST);
    expect(got).to.equal('');
  });

  it('answers a half-closed request with httpAllowHalfOpen on, then closes', async () => {
    const port = await start(answerHalfClosed);
    const { got } = await timedExchange(port, REQUEST + REQUEST);
    expect(answerStatuses(got), got).to.deep.equal([200, 200]);
  });

  it("gives a server's connections a parser with a kOnExecute callback and getCurrentBuffer", async () => {
    let seen: { key: unknown; callback: unknown; copy: unknown } | null = null;
    const port = await start((server) =>
      server.on('connection', (socket: Socket) => {
        const parser = (socket as Socket & { parser?: Record<string | number, unknown> }).parser;
        const key = (parser?.constructor as { kOnExecute?: unknown } | undefined)?.kOnExecute;
        seen = {
          key,
          callback: typeof key === 'number' ? typeof parser![key] : undefined,
          copy: typeof parser?.getCurrentBuffer,
        };
      }),
    );
    await timedExchange(port, REQUEST);
    expect(seen!.key).to.be.a('number');
    expect(seen!.callback).to.equal('function');
    expect(seen!.copy).to.equal('function');
  });

  it('answers a request line without a version at once where it is watched, and not otherwise', async () => {
    const answer = Buffer.from(
      'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    );
    const watched = await start((server) => refuseVersionlessRequests(server, answer));
    const refused = await timedExchange(watched, 'GET /\r\n', false);
    expect(answerStatuses(refused.got)).to.deep.equal([400]);
    const plain = await start((server) => (server.headersTimeout = 1000));
    const waited = await timedExchange(plain, 'GET /\r\n', false);
    // node's own: held to the header timeout, then refused (or closed) with no 400.
    expect(answerStatuses(waited.got)).to.not.include(400);
  });
});
