/**
 * What an unauthenticated request may cost is reading its head (HEAD_BYTES, 64 KiB): an
 * envelope whose AuthenticationHeader cannot be read there (a Header padded past it, a start
 * that is not well-formed, a prolog of blanks) is refused at that point, as one without a
 * header is. It was read whole (up to MAX_BODY_BYTES, inflated from a few bytes of gzip) and
 * scanned before anyone was authenticated, and a malformed one was not even counted as an
 * authentication failure.
 */
import zlib from 'node:zlib';
import { expect } from 'chai';
import { HEAD_BYTES } from '../../src/mktows/mktows.endpoint.js';
import { testEngines } from '../support/database.js';
import { postBody as post } from '../support/http-post.js';
import {
  authHeaderXml,
  envelope,
  faultCode,
  getLeadByEmailXml,
  startTestService,
  type TestService,
} from '../support/service.js';

const GET_LEAD = getLeadByEmailXml('a@example.com');
const LIMIT = 1024 * 1024;
const FAILURES = 4;

/** A signed envelope (a bad signature unless `good`) whose Header holds `padding` first. */
function padded(padding: string, good = false): string {
  const auth = authHeaderXml(good ? {} : { signature: '0'.repeat(40) });
  return envelope(GET_LEAD, { user: null }).replace(
    '<SOAP-ENV:Header>',
    `<SOAP-ENV:Header>${padding}${auth}`,
  );
}

/** Twice MAX_BODY_BYTES of what is not XML: read whole, the request is refused as too large. */
const junk = () => Buffer.from('<&>'.repeat((2 * LIMIT) / 3));

for (const engine of testEngines()) {
  describe(`a request whose header is not in its first 64 KiB (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    beforeEach(async () => {
      service = await startTestService(engine, {
        maxBodyBytes: LIMIT,
        authFailureLimit: FAILURES,
        authFailureWindowSeconds: 60,
      });
    });
    afterEach(() => service?.stop());

    it('is refused with 20014 at its head: the rest is neither kept nor parsed', async () => {
      const head = Buffer.from(padded(' '.repeat(HEAD_BYTES)).replace(/<SOAP-ENV:Body>.*$/, ''));
      const res = await post(service.url, [head, junk()]);
      expect(faultCode(res.body), res.body).to.equal(20014);
      expect(res.body).to.contain('within the first 64 KiB');
    });

    it('costs a few bytes of gzip no more than its head, and counts as a failure', async () => {
      // 1 MB of blanks and a start tag never closed, in about a kilobyte.
      const bomb = zlib.gzipSync(`<?xml version="1.0"?>${' '.repeat(LIMIT - 64)}<`);
      expect(bomb.length).to.be.below(2048);
      for (let i = 0; i < FAILURES; i++) {
        const res = await post(service.url, [bomb], { 'Content-Encoding': 'gzip' });
        expect(faultCode(res.body), res.body).to.equal(20014);
      }
      // Counted as authentication failures: the address is locked out now.
      const next = await post(service.url, [Buffer.from(envelope(GET_LEAD))]);
      expect(next.status, next.body).to.equal(429);
    });

    it("finds a UTF-16 envelope's header in its head", async () => {
      const text = padded('').replace(/<leadKey>.*$/, '');
      const head = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      const res = await post(service.url, [head, junk()], {
        'Content-Type': 'text/xml; charset=utf-16',
      });
      expect(faultCode(res.body), res.body).to.equal(20014);
      expect(res.body).to.contain('Authentication failed (20014)');
      // A signed one is served as before.
      const good = Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(padded('', true), 'utf16le'),
      ]);
      const ok = await post(service.url, [good], { 'Content-Type': 'text/xml; charset=utf-16' });
      expect(faultCode(ok.body), ok.body).to.equal(20103);
    });

    it('is served when anyone may call (ALLOW_ANONYMOUS): there is nothing to refuse', async () => {
      await service.stop();
      service = await startTestService(engine, { maxBodyBytes: LIMIT, allowAnonymous: true });
      const res = await post(service.url, [Buffer.from(padded(' '.repeat(HEAD_BYTES), true))]);
      expect(faultCode(res.body), res.body).to.equal(20103);
    });
  });
}
