import type { Server } from 'node:http';
import type net from 'node:net';
import { expect } from 'chai';
import { serveMetrics } from '../../src/metrics.js';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * /healthz, /readyz and /metrics asked with another method than GET or HEAD: OPTIONS is told
 * what the path allows, any other method is refused 405 with the same Allow, as the console's
 * pages and the unsubscribe links answer. Before, each was a 404, as if the path were not there.
 */
async function expectMethodAnswers(url: string, what: string): Promise<void> {
  const options = await fetch(url, { method: 'OPTIONS' });
  expect(options.status, `OPTIONS ${what}`).to.equal(200);
  expect(options.headers.get('allow'), `OPTIONS ${what}`).to.equal('GET, HEAD, OPTIONS');
  expect(options.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
  expect(options.headers.get('cache-control')).to.equal('no-store');
  expect(await options.text()).to.equal('GET, HEAD, OPTIONS\n');
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const refused = await fetch(url, { method, body: method === 'DELETE' ? undefined : 'x' });
    expect(refused.status, `${method} ${what}`).to.equal(405);
    expect(refused.headers.get('allow'), `${method} ${what}`).to.equal('GET, HEAD, OPTIONS');
    expect(refused.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(await refused.text()).to.equal(
      `${method} is not served here: this path answers GET, HEAD, OPTIONS.\n`,
    );
  }
  const head = await fetch(url, { method: 'HEAD' });
  expect(head.status, `HEAD ${what}`).to.be.oneOf([200, 503]);
}

for (const engine of testEngines()) {
  describe(`other methods on /healthz and /readyz (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service.stop());

    for (const path of ['/healthz', '/readyz'])
      it(`${path}: OPTIONS 200 with Allow, another method 405 with the same Allow`, async () => {
        await expectMethodAnswers(`${service.base}${path}`, path);
        // GET is answered as before; an unknown path is still not found.
        expect((await fetch(`${service.base}${path}`)).status).to.equal(200);
        expect((await fetch(`${service.base}${path}x`, { method: 'OPTIONS' })).status).to.equal(
          404,
        );
      });
  });
}

describe('other methods on /metrics', function () {
  this.timeout(20000);
  let server: Server;
  before(async () => {
    const registry = { contentType: 'text/plain; version=0.0.4', metrics: async () => 'm 1\n' };
    server = await serveMetrics(() => ({ registry }), {
      port: 0,
      host: '127.0.0.1',
      headersTimeoutMs: 1000,
      maxConnections: 16,
    });
  });
  after(() => {
    server.close();
    server.closeAllConnections();
  });

  it('OPTIONS 200 with Allow, another method 405 with the same Allow; elsewhere still 404', async () => {
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    // A body is still refused first (400, nothing read): DELETE carries none.
    const options = await fetch(`${base}/metrics`, { method: 'OPTIONS' });
    expect(options.status).to.equal(200);
    expect(options.headers.get('allow')).to.equal('GET, HEAD, OPTIONS');
    const deleted = await fetch(`${base}/metrics`, { method: 'DELETE' });
    expect(deleted.status).to.equal(405);
    expect(deleted.headers.get('allow')).to.equal('GET, HEAD, OPTIONS');
    expect(deleted.headers.get('cache-control')).to.equal('no-store');
    expect(await deleted.text()).to.equal(
      'DELETE is not served here: this path answers GET, HEAD, OPTIONS.\n',
    );
    expect((await fetch(`${base}/other`, { method: 'OPTIONS' })).status).to.equal(404);
    expect(await (await fetch(`${base}/metrics`)).text()).to.equal('m 1\n');
  });
});
