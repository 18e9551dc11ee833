/**
 * The plain-text answers of POST /u/<token>, read as raw bytes: the exact header lines, in
 * order, and the body. The router writes them through node directly (not Express's res.send),
 * so these pin down that nothing a client or a proxy sees changed with it.
 */
import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startLinkService, type LinkService } from './support.js';

interface RawAnswer {
  statusLine: string;
  /** Header lines as sent, Date's value blanked. */
  headers: string[];
  body: string;
}

/** One request on a fresh keep-alive connection; the answer as the bytes on the wire. */
function rawPost(
  base: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let data = Buffer.alloc(0);
    const done = () => {
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
      const length = Number(/^content-length: (\d+)$/im.exec(text.slice(0, end))?.[1] ?? -1);
      if (length < 0 || data.length < end + 4 + length) return false;
      socket.destroy();
      resolve({
        statusLine,
        headers: lines.map((l) => (/^date: /i.test(l) ? 'Date: *' : l)),
        body: text.slice(end + 4, end + 4 + length),
      });
      return true;
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      done();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      if (!done()) reject(new Error(`connection closed: ${data.toString('latin1')}`));
    });
    const head = Object.entries({
      Host: `${hostname}:${port}`,
      'Content-Length': String(Buffer.byteLength(body)),
      ...headers,
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n${body}`);
  });
}

const PLAIN = [
  'Cache-Control: no-store',
  'Referrer-Policy: no-referrer',
  'X-Content-Type-Options: nosniff',
  'X-Frame-Options: DENY',
  'X-Robots-Tag: noindex, nofollow',
  'Content-Type: text/plain; charset=utf-8',
];
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

for (const engine of testEngines()) {
  describe(`one-click plain answers, raw bytes (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    before(async () => {
      svc = await startLinkService(engine, { unsubscribeRateLimit: 0 });
    });
    after(async () => {
      await svc?.stop();
    });

    const pathOf = (email: string) => new URL(svc.linkUrl(email)).pathname;

    it('200 Unsubscribed.: exactly the plain headers, then node’s Date and keep-alive, on a change and on a replay', async () => {
      const path = pathOf('raw-answer@example.com');
      for (let i = 0; i < 2; i++) {
        const a = await rawPost(svc.base, path, FORM, 'List-Unsubscribe=One-Click');
        expect(a.statusLine).to.equal('HTTP/1.1 200 OK');
        expect(a.headers).to.deep.equal([
          ...PLAIN,
          'Content-Length: 14',
          'Date: *',
          'Connection: keep-alive',
          'Keep-Alive: timeout=120',
        ]);
        expect(a.body).to.equal('Unsubscribed.\n');
      }
    });

    it('the same bytes through Express’s dispatch (a trailing slash) as past it (direct-post.ts)', async () => {
      const cases: Array<[string, Record<string, string>, string]> = [
        ['raw-direct', FORM, 'List-Unsubscribe=One-Click'],
        ['raw-direct-bad', FORM, 'List-Unsubscribe=No'],
        ['raw-direct-json', { 'Content-Type': 'application/json' }, 'List-Unsubscribe=One-Click'],
      ];
      for (const [name, headers, body] of cases) {
        const direct = await rawPost(svc.base, pathOf(`${name}@example.com`), headers, body);
        const routed = await rawPost(
          svc.base,
          `${pathOf(`${name}-r@example.com`)}/`,
          headers,
          body,
        );
        expect(routed, name).to.deep.equal(direct);
      }
      const forged = await rawPost(svc.base, '/u/1.zz.AAAA', FORM, 'List-Unsubscribe=One-Click');
      expect(
        await rawPost(svc.base, '/u/1.zz.AAAA/', FORM, 'List-Unsubscribe=One-Click'),
      ).to.deep.equal(forged);
    });

    it('a body that is not one-click: 400, the connection kept', async () => {
      const a = await rawPost(svc.base, pathOf('raw-bad@example.com'), FORM, 'List-Unsubscribe=No');
      expect(a.statusLine).to.equal('HTTP/1.1 400 Bad Request');
      expect(a.headers).to.deep.equal([
        ...PLAIN,
        'Content-Length: 45',
        'Date: *',
        'Connection: keep-alive',
        'Keep-Alive: timeout=120',
      ]);
      expect(a.body).to.equal('The body must be List-Unsubscribe=One-Click.\n');
    });

    it('refused before the body: Connection: close first, as before', async () => {
      const cases: Array<[string, Record<string, string>, string, string]> = [
        [
          '/u/not-a-token',
          FORM,
          'HTTP/1.1 400 Bad Request',
          'This unsubscribe link is not valid.\n',
        ],
        ['/u/1.zz.AAAA', FORM, 'HTTP/1.1 403 Forbidden', 'This unsubscribe link is not valid.\n'],
        [
          pathOf('raw-json@example.com'),
          { 'Content-Type': 'application/json' },
          'HTTP/1.1 415 Unsupported Media Type',
          'Send application/x-www-form-urlencoded or multipart/form-data.\n',
        ],
      ];
      for (const [path, headers, statusLine, body] of cases) {
        const a = await rawPost(svc.base, path, headers, 'List-Unsubscribe=One-Click');
        expect(a.statusLine, path).to.equal(statusLine);
        expect(a.headers, path).to.deep.equal([
          'Connection: close',
          ...PLAIN,
          `Content-Length: ${Buffer.byteLength(body)}`,
          'Date: *',
        ]);
        expect(a.body, path).to.equal(body);
      }
    });

    it('a token Express cannot decode: 400 from the router’s error handler, the connection kept', async () => {
      const a = await rawPost(svc.base, '/u/%E0%A4%A', FORM, 'List-Unsubscribe=One-Click');
      expect(a.statusLine).to.equal('HTTP/1.1 400 Bad Request');
      expect(a.headers).to.deep.equal([
        ...PLAIN,
        'Content-Length: 36',
        'Date: *',
        'Connection: keep-alive',
        'Keep-Alive: timeout=120',
      ]);
      expect(a.body).to.equal('This unsubscribe link is not valid.\n');
    });
  });
}

describe('one-click plain answers, raw bytes: the rate limit', function () {
  this.timeout(60000);
  let svc: LinkService;

  before(async () => {
    svc = await startLinkService(testEngines()[0]!, { unsubscribeRateLimit: 1 });
  });
  after(async () => {
    await svc?.stop();
  });

  it('429: Connection: close and Retry-After before the plain headers', async () => {
    const path = new URL(svc.linkUrl('raw-rate@example.com')).pathname;
    await rawPost(svc.base, path, FORM, 'List-Unsubscribe=One-Click');
    // A forged link past the budget (an authentic one's unsubscribe is still carried out).
    const forged = path.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const a = await rawPost(svc.base, forged, FORM, 'List-Unsubscribe=One-Click');
    expect(a.statusLine).to.equal('HTTP/1.1 429 Too Many Requests');
    expect(a.headers).to.deep.equal([
      'Connection: close',
      'Retry-After: 60',
      ...PLAIN,
      'Content-Length: 36',
      'Date: *',
    ]);
    expect(a.body).to.equal('Too many requests; try again later.\n');
  });
});
