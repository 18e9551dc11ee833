import { expect } from 'chai';
import {
  caseFoldedKey,
  cleanEmail,
  emailKey,
  foldEmailText,
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

  // docs/how-it-works.md lists these: one provider's delivery habits, not spellings of a mailbox.
  it('keeps apart what only some providers deliver to one mailbox (how-it-works.md)', () => {
    const apart: Array<[string, string]> = [
      ['ann+news@example.com', 'ann@example.com'], // a subaddress (plus tag)
      ['ann+news@example.com', 'ann+offers@example.com'],
      ['a.nn@gmail.com', 'ann@gmail.com'], // dots a provider ignores
      ['ann@googlemail.com', 'ann@gmail.com'], // a provider's alias domain
      ['ann@mail.example.com', 'ann@example.com'], // a subdomain
      ['\u{1d41a}nn@example.com', 'ann@example.com'], // a mathematical letter, local (no NFKC)
      ['".ann"@example.com', 'ann@example.com'], // quotes it needs
      ['"a\\nn"@example.com', 'ann@example.com'], // a quoted pair
    ];
    for (const [a, b] of apart) expect(emailKey(a), a).to.not.equal(emailKey(b));
  });
});

/** The key before folding (NFC, then lower case): the keys stored by earlier versions. */
const previousKey = (raw: string) => raw.trim().normalize('NFC').toLowerCase();

// A walk over every code point keys some 130,000 to 400,000 texts: 2–5 s each measured with
// both cores busy elsewhere, a quarter of mocha's 20 s default, and more on a machine loaded
// further. What these guard is a key, not a speed: a slow machine is no failure of theirs.
const EVERY_CODE_POINT_MS = 120_000;

/** Every code point of the basic and supplementary multilingual planes but surrogates. */
function* codePoints(): Generator<string> {
  for (let cp = 0; cp <= 0x1ffff; cp++)
    if (cp < 0xd800 || cp > 0xdfff) yield String.fromCodePoint(cp);
}

describe('email key folding (RFC 6531 addresses)', () => {
  const same = (a: string, b: string) => expect(emailKey(a), `${a} / ${b}`).to.equal(emailKey(b));

  it('folds accented capitals, composed and decomposed forms to one key', () => {
    same('ÉLODIE@exemple.fr', 'élodie@exemple.fr');
    same('ÉLODIE@EXEMPLE.FR'.normalize('NFD'), 'élodie@exemple.fr'.normalize('NFC'));
    expect(emailKey('E\u0301lodie@exemple.fr')).to.equal('élodie@exemple.fr'.normalize('NFC'));
  });

  it('maps full-width ASCII forms to ASCII', () => {
    expect(emailKey('ＡＮＮ＠ｅｘａｍｐｌｅ．ｃｏｍ')).to.equal('ann@example.com');
    same('ｊｏｈｎ@example.com', 'John@example.com');
    same('Ｊｏｈｎ１２３@example.com', 'john123@example.com');
  });

  it('folds Greek final sigma in a local part: ς, σ and Σ are one letter', () => {
    expect(emailKey('ΣΟΦΙΑΣ@παράδειγμα.gr')).to.equal('σοφιασ@παράδειγμα.gr');
    same('σοφιας@παράδειγμα.gr', 'σοφιασ@παράδειγμα.gr');
    same('ΣΟΦΙΑΣ@ΠΑΡΆΔΕΙΓΜΑ.GR', 'σοφιας@παράδειγμα.gr');
  });

  it('folds the Turkish dotted capital İ and the dotless ı to i in a local part', () => {
    expect(emailKey('İSTANBUL@örnek.tr')).to.equal('istanbul@örnek.tr');
    expect(emailKey('ıstanbul@örnek.tr')).to.equal('istanbul@örnek.tr');
    same('I\u0307stanbul@örnek.tr', 'istanbul@örnek.tr');
    // The lower case of İ (i + dot above, the key of earlier versions) folds alike.
    same('i\u0307stanbul@örnek.tr', 'İstanbul@örnek.tr');
  });

  it('folds ß and ẞ to ss in a local part', () => {
    expect(emailKey('straße@beispiel.de')).to.equal('strasse@beispiel.de');
    same('STRAẞE@beispiel.de', 'strasse@beispiel.de');
    same('Straße@Beispiel.de', 'STRASSE@beispiel.de');
  });

  // IDNA (UTS #46 non-transitional, browsers and node:url) reads these as other domains than
  // their case fold: xn--strae-oqa.de is not strasse.de. An opt-out of one is not the other's.
  it('keeps the letters IDNA keeps apart in a domain: ß, ς, ı and İ (i̇)', () => {
    const apart = (a: string, b: string) =>
      expect(emailKey(a), `${a} / ${b}`).to.not.equal(emailKey(b));
    apart('ann@straße.de', 'ann@strasse.de');
    apart('ann@STRAẞE.de', 'ann@STRASSE.de');
    apart('ann@xn--strae-oqa.de', 'ann@strasse.de');
    apart('a@ςοφια.gr', 'a@σοφια.gr');
    apart('a@ıbm.com', 'a@ibm.com');
    apart('a@İbm.com', 'a@ibm.com');
    apart('a@İbm.com', 'a@ıbm.com');
    expect(emailKey('Ann@Straße.DE')).to.equal('ann@straße.de');
    expect(emailKey('a@İBM.com')).to.equal('a@i\u0307bm.com');
    // Each still one key for every spelling IDNA reads as it (UTS #46 maps ẞ to ß since
    // Unicode 15.1; node 20's older tables map it to ss).
    same('ann@STRAẞE.de', 'ann@straße.de');
    same('ann@xn--strae-oqa.de', 'ANN@STRAßE.de');
    same('a@ΣΟΦΙΑ.gr', 'a@σοφια.gr');
    same('a@\u03f2οφια.gr', 'a@σοφια.gr'); // lunate sigma: σ in IDNA
    same('a@I\u0307bm.com', 'a@İbm.com');
    same('a@\u{1d6a4}bm.com', 'a@ıbm.com'); // mathematical dotless i
    // The local part keeps its full fold.
    same('straße@straße.de', 'STRASSE@straße.de');
  });

  it('leaves ASCII keys exactly as before', () => {
    for (let c = 0; c < 128; c++) {
      const raw = `a${String.fromCharCode(c)}Z@Example.COM`;
      expect(emailKey(raw)).to.equal(raw.trim().toLowerCase());
    }
    expect(emailKey('  John.SMITH+Tag@Example.COM ')).to.equal('john.smith+tag@example.com');
  });

  it('is idempotent: the key of a key is itself, for every code point', function () {
    this.timeout(EVERY_CODE_POINT_MS);
    for (const c of codePoints()) {
      for (const raw of [`${c}@x.com`, `a${c}Σ@x.com`, `I${c}\u0307@x.com`]) {
        const key = emailKey(raw);
        if (emailKey(key) !== key) expect.fail(`key(key(${JSON.stringify(raw)})) differs`);
      }
    }
  });

  it('gives a text, its lower case and its upper case one key', function () {
    this.timeout(EVERY_CODE_POINT_MS);
    for (const c of codePoints()) {
      const raw = `${c}@x.com`.normalize('NFC');
      // Upper-casing an iota subscript (U+0345) moves the marks after it: left aside.
      if (raw.normalize('NFD').includes('\u0345')) continue;
      const key = emailKey(raw);
      if (emailKey(raw.toUpperCase()) !== key || emailKey(raw.toLowerCase()) !== key)
        expect.fail(`${JSON.stringify(raw)} folds apart from its upper or lower case`);
    }
  });

  it('folds a key stored by earlier versions to the key of its address (the migration relies on it)', function () {
    this.timeout(EVERY_CODE_POINT_MS);
    for (const c of codePoints()) {
      const raw = `X${c}Σ@x.com`;
      if (emailKey(previousKey(raw)) !== emailKey(raw))
        expect.fail(`${JSON.stringify(raw)}: its previous key folds elsewhere`);
    }
  });

  it('folds a search text the same way, untrimmed', () => {
    expect(foldEmailText('ＬＯＤＩＥ@')).to.equal('lodie@');
    expect(foldEmailText('ÉLO')).to.equal('élo');
    expect(foldEmailText('Straße ')).to.equal('strasse ');
  });
});

describe('email key of an over-long lookup value', () => {
  /** The CPU of the cheapest of three keys of `text`, in µs. */
  function keyCpu(text: string): number {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const start = process.cpuUsage();
      emailKey(text);
      const used = process.cpuUsage(start);
      best = Math.min(best, used.user + used.system);
    }
    return Math.max(best, 1);
  }

  it('costs no fold: a megabyte of accents, İ and ς costs no more than an address does', () => {
    // Before: ~500 times the cost of the 2,000-character value (a full fold, linear in length,
    // of a value no address can have).
    const mixed = (n: number) => `${'e\u0301\u0130\u03c2'.repeat(n / 4)}@example.org`;
    expect(keyCpu(mixed(1_000_000)) / keyCpu(mixed(2_000))).to.be.below(50);
  });

  it('stays a key no address has, and a key of itself', () => {
    const long = `${'\u00c9'.repeat(MAX_EMAIL_LENGTH * 8)}@example.org`;
    const key = emailKey(long);
    expect(key.length).to.be.above(MAX_EMAIL_LENGTH);
    expect(emailKey(key)).to.equal(key);
    // Within the bound, a decomposed spelling of the longest address still folds in full.
    const decomposed = `${'E\u0301'.repeat(120)}@x.org`;
    expect(emailKey(decomposed)).to.equal(emailKey(`${'\u00e9'.repeat(120)}@x.org`));
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
    // 'ß' folds to two characters in a local part: the address fits, its key would not fit
    // the column.
    const raw = `${'ß'.repeat(200)}@a.com`;
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

/** Letters whose case forms IDNA reads as other letters in a domain ('ß' and 'SS'). */
const IDNA_CASE_APART = /[\u00df\u03c2\u0131]/;

describe('spellings of one mailbox', () => {
  const same = (a: string, b: string) => expect(emailKey(a), `${a} / ${b}`).to.equal(emailKey(b));
  const apart = (a: string, b: string) =>
    expect(emailKey(a), `${a} / ${b}`).to.not.equal(emailKey(b));

  it('reads a Punycode domain as its Unicode form, in any case', () => {
    expect(emailKey('ann@xn--bcher-kva.de')).to.equal('ann@bücher.de');
    same('Ann@XN--BCHER-KVA.DE', 'ann@BÜCHER.de');
    same('ann@mail.xn--bcher-kva.de', 'ann@mail.bücher.de');
    // Decoded, the label is mapped as IDNA maps it ('ß' kept: xn--strae-oqa is not strasse).
    same('ann@xn--strae-oqa.de', 'ANN@STRAßE.de');
    apart('ann@xn--strae-oqa.de', 'ANN@STRASSE.de');
    same('ann@xn--mgbh0fb.xn--kgbechtv', 'ann@مثال.إختبار');
  });

  it('keeps a label that is no Punycode of a Unicode label, and a local part with xn--', () => {
    for (const raw of [
      'ann@xn--abc.de', // C1 controls
      'ann@xn--bcher-kv!.de', // not Punycode
      'ann@xn--.de',
      'ann@xn--abc-.de', // ASCII only: another DNS label than abc
      'ann@xn--xn--bcher-kva-.de', // decodes to an xn-- label
      'xn--bcher-kva@example.com',
    ])
      expect(emailKey(raw), raw).to.equal(raw.toLowerCase());
  });

  it("reads a domain's trailing dots and ideographic full stops as the domain", () => {
    expect(emailKey('ann@example.com.')).to.equal('ann@example.com');
    same('ann@example.com..', 'ann@example.com');
    same('ann@example．com．', 'ann@example.com');
    same('ann@bücher。de', 'ann@bücher.de');
    same('ann@bücher｡de', 'ann@xn--bcher-kva.de.');
    // Not in the local part, and a domain of dots alone stays as it is.
    apart('ann.@example.com', 'ann@example.com');
    expect(emailKey('ann@..')).to.equal('ann@..');
  });

  it('reads a quoted local part that needs no quotes without them', () => {
    expect(emailKey('"Ann"@example.com')).to.equal('ann@example.com');
    same('"ann.smith"@example.com', 'Ann.Smith@example.com');
    same('"élodie"@exemple.fr', 'ÉLODIE@exemple.fr');
    // Quotes that are needed, quoted pairs and empty quotes are kept.
    for (const raw of [
      '"ann smith"@example.com',
      '"ann@home"@example.com',
      '"a..b"@example.com',
      '"a\\nn"@example.com',
      '""@example.com',
      '"ann".x@example.com',
    ])
      expect(emailKey(raw), raw).to.equal(raw.toLowerCase());
  });

  it('stays idempotent and one key for a text, its lower and its upper case', function () {
    this.timeout(EVERY_CODE_POINT_MS);
    const forms = [
      'ann@xn--bcher-kva.de.',
      '"ANN"@XN--BCHER-KVA。DE',
      '"Straße"@xn--strae-oqa.de｡',
      'ΣΟΦΙΑΣ@xn--hxajbheg2az3al.xn--jxalpdlp.',
      '"ann"@example.com.',
    ];
    for (const c of codePoints()) forms.push(`"${c}"@x${c}n--bcher-kva.de${c}.`);
    for (const raw of forms) {
      const key = emailKey(raw);
      if (emailKey(key) !== key) expect.fail(`key(key(${JSON.stringify(raw)})) differs`);
      const nfc = raw.normalize('NFC');
      if (nfc.normalize('NFD').includes('\u0345')) continue;
      // Their upper case is another domain for IDNA: 'STRASSE.DE' is not 'straße.de'; nor is
      // a lower case's final 'ς' ('ΑΣ.' lower-cases to 'ας.') its 'σ'.
      const domain = nfc.slice(nfc.lastIndexOf('@'));
      if (IDNA_CASE_APART.test(domain + domain.toLowerCase())) continue;
      if (
        emailKey(nfc.toUpperCase()) !== emailKey(nfc) ||
        emailKey(nfc.toLowerCase()) !== emailKey(nfc)
      )
        expect.fail(`${JSON.stringify(raw)} folds apart from its upper or lower case`);
    }
  });

  it('gives the key stored before these spellings the key of its address (the migration)', () => {
    for (const raw of ['Ann@XN--BCHER-KVA.DE.', '"Ann"@Example.COM', 'ann@bücher。de'])
      expect(emailKey(caseFoldedKey(raw))).to.equal(emailKey(raw));
    expect(caseFoldedKey('"Ann"@XN--BCHER-KVA.DE.')).to.equal('"ann"@xn--bcher-kva.de.');
  });
});
