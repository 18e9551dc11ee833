import { expect } from 'chai';
import {
  cleanEmail,
  emailKey,
  MAX_EMAIL_LENGTH,
  validateEmail,
} from '../../src/domain/email-key.js';
import { AppError, ErrorCode } from '../../src/errors.js';

function expectBad(raw: string): void {
  let caught: unknown;
  try {
    validateEmail(raw);
  } catch (error) {
    caught = error;
  }
  expect(caught, JSON.stringify(raw)).to.be.instanceOf(AppError);
  expect((caught as AppError).code).to.equal(ErrorCode.LEAD_ATTRIBUTE_BAD);
}

describe('email key', () => {
  it('lower-cases and trims, keeping the stored address as sent (trimmed)', () => {
    expect(emailKey('  ANN@Example.COM \t')).to.equal('ann@example.com');
    expect(emailKey('ann@example.com')).to.equal(emailKey('ANN@Example.com '));
    expect(cleanEmail('  ANN@Example.COM ')).to.equal('ANN@Example.COM');
  });

  it('lower-cases non-ASCII letters', () => {
    expect(emailKey('ÄNN@Exämple.com')).to.equal('änn@exämple.com');
    expect(emailKey('ÄNN@Exämple.com')).to.equal(emailKey('änn@exämple.com'));
    expect(emailKey('ΣΟΦΙΑ@Παράδειγμα.gr')).to.equal('σοφια@παράδειγμα.gr');
    expect(emailKey('ŁUKASZ@Przykład.PL')).to.equal('łukasz@przykład.pl');
  });

  it('makes NFC and NFD forms of one address one key', () => {
    const nfc = 'änn@exämple.com'.normalize('NFC');
    const nfd = 'änn@exämple.com'.normalize('NFD');
    const upperNfd = 'ÄNN@EXÄMPLE.COM'.normalize('NFD');
    expect(nfc).to.not.equal(nfd);
    expect(emailKey(nfd)).to.equal(emailKey(nfc));
    expect(emailKey(upperNfd)).to.equal(nfc);
    expect(emailKey(` ${upperNfd} `)).to.equal(emailKey('änn@exämple.com'));
  });

  it('keeps different addresses apart', () => {
    expect(emailKey('ann@example.com')).to.not.equal(emailKey('anne@example.com'));
    expect(emailKey('änn@example.com')).to.not.equal(emailKey('ann@example.com'));
  });
});

describe('validateEmail', () => {
  it('accepts ordinary and odd-but-deliverable addresses, returning them trimmed', () => {
    expect(validateEmail('  ann@example.com ')).to.equal('ann@example.com');
    expect(validateEmail('ÄNN@Exämple.com')).to.equal('ÄNN@Exämple.com');
    expect(validateEmail('"quoted@local"@example.com')).to.equal('"quoted@local"@example.com');
    expect(validateEmail('x+tag@sub.example')).to.equal('x+tag@sub.example');
  });

  it('rejects an address without @ or with nothing around it', () => {
    for (const raw of ['ann.example.com', '@example.com', 'ann@', '@', '']) expectBad(raw);
  });

  it('rejects spaces inside', () => {
    for (const raw of [
      'ann @example.com',
      'ann@exa mple.com',
      'ann@example.com\u00a0x',
      'a\tb@example.com',
    ]) {
      expectBad(raw);
    }
  });

  it('rejects control characters', () => {
    for (const raw of [
      'ann\u0000@example.com',
      'ann@exam\u0007ple.com',
      'ann@example.com\u007f',
      'a\u001b@x.com',
    ]) {
      expectBad(raw);
    }
  });

  it('rejects more than 254 characters and accepts exactly 254', () => {
    const domain = '@example.com';
    const ok = 'a'.repeat(MAX_EMAIL_LENGTH - domain.length) + domain;
    expect(ok).to.have.length(254);
    expect(validateEmail(ok)).to.equal(ok);
    expectBad(`b${ok}`);
    // surrounding spaces do not count
    expect(validateEmail(`  ${ok}  `)).to.equal(ok);
  });

  it('rejects an address whose key would be longer than 254 characters', () => {
    // 'İ' lower-cases to two code units: the address fits, its key would not fit the column.
    const raw = `a@${'İ'.repeat(200)}.com`;
    expect(raw.length).to.be.at.most(MAX_EMAIL_LENGTH);
    expect(emailKey(raw).length).to.be.greaterThan(MAX_EMAIL_LENGTH);
    expectBad(raw);
  });
});

describe('invisible format characters', () => {
  it('refuses an address holding one (ZWSP, ZWNJ, ZWJ, word joiner, BOM inside, bidi marks)', () => {
    for (const c of [
      '\u200b',
      '\u200c',
      '\u200d',
      '\u2060',
      '\ufeff',
      '\u200e',
      '\u202e',
      '\u00ad',
    ])
      expectBad(`ann${c}@example.com`);
    expectBad('ann@exam\u200bple.com');
  });

  it('still takes an address with a BOM only at its ends, trimmed as before', () => {
    expect(validateEmail('\ufeffann@example.com')).to.equal('ann@example.com');
  });
});
