import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { exchangeUntilClosed, headersOf } from '../support/raw-socket.js';
import { historyOf, linkServicePerSuite, startLinkService, type LinkService } from './support.js';

interface RawAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** One request as written; its answer, read until the connection closes. */
async function exchange(port: number, request: string): Promise<RawAnswer> {
  const answer = await exchangeUntilClosed(port, request);
  const body = Buffer.from(answer.slice(answer.indexOf('\r\n\r\n') + 4), 'latin1');
  return { status: Number(answer.slice(9, 12)), headers: headersOf(answer), body: `${body}` };
}

const ask = (port: number, method: string, path: string, body = '') =>
  exchange(
    port,
    `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
      (body ? `Content-Type: application/x-www-form-urlencoded\r\n` : '') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );

/** What a link's URL serves, as its OPTIONS and its refusals of other methods say. */
const ALLOWED = 'GET, HEAD, POST, OPTIONS';

for (const engine of testEngines()) {
  describe(`the methods a link's URL answers (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (opened) => (svc = opened));

    it('tells OPTIONS what a link allows, in plain UTF-8 text, with the headers of every /u answer', async () => {
      // Before: Express's own answer, `Allow: GET, HEAD, POST` (no OPTIONS, though it was
      // answered) and a Content-Type of text/plain without its charset.
      const path = new URL(svc.linkUrl('options@example.com')).pathname;
      for (const target of [path, path.replace('/u/', '/U/'), `${path}?lang=fr`]) {
        const a = await ask(svc.running.port, 'OPTIONS', target);
        expect(a.status, target).to.equal(200);
        expect(a.headers.get('allow'), target).to.equal(ALLOWED);
        expect(a.headers.get('content-type'), target).to.equal('text/plain; charset=utf-8');
        expect(a.body, target).to.equal(`${ALLOWED}\n`);
        expect(a.headers.get('cache-control'), target).to.equal('no-store');
        expect(a.headers.get('referrer-policy'), target).to.equal('no-referrer');
        expect(a.headers.get('x-robots-tag'), target).to.equal('noindex, nofollow');
      }
      expect(await historyOf(svc.services, 'options@example.com')).to.have.length(0);
    });

    it('refuses any other method on a link 405 with the methods it allows, changing nothing', async () => {
      // Before: the app's 404 "Not found", as if the link did not exist, and no Allow.
      const path = new URL(svc.linkUrl('put@example.com')).pathname;
      for (const method of ['PUT', 'DELETE', 'PATCH', 'TRACE', 'PROPFIND']) {
        const body = method === 'TRACE' ? '' : 'List-Unsubscribe=One-Click';
        const a = await ask(svc.running.port, method, path, body);
        expect(a.status, method).to.equal(405);
        expect(a.headers.get('allow'), method).to.equal(ALLOWED);
        expect(a.headers.get('content-type'), method).to.equal('text/plain; charset=utf-8');
        expect(a.headers.get('cache-control'), method).to.equal('no-store');
        expect(a.headers.get('x-frame-options'), method).to.equal('DENY');
        expect(a.body, method).to.equal(
          `${method} is not served here: a link answers ${ALLOWED}.\n`,
        );
      }
      expect(await historyOf(svc.services, 'put@example.com')).to.have.length(0);
      // What is no link's URL stays unknown, whatever the method.
      for (const target of ['/u/', '/u/a/b'])
        expect((await ask(svc.running.port, 'OPTIONS', target)).status, target).to.equal(404);
    });

    if (engine.name === 'postgres') {
      it('answers every method 404 when links are off, OPTIONS included', async () => {
        const off = await startLinkService(engine, { unsubscribeLinkSecret: '' });
        try {
          const path = new URL(off.linkUrl('off@example.com')).pathname;
          for (const method of ['OPTIONS', 'PUT', 'GET']) {
            const a = await ask(off.running.port, method, path);
            expect(a.status, method).to.equal(404);
            expect(a.headers.get('allow'), method).to.equal(null);
          }
        } finally {
          await off.stop();
        }
      });
    }
  });
}
