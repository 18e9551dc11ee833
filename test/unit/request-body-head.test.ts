import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { AppError, ErrorCode } from '../../src/errors.js';
import { readBody } from '../../src/soap-transport/request-body.js';

function fakeRequest(): PassThrough & { headers: Record<string, string> } {
  return Object.assign(new PassThrough(), { headers: {} as Record<string, string> });
}

describe('readBody with a look at the head', () => {
  it('looks at a trickled start a logarithmic number of times, not once per byte', async () => {
    const req = fakeRequest();
    const seen: number[] = [];
    const reading = readBody(req as unknown as IncomingMessage, 1 << 20, 10000, {
      bytes: 64 * 1024,
      check: (start) => {
        seen.push(start.length);
        return null;
      },
    });
    const body = Buffer.alloc(100 * 1024, 0x61);
    for (let i = 0; i < body.length; i += 16) req.write(body.subarray(i, i + 16));
    req.end();
    expect((await reading).length).to.equal(body.length);
    expect(seen.length).to.be.below(20);
    expect(Math.max(...seen)).to.equal(64 * 1024);
  });

  it('ends the read when the look refuses: the rest is discarded, not kept', async () => {
    const req = fakeRequest();
    let calls = 0;
    const reading = readBody(req as unknown as IncomingMessage, 1 << 20, 10000, {
      bytes: 64 * 1024,
      check: () => {
        calls++;
        return Promise.reject(new AppError(ErrorCode.AUTHENTICATION_FAILED, 'no'));
      },
    });
    req.write(Buffer.alloc(1000, 0x61));
    // Far more than the size limit: read whole, it would be refused as too large.
    for (let i = 0; i < 40; i++) req.write(Buffer.alloc(64 * 1024, 0x62));
    req.end();
    let error: unknown;
    try {
      await reading;
    } catch (e) {
      error = e;
    }
    expect((error as AppError).code).to.equal(ErrorCode.AUTHENTICATION_FAILED);
    expect(calls).to.equal(1);
    // Everything was read off the stream (drained), for the client to get its answer.
    expect(req.readableEnded).to.equal(true);
  });

  it('answers with the body once the look accepts', async () => {
    const req = fakeRequest();
    const reading = readBody(req as unknown as IncomingMessage, 1 << 20, 10000, {
      bytes: 64 * 1024,
      check: () => Promise.resolve('ok'),
    });
    req.end(Buffer.from('<a/>'));
    expect((await reading).toString()).to.equal('<a/>');
  });

  it('says when the start offered is the whole body: its declared length, uncompressed', async () => {
    const looks: Array<[number, boolean]> = [];
    const check = (start: Buffer, _atLimit: boolean, whole: boolean) => {
      looks.push([start.length, whole]);
      return null;
    };
    const whole = fakeRequest();
    whole.headers['content-length'] = '4';
    const a = readBody(whole as unknown as IncomingMessage, 1 << 20, 10000, { bytes: 1024, check });
    whole.end(Buffer.from('<a/>'));
    await a;
    // Arriving in parts, or without a declared length: never whole.
    const parts = fakeRequest();
    parts.headers['content-length'] = '2000';
    const b = readBody(parts as unknown as IncomingMessage, 1 << 20, 10000, { bytes: 1024, check });
    parts.write(Buffer.alloc(600, 0x61));
    parts.end(Buffer.alloc(1400, 0x61));
    await b;
    const undeclared = fakeRequest();
    const c = readBody(undeclared as unknown as IncomingMessage, 1 << 20, 10000, {
      bytes: 1024,
      check,
    });
    undeclared.end(Buffer.from('<a/>'));
    await c;
    expect(looks).to.deep.equal([
      [4, true],
      [600, false],
      [1024, false],
      [4, false],
    ]);
  });
});
