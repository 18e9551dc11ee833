import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { get, historyOf, oneClick, startLinkService, type LinkService } from './support.js';
import { sendEndlessBody } from '../support/endless-body.js';

/** Sends raw bytes, then waits for the answer's status line (or the connection's end). */
function raw(
  port: number,
  request: string,
  waitMs = 5000,
): Promise<{ head: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ head: data, closed });
    }, waitMs);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ head: data, closed });
      }
    });
    socket.on('end', () => (closed = true));
    socket.on('error', reject);
    socket.write(request);
  });
}

for (const engine of testEngines()) {
  describe(`one-click against hostile requests (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    let port: number;

    before(async () => {
      svc = await startLinkService(engine, { bodyTimeoutMs: 300 });
      port = svc.running.port;
    });
    after(async () => {
      await svc?.stop();
    });

    const pathOf = (url: string) => new URL(url).pathname;

    it('reads no more than a bound of a body sent with another method (PUT), then closes', async () => {
      // Refused 405: the body is discarded up to a bound (four times UNSUBSCRIBE_MAX_BODY_BYTES),
      // then the connection ends. Before, the 404 read all of it, however much was sent.
      const {
        writtenMiB: written,
        answer,
        reset,
      } = await sendEndlessBody(
        port,
        `PUT ${pathOf(svc.linkUrl('put@example.com'))} HTTP/1.1\r\nHost: x\r\n` +
          'Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      expect(written, 'MiB the client could send').to.be.below(40);
      // node closes the connection once its 405 is written, the client still sending: the
      // reset answering the bytes left unread can reach the client before it read the 405,
      // and its kernel then drops it (seen once in a loaded CI run). An answer that arrived
      // is the 405; none arrived only with that reset.
      if (answer !== '' || !reset) expect(answer).to.match(/^HTTP\/1\.1 405 .*connection: close/is);
      expect(await historyOf(svc.services, 'put@example.com')).to.have.length(0);
    });

    it('answers every other method and path under /u uncached and unindexed, changing nothing', async () => {
      // A token is a credential: no answer about it, even a refusal, may be kept by a cache
      // or indexed. Before, OPTIONS got Express's own 200 and PUT/DELETE/PATCH, /u/ and
      // /u/a/b the app's 404, none with Cache-Control: no-store or X-Robots-Tag.
      const url = svc.linkUrl('methods@example.com');
      const asked: Array<[string, string]> = [
        ['OPTIONS', url],
        ['PUT', url],
        ['DELETE', url],
        ['PATCH', url],
        ['GET', `${svc.base}/u/`],
        ['GET', `${svc.base}/u/a/b`],
        ['POST', `${svc.base}/u/a/b`],
      ];
      for (const [method, target] of asked) {
        const body =
          method === 'GET' || method === 'OPTIONS' ? undefined : 'List-Unsubscribe=One-Click';
        const r = await fetch(target, {
          method,
          body,
          headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
          redirect: 'manual',
        });
        const what = `${method} ${new URL(target).pathname.slice(0, 12)}`;
        expect(r.status, what).to.be.within(200, 499);
        expect(r.headers.get('cache-control'), what).to.equal('no-store');
        expect(r.headers.get('x-robots-tag'), what).to.equal('noindex, nofollow');
        expect(r.headers.get('referrer-policy'), what).to.equal('no-referrer');
        expect(await r.text(), what).not.to.match(/<html|Error|at \//);
      }
      expect(await historyOf(svc.services, 'methods@example.com')).to.have.length(0);
    });

    it('answers a forged token before reading a byte of its (huge) body', async () => {
      const forged = svc.linkUrl('x@example.com').replace(/.{6}$/, 'AAAAAA');
      const r = await raw(
        port,
        `POST ${pathOf(forged)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000000\r\n\r\nList-`,
      );
      expect(r.head).to.match(/^HTTP\/1\.1 403 /);
      expect(r.head.toLowerCase()).to.contain('connection: close');
    });

    it('refuses a declared body over the limit at once, and a slow body after BODY_TIMEOUT_MS', async () => {
      const url = svc.linkUrl('slow@example.com');
      const big = await raw(
        port,
        `POST ${pathOf(url)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000000\r\n\r\n`,
      );
      expect(big.head).to.match(/^HTTP\/1\.1 413 /);
      const slow = await raw(
        port,
        `POST ${pathOf(url)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 26\r\n\r\nList-Unsub`,
      );
      expect(slow.head).to.match(/^HTTP\/1\.1 408 /);
      expect(await historyOf(svc.services, 'slow@example.com')).to.have.length(0);
    });

    it('refuses compressed bodies and odd media types without decoding them', async () => {
      const url = svc.linkUrl('enc@example.com');
      const r = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-encoding': 'gzip',
        },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(r.status).to.equal(415);
      // (No Content-Type, or text/plain, is read as urlencoded: one-click-posts-http.test.ts.)
      for (const type of ['application/xml', 'multipart/mixed; boundary=x', 'application/json'])
        expect(
          (
            await fetch(url, {
              method: 'POST',
              headers: { 'content-type': type },
              body: 'List-Unsubscribe=One-Click',
            })
          ).status,
          type,
        ).to.equal(415);
      expect(await historyOf(svc.services, 'enc@example.com')).to.have.length(0);
    });

    it('reads a body whose Content-Encoding is empty as not encoded, as the SOAP listeners do', async () => {
      // An empty coding is no coding (the shared body reader's rule, and the console's). Before:
      // 415 and the one-click lost, while the same header on a SOAP call was served.
      for (const [value, email] of [
        ['', 'empty-coding@example.com'],
        ['  ', 'blank-coding@example.com'],
      ] as const) {
        const url = svc.linkUrl(email);
        const answer = await raw(
          port,
          `POST ${pathOf(url)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
            `Content-Encoding:${value}\r\nContent-Length: 26\r\n\r\nList-Unsubscribe=One-Click`,
        );
        expect(answer.head, `Content-Encoding:${value}`).to.match(/^HTTP\/1\.1 200 /);
        expect(await historyOf(svc.services, email), email).to.have.length(1);
      }
    });

    it('gives a plain 4xx for strange paths and tokens, never an error page or a crash', async () => {
      for (const bad of [
        '%F0%9F%92%A9',
        'A'.repeat(10000),
        '..%2f..%2fetc%2fpasswd',
        '1.k1.%00',
        '1.%E2%80%AE.AAAA',
        '%',
      ]) {
        const a = await get(`${svc.base}/u/${bad}`);
        expect(a.status, bad.slice(0, 20)).to.be.within(400, 404);
        expect(a.body).not.to.match(/Error|at \/|\.ts:/);
        const b = await oneClick(`${svc.base}/u/${bad}`);
        expect(b.status, bad.slice(0, 20)).to.be.within(400, 404);
      }
      // Elsewhere too: what Express cannot route gets a short answer in the path's dialect
      // (a SOAP fault under /soap/), never its stack-trace page.
      const elsewhere = await get(`${svc.base}/soap/mktows/%`);
      expect(elsewhere.status).to.equal(400);
      expect(elsewhere.body).to.contain(
        '<faultstring>20012 - Request Not Understood</faultstring>',
      );
      expect(elsewhere.body).not.to.match(/Error|at \/|\.ts:/);
      expect((await get(`${svc.base}/healthz`)).status).to.equal(200);
    });

    it('refuses a multipart body without its boundary, or of too many fields', async () => {
      const url = svc.linkUrl('mp@example.com');
      const parts = Array.from(
        { length: 40 },
        (_, i) => `--b\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`,
      ).join('');
      for (const [type, body] of [
        ['multipart/form-data', 'List-Unsubscribe=One-Click'],
        ['multipart/form-data; boundary=b', `${parts}--b--\r\n`],
        [
          'multipart/form-data; boundary=b',
          '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click',
        ],
      ] as const) {
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
        expect(r.status, body.slice(0, 30)).to.equal(400);
      }
      expect(await historyOf(svc.services, 'mp@example.com')).to.have.length(0);
    });
  });
}
