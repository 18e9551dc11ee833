import { expect } from 'chai';
import sinon from 'sinon';
import type { UserService } from '../../src/domain/user.service.js';
import { ErrorCode } from '../../src/errors.js';
import { FULL_ACCESS } from '../../src/domain/permissions.js';
import {
  AuthenticationRefused,
  Authenticator,
  REMEMBERED_HEADERS,
  requestSignature,
} from '../../src/mktows/auth.js';
import type { Permissions } from '../../src/domain/permissions.js';

const NOW = Date.parse('2026-11-30T10:00:00Z');
const TS = '2026-11-30T10:00:00+00:00';
const KEY = 'A1B2C3D4E5F60718293A4B5C6D7E8F9001122334455667788';

function setup() {
  const credentialsOf = sinon.spy(async (userId: string) =>
    userId === 'known' ? { encryptionKey: KEY, permissions: FULL_ACCESS } : null,
  );
  const sign = sinon.spy(requestSignature);
  const auth = new Authenticator({ credentialsOf } as unknown as UserService, {
    windowSeconds: 900,
    allowAnonymous: false,
    now: () => NOW,
    sign,
  });
  return { auth, sign, credentialsOf };
}

async function refusal(p: Promise<unknown>): Promise<AuthenticationRefused> {
  try {
    await p;
  } catch (error) {
    if (error instanceof AuthenticationRefused) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('Authenticator', () => {
  it('takes the same steps for an unknown user id as for a known one: lookup, HMAC, comparison', async () => {
    const { auth, sign, credentialsOf } = setup();
    const known = await refusal(
      auth.authenticate({
        mktowsUserId: 'known',
        requestSignature: 'f'.repeat(40),
        requestTimestamp: TS,
      }),
    );
    expect(known.reason).to.equal('bad signature');
    expect(sign.callCount).to.equal(1);
    expect(credentialsOf.callCount).to.equal(1);

    const unknown = await refusal(
      auth.authenticate({
        mktowsUserId: 'ghost',
        requestSignature: 'f'.repeat(40),
        requestTimestamp: TS,
      }),
    );
    expect(unknown.reason).to.equal('unknown user');
    expect(sign.callCount, 'an HMAC for the unknown id too').to.equal(2);
    expect(credentialsOf.callCount).to.equal(2);
    // With a key of a real key's length, over the same message.
    const [key, timestamp, userId] = sign.secondCall.args;
    expect(key).to.have.length(48);
    expect([timestamp, userId]).to.deep.equal([TS, 'ghost']);
    // And both answer the caller alike.
    expect(unknown.code).to.equal(known.code);
    expect(unknown.message).to.equal(known.message);
  });

  it('names the reason of a refusal: header, signature, timestamp, window', async () => {
    const { auth } = setup();
    const sig = (ts: string) => requestSignature(KEY, ts, 'known');
    expect((await refusal(auth.authenticate(null))).reason).to.equal('no header');
    expect((await refusal(auth.authenticate({ mktowsUserId: 'known' }))).reason).to.equal(
      'incomplete header',
    );
    const bad = await refusal(
      auth.authenticate({
        mktowsUserId: 'known',
        requestSignature: sig('x'),
        requestTimestamp: 'x',
      }),
    );
    expect(bad.reason).to.equal('bad timestamp');
    const old = '2026-11-30T09:00:00+00:00';
    const late = await refusal(
      auth.authenticate({
        mktowsUserId: 'known',
        requestSignature: sig(old),
        requestTimestamp: old,
      }),
    );
    expect([late.reason, late.code]).to.deep.equal([
      'timestamp out of window',
      ErrorCode.REQUEST_EXPIRED,
    ]);
    const ok = await auth.authenticate({
      mktowsUserId: 'known',
      requestSignature: sig(TS).toUpperCase(),
      requestTimestamp: TS,
    });
    expect(ok).to.deep.equal({ userId: 'known', permissions: FULL_ACCESS });
  });

  it("reads the timestamps the vendor's client libraries write, and holds each to the window", async () => {
    const { auth } = setup();
    const signed = (ts: string) =>
      auth.authenticate({
        mktowsUserId: 'known',
        requestSignature: requestSignature(KEY, ts, 'known'),
        requestTimestamp: ts,
      });
    // NOW is 2026-11-30T10:00:00Z; each of these names an instant within a minute of it.
    for (const ts of [
      '2026-11-30 19:00:30 +0900', // Ruby's Time#to_s (embulk-input-marketo)
      '2026-11-30 03:00:30 -0700',
      '2026-11-30 10:00:30 UTC', // Ruby's Time#utc.to_s
      '2026-11-30T10:00:30.123456', // Python's isoformat() without an offset: UTC
      '2026-11-30T10:00:30.123456789012Z', // Haskell's %Q
      '2026-11-30T02:00:30-0800', // SimpleDateFormat's Z
    ])
      expect(await signed(ts), ts).to.deep.equal({ userId: 'known', permissions: FULL_ACCESS });
    for (const ts of ['2026-11-30 18:30:00 +0900', '2026-11-30T10:30:00'])
      expect((await refusal(signed(ts))).reason, ts).to.equal('timestamp out of window');
    for (const ts of ['2026-11-30', '2026-02-30 10:00:00 +0000', 'Mon Nov 30 10:00:00 2026'])
      expect((await refusal(signed(ts))).reason, ts).to.equal('bad timestamp');
  });
});

describe('Authenticator: a header accepted before', () => {
  // A user whose key, permissions and existence the test changes between calls.
  function changing() {
    const state: { key: string | null; permissions: Permissions; now: number } = {
      key: KEY,
      permissions: FULL_ACCESS,
      now: NOW,
    };
    const credentialsOf = sinon.spy(async (userId: string) =>
      userId === 'known' && state.key !== null
        ? { encryptionKey: state.key, permissions: state.permissions }
        : null,
    );
    const sign = sinon.spy(requestSignature);
    const auth = new Authenticator({ credentialsOf } as unknown as UserService, {
      windowSeconds: 900,
      allowAnonymous: false,
      now: () => state.now,
      sign,
    });
    const header = (ts = TS, userId = 'known') => ({
      mktowsUserId: userId,
      requestSignature: requestSignature(KEY, ts, userId),
      requestTimestamp: ts,
    });
    return { auth, sign, credentialsOf, state, header };
  }

  it('is not signed again, but the user is still looked up on every call', async () => {
    const { auth, sign, credentialsOf, header } = changing();
    for (let i = 0; i < 3; i++)
      expect(await auth.authenticate(header())).to.deep.equal({
        userId: 'known',
        permissions: FULL_ACCESS,
      });
    expect(sign.callCount).to.equal(1);
    expect(credentialsOf.callCount).to.equal(3);
    // Another header text (another timestamp) is signed afresh.
    await auth.authenticate(header('2026-11-30T10:00:01+00:00'));
    expect(sign.callCount).to.equal(2);
  });

  it('is refused once its timestamp has left the window, as a fresh check refuses it', async () => {
    const { auth, state, header } = changing();
    await auth.authenticate(header());
    state.now = NOW + 901 * 1000;
    const late = await refusal(auth.authenticate(header()));
    expect([late.reason, late.code]).to.deep.equal([
      'timestamp out of window',
      ErrorCode.REQUEST_EXPIRED,
    ]);
    // Back within the window (a clock stepped back), it is accepted again.
    state.now = NOW;
    expect((await auth.authenticate(header())).userId).to.equal('known');
  });

  it('is refused once the key it was signed with is rotated or revoked, or the user removed', async () => {
    const { auth, state, header } = changing();
    await auth.authenticate(header());
    state.key = 'B'.repeat(48); // rotated: the old signature no longer matches
    const rotated = await refusal(auth.authenticate(header()));
    expect([rotated.reason, rotated.code]).to.deep.equal([
      'bad signature',
      ErrorCode.AUTHENTICATION_FAILED,
    ]);
    state.key = KEY;
    await auth.authenticate(header());
    state.key = null; // revoked (an untrusted stored key) or the user removed
    expect((await refusal(auth.authenticate(header()))).reason).to.equal('unknown user');
  });

  it('gets the permissions the user has now', async () => {
    const { auth, state, header } = changing();
    await auth.authenticate(header());
    const readOnly: Permissions = { ...FULL_ACCESS, readOnly: true };
    state.permissions = readOnly;
    expect((await auth.authenticate(header())).permissions).to.equal(readOnly);
  });

  it(`is remembered among at most ${REMEMBERED_HEADERS}, the oldest forgotten first`, async () => {
    const { auth, sign, header } = changing();
    const at = (i: number) => new Date(NOW - i * 100).toISOString();
    for (let i = 0; i <= REMEMBERED_HEADERS; i++) await auth.authenticate(header(at(i)));
    expect(sign.callCount).to.equal(REMEMBERED_HEADERS + 1);
    await auth.authenticate(header(at(REMEMBERED_HEADERS))); // the newest: remembered
    expect(sign.callCount).to.equal(REMEMBERED_HEADERS + 1);
    await auth.authenticate(header(at(0))); // the first: forgotten, signed again
    expect(sign.callCount).to.equal(REMEMBERED_HEADERS + 2);
  });

  it('is never a refused one: a bad signature is checked afresh each time', async () => {
    const { auth, sign } = changing();
    const bad = { mktowsUserId: 'known', requestSignature: 'f'.repeat(40), requestTimestamp: TS };
    for (let i = 0; i < 2; i++)
      expect((await refusal(auth.authenticate(bad))).reason).to.equal('bad signature');
    expect(sign.callCount).to.equal(2);
  });
});
