import net from 'node:net';
import { expect } from 'chai';
import sinon from 'sinon';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Transactions } from '../../src/domain/ports.js';
import { testEngines } from '../support/database.js';
import { get, historyOf, postForm, startLinkService, type LinkService } from './support.js';
import { flagsOf } from '../support/people.js';

/** What every answer under /u carries, whatever its status, the way the console's do. */
const LINK_SECURITY_HEADERS = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
};

/** One request as written, and the head of its answer (lower-cased header names). */
function rawHead(port: number, request: string): Promise<{ status: number; headers: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.destroy();
      resolve({ status: Number(data.slice(9, 12)), headers: data.slice(0, end).toLowerCase() });
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

for (const engine of testEngines()) {
  describe(`the /u answers' headers and the cost of a resubscribe (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    before(async () => {
      svc = await startLinkService(engine, { bodyTimeoutMs: 300, unsubscribeRateLimit: 0 });
    });
    after(async () => {
      await svc?.stop();
    });
    afterEach(() => sinon.restore());

    it('sends X-Frame-Options: DENY, nosniff, no-referrer and no-store with every answer under /u', async () => {
      // Before: the page's CSP said frame-ancestors 'none', which older browsers ignore, and no
      // answer said X-Frame-Options.
      const url = svc.linkUrl('frames@example.com');
      const token = new URL(url).pathname.slice(3);
      const forged = token.replace(/.{6}$/, 'AAAAAA');
      const form = 'application/x-www-form-urlencoded';
      const asked: Array<[string, string, Record<string, string>, string | undefined]> = [
        ['GET', `/u/${token}`, { accept: 'text/html' }, undefined],
        ['GET', `/u/${token}?lang=de`, {}, undefined],
        ['HEAD', `/u/${token}`, {}, undefined],
        ['GET', `/u/${forged}`, { accept: 'text/html' }, undefined],
        ['GET', `/u/${forged}`, {}, undefined],
        ['GET', `/U/${token}`, {}, undefined],
        ['GET', '/u/%', {}, undefined],
        ['GET', '/u/', {}, undefined],
        ['GET', '/u', {}, undefined],
        ['GET', '/u/a/b', {}, undefined],
        ['POST', `/u/${forged}`, { 'content-type': form }, 'List-Unsubscribe=One-Click'],
        ['POST', `/u/${forged}`, { 'content-type': form, accept: 'text/html' }, 'x=1'],
        ['POST', `/u/${token}`, { 'content-type': 'application/json' }, '{}'],
        ['POST', `/u/${token}`, { 'content-type': form }, 'nothing=here'],
        ['POST', `/u/${token}`, { 'content-type': form }, 'resubscribe=forged'],
        ['POST', `/u/${token}?x=1`, { 'content-type': form }, 'List-Unsubscribe=Two-Clicks'],
        ['POST', '/u/a/b', { 'content-type': form }, 'List-Unsubscribe=One-Click'],
        ['OPTIONS', `/u/${token}`, {}, undefined],
        ['PUT', `/u/${token}`, { 'content-type': form }, 'List-Unsubscribe=One-Click'],
        ['DELETE', `/u/${token}`, {}, undefined],
        ['PATCH', `/u/${token}`, {}, undefined],
        ['PROPFIND', `/u/${token}`, {}, undefined],
      ];
      for (const [method, path, headers, body] of asked) {
        const lines = Object.entries({ ...headers, 'content-length': String(body?.length ?? 0) })
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('');
        const answer = await rawHead(
          svc.running.port,
          `${method} ${path} HTTP/1.1\r\nHost: x\r\n${lines}\r\n${body ?? ''}`,
        );
        const what = `${method} ${path.slice(0, 14)} (${answer.status})`;
        expect(answer.status, what).to.be.within(200, 499);
        for (const [name, value] of Object.entries(LINK_SECURITY_HEADERS))
          expect(answer.headers, `${what}: ${name}`).to.contain(
            `\r\n${name}: ${value.toLowerCase()}`,
          );
      }
      expect(await historyOf(svc.services, 'frames@example.com')).to.have.length(0);
    });

    it('refuses a forged resubscribe without a write transaction, a misshapen one without a read', async () => {
      // Before: each one opened a write transaction and locked the address first.
      const email = 'undo-cost@example.com';
      await svc.services.leads.sync({ email }, { path: ChangePaths.webService() });
      const url = svc.linkUrl(email);
      const done = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
      const code = /name="resubscribe" value="([^"]+)"/.exec(done.body)![1]!;
      const transactions = (svc.services.links as unknown as { transactions: Transactions })
        .transactions;
      const read = sinon.spy(transactions, 'read');
      const write = sinon.spy(transactions, 'write');
      const writeStep = sinon.spy(transactions, 'writeStep');
      const flipped = code.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
      expect((await postForm(url, { resubscribe: flipped })).status).to.equal(403);
      expect(read.callCount, 'plain reads for a forged code').to.equal(1);
      for (const misshapen of ['', 'x', `${code}x`, code.replace(/^./, '!'), 'é'.repeat(32)])
        expect((await postForm(url, { resubscribe: misshapen })).status, misshapen).to.equal(403);
      expect(read.callCount, 'plain reads for misshapen codes').to.equal(1);
      expect(write.callCount + writeStep.callCount, 'write units').to.equal(0);
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
      // The page's own code still undoes it.
      expect((await postForm(url, { resubscribe: code })).status).to.equal(200);
      expect(write.callCount).to.equal(1);
      expect(await flagsOf(svc.services, email)).to.deep.equal([false]);
      expect((await get(url)).status).to.equal(200);
    });
  });
}
