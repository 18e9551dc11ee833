import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import { perUserConcurrency } from '../../src/limits/call-limits.js';

const fails = (env: NodeJS.ProcessEnv, message: RegExp) =>
  expect(() => loadConfig(env)).to.throw(ConfigError, message);

describe('settings of the SOAP request path', () => {
  it('has safe defaults: rate limit on, concurrency at the pool size, failure throttle, caps', () => {
    const c = loadConfig({});
    expect(c).to.include({
      rateLimitCalls: 20000,
      rateLimitWindowSeconds: 20,
      concurrencyLimit: null, // meaning DB_POOL_MAX
      authFailureLimit: 20,
      authFailureWindowSeconds: 60,
      maxAttributesPerElement: 100,
      getLeadMaxResults: 100,
      pageMaxBytes: 8388608,
      activityScanLimit: 20000,
      publicUrl: '',
      signatureWindowSeconds: 900,
    });
    expect(loadConfig({ CONCURRENCY_LIMIT: '4' }).concurrencyLimit).to.equal(4);
    expect(loadConfig({ CONCURRENCY_LIMIT: '0' }).concurrencyLimit).to.equal(0);
    // The limit applied: the pool size unless set.
    expect(perUserConcurrency(c)).to.equal(10);
    expect(perUserConcurrency(loadConfig({ DB_POOL_MAX: '4' }))).to.equal(4);
    expect(perUserConcurrency(loadConfig({ DB_POOL_MAX: '4', CONCURRENCY_LIMIT: '2' }))).to.equal(
      2,
    );
  });

  it('takes a signature window down to 60 s, not below', () => {
    expect(loadConfig({ SIGNATURE_WINDOW_SECONDS: '60' }).signatureWindowSeconds).to.equal(60);
    fails({ SIGNATURE_WINDOW_SECONDS: '59' }, /SIGNATURE_WINDOW_SECONDS must be between 60/);
    fails({ SIGNATURE_WINDOW_SECONDS: '86401' }, /SIGNATURE_WINDOW_SECONDS/);
  });

  it('takes PUBLIC_URL verbatim (trailing slash aside), refusing what is not an http(s) base', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://soap.example.com/' }).publicUrl).to.equal(
      'https://soap.example.com',
    );
    expect(loadConfig({ PUBLIC_URL: 'http://10.0.0.5:8080/mkto' }).publicUrl).to.equal(
      'http://10.0.0.5:8080/mkto',
    );
    fails({ PUBLIC_URL: 'soap.example.com' }, /PUBLIC_URL/);
    fails({ PUBLIC_URL: 'ftp://soap.example.com' }, /PUBLIC_URL/);
    fails({ PUBLIC_URL: 'https://soap.example.com/?a=1' }, /PUBLIC_URL/);
    fails({ PUBLIC_URL: 'https://soap.example.com/"><x' }, /PUBLIC_URL/);
  });

  it('refuses in UNSUBSCRIBE_BASE_URL what PUBLIC_URL refuses: the links are built on it', () => {
    expect(
      loadConfig({ UNSUBSCRIBE_BASE_URL: ' https://u.example.com/mail// ' }).unsubscribeBaseUrl,
    ).to.equal('https://u.example.com/mail');
    for (const bad of [
      'u.example.com',
      'ftp://u.example.com',
      'https://u.example.com/?list=1',
      'https://u.example.com/#top',
      // A link ends a List-Unsubscribe header's <…> at the first ">", and a page's href at a quote.
      'https://u.example.com/a>b',
      'https://u.example.com/"onmouseover',
      "https://u.example.com/it's",
      'https://u.example.com/a b',
    ])
      fails(
        { UNSUBSCRIBE_BASE_URL: bad },
        /^UNSUBSCRIBE_BASE_URL must be an (absolute )?http\(s\) URL/,
      );
  });

  it('reads permissions after a MKTOWS_USERS key, and keys holding ; as before', () => {
    const { mktowsUsers } = loadConfig({
      MKTOWS_USERS:
        'plain:K1, reader:K2;read-only, feed:K3;no-delete;partitions=Europe+North America, odd:K;4',
    });
    expect(mktowsUsers).to.deep.equal([
      { userId: 'plain', encryptionKey: 'K1' },
      {
        userId: 'reader',
        encryptionKey: 'K2',
        permissions: { readOnly: true, mayDelete: false, partitions: null },
      },
      {
        userId: 'feed',
        encryptionKey: 'K3',
        permissions: { readOnly: false, mayDelete: false, partitions: ['Europe', 'North America'] },
      },
      { userId: 'odd', encryptionKey: 'K;4' },
    ]);
    fails({ MKTOWS_USERS: 'feed:K3;partitions=' }, /MKTOWS_USERS: feed: partitions/);
    fails({ MKTOWS_USERS: 'feed:K3;partitions=A+<b>' }, /MKTOWS_USERS/);
    fails({ MKTOWS_USERS: 'feed:;read-only' }, /MKTOWS_USERS/);
  });

  it('refuses a MKTOWS_USERS id given twice: one entry would silently set its key and permissions', () => {
    // Before: the later entry won without a word, so `feed:K1;read-only` followed by a
    // forgotten `feed:K2` gave feed full access with K2.
    fails(
      { MKTOWS_USERS: 'feed:K1;read-only, crm:K3, feed:K2' },
      /^MKTOWS_USERS names user feed twice/,
    );
    // Ids are compared as given: two ids differing in case are two users.
    expect(loadConfig({ MKTOWS_USERS: 'feed:K1,Feed:K2' }).mktowsUsers).to.have.length(2);
  });

  it('refuses limits out of range, naming them', () => {
    fails({ MAX_ATTRIBUTES_PER_ELEMENT: '2' }, /MAX_ATTRIBUTES_PER_ELEMENT/);
    fails({ AUTH_FAILURE_LIMIT: '-1' }, /AUTH_FAILURE_LIMIT/);
    fails({ GET_LEAD_MAX_RESULTS: '0' }, /GET_LEAD_MAX_RESULTS/);
    fails({ ACTIVITY_SCAN_LIMIT: '10' }, /ACTIVITY_SCAN_LIMIT/);
    fails({ PAGE_MAX_BYTES: '1024' }, /PAGE_MAX_BYTES/);
    fails({ CONCURRENCY_LIMIT: 'ten' }, /CONCURRENCY_LIMIT/);
  });
});
