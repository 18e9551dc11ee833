import zlib from 'node:zlib';
import { expect } from 'chai';
import { SESSION_COOKIE } from '../../src/admin/router.js';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { ALICE, AdminClient, csrfOf } from './support.js';

const CODINGS: Array<[string, (bytes: Buffer) => Buffer]> = [
  ['gzip', (bytes) => zlib.gzipSync(bytes)],
  ['deflate', (bytes) => zlib.deflateSync(bytes)],
  ['br', (bytes) => zlib.brotliCompressSync(bytes)],
];

for (const engine of testEngines()) {
  describe(`console forms sent with a Content-Encoding (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;
    before(async () => {
      svc = await startTestService(engine, { adminUsers: [ALICE] });
    });
    after(() => svc?.stop());

    for (const [coding, encode] of CODINGS) {
      it(`refuses a ${coding} login form 415 without decoding it or opening a session`, async () => {
        const client = new AdminClient(svc.base);
        const token = csrfOf((await client.get('/admin/login')).body);
        const form = new URLSearchParams({
          _csrf: token,
          name: ALICE.name,
          password: ALICE.password,
          next: '/admin/',
        }).toString();
        const res = await fetch(`${svc.base}/admin/login`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Encoding': coding,
            Cookie: client.cookieHeader,
          },
          body: encode(Buffer.from(form)),
          redirect: 'manual',
        });
        const page = await res.text();
        // Before: decompressed for anyone (gzip, deflate, brotli), and the login went through.
        expect(res.status, page).to.equal(415);
        expect(res.headers.get('content-security-policy')).to.match(/default-src 'none'/);
        expect(page).to.not.match(/ at |Error:/);
        expect(res.headers.getSetCookie().join('\n')).to.not.include(`${SESSION_COOKIE}=`);
        // The same form, sent plainly, logs in.
        expect((await client.logIn()).status).to.equal(303);
      });
    }
  });
}
