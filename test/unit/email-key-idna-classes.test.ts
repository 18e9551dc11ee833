/**
 * The email key against IDNA itself (node:url's domainToASCII, UTS #46 as browsers and mail
 * systems apply it): two spellings of a domain that IDNA reads as one domain are one key, for
 * every code point in a domain, as it is, lower-cased, upper-cased, NFKC and NFD; and for
 * random domains drawn from classes of spellings IDNA reads alike (compatibility forms,
 * ligatures, case, ignored marks, full-width letters and stops, Punycode). An opt-out under
 * one spelling reaches every other a mail system delivers to the same domain.
 */
import { expect } from 'chai';
import { domainToASCII } from 'node:url';
import { emailKey, validateEmail } from '../../src/domain/email-key.js';
import { seeded } from '../support/seeded.js';

const EVERY_CODE_POINT_MS = 120_000;
/** Characters a URL host parser reads as the end of the host: domainToASCII stops at them. */
const URL_DELIMITER = /[#/?\\%]/;

/**
 * 'ẞ': UTS #46 maps it to 'ß' since Unicode 15.1 (the key does), node 20's older tables to 'ss':
 * a domain holding it is left out of the comparison with node.
 */
const NEWER_THAN_NODE = /\u1e9e/;

/** Collects, per domain as IDNA writes it, the keys of the spellings given, and the reverse. */
class Classes {
  private readonly byIdna = new Map<string, Map<string, string>>();
  private readonly byKey = new Map<string, Set<string>>();

  add(domain: string): void {
    const raw = `x@${domain}`;
    if (URL_DELIMITER.test(domain) || NEWER_THAN_NODE.test(domain)) return;
    try {
      validateEmail(raw);
    } catch {
      return; // refused on every path alike
    }
    const idna = domainToASCII(domain).replace(/\.$/, '');
    if (idna === '') return;
    const keys = this.byIdna.get(idna) ?? new Map<string, string>();
    const key = emailKey(raw);
    keys.set(key, domain);
    this.byIdna.set(idna, keys);
    const domains = this.byKey.get(key) ?? new Set<string>();
    domains.add(idna);
    this.byKey.set(key, domains);
  }

  /** Keys given to spellings of more than one of IDNA's domains (at most `n`). */
  joined(n = 5): string[] {
    const out: string[] = [];
    for (const [key, domains] of this.byKey)
      if (domains.size > 1 && out.length < n) out.push(`${key}: ${JSON.stringify([...domains])}`);
    return out;
  }

  /** IDNA's domains whose spellings have more than one key (at most `n`). */
  split(n = 5): string[] {
    const out: string[] = [];
    for (const [idna, keys] of this.byIdna)
      if (keys.size > 1 && out.length < n) out.push(`${idna}: ${JSON.stringify([...keys])}`);
    return out;
  }
}

/** Spellings IDNA reads alike (the ASCII ones, and one of each other kind). */
const SPELLINGS: string[][] = [
  ['a', 'A'],
  ['x', 'X', '\u24e7', '\u24cd'],
  ['-'],
  ['1', '\u00b9', '\u2081', '\u2460'],
  ['e', 'E', '\u{1d41e}', '\u24d4', '\uff45', '\uff25'],
  ['\u00fc', '\u00dc', 'u\u0308', 'U\u0308'],
  ['fi', '\ufb01', 'FI'],
  ['\u30ab', '\uff76'],
  ['\u30ac', '\uff76\uff9e', '\u30ab\u3099'],
  ['d\u017e', '\u01c5', '\u01c6', '\u01c4'],
  ['\u03b1\u03b9', '\u1fb3', '\u0391\u0399', '\u03b1\u0345'],
  ['k', 'K', '\u212a'],
  ['\u00e5', '\u00c5', '\u212b', 'a\u030a'],
  ['\u03bc', '\u00b5', '\u039c'],
  ['s', 'S', '\u017f'],
  ['st', '\ufb05', '\ufb06'],
  ['\u13a0', '\uab70'],
  ['\u03b2', '\u03d0', '\u0392'],
  ['h', 'H', '\u210c', '\u210d'],
  ['tel', '\u2121'],
  ['ix', '\u2178', '\u2168'],
  ['\u02bcn', '\u0149'],
  ['\u03c9', '\u03a9', '\u2126'],
  ['\u30fc', '\uff70'],
  ['', '\ufe0f', '\u034f', '\u180b', '\u{e0100}'],
  ['lj', '\u01c9', '\u01c8', '\u01c7'],
  ['ff', '\ufb00', 'FF'],
  // The letters IDNA keeps apart from their case fold, and what it reads as each.
  ['\u00df'],
  ['ss', 'SS', 'sS'],
  ['\u03c2'],
  ['\u03c3', '\u03a3', '\u03f2'],
  ['\u0131', '\u{1d6a4}'],
  ['i\u0307', '\u0130', 'I\u0307'],
];
const SEPARATORS = ['.', '\u3002', '\uff61', '\uff0e'];

describe('email key: one key for the spellings IDNA reads as one domain', () => {
  it('for every code point in a domain, and its case, NFKC and NFD forms', function () {
    this.timeout(EVERY_CODE_POINT_MS);
    const classes = new Classes();
    for (let cp = 0x20; cp <= 0x3ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      const nfkc = c.normalize('NFKC');
      for (const form of [c, c.toLowerCase(), c.toUpperCase(), nfkc, nfkc.toLowerCase()])
        classes.add(`a${form}x.de`);
      classes.add(`a${c.normalize('NFD')}x.de`);
    }
    expect(classes.split()).to.deep.equal([]);
    expect(classes.joined()).to.deep.equal([]);
  });

  it('for random domains of spellings IDNA reads alike, Punycode too (seeded)', () => {
    const random = seeded(20261206);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const classes = new Classes();
    for (let n = 0; n < 3000; n++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
        Math.floor(random() * (SPELLINGS.length + 1)),
      );
      for (let k = 0; k < 4; k++) {
        let domain = parts
          .map((p) => (p === SPELLINGS.length ? pick(SEPARATORS) : pick(SPELLINGS[p]!)))
          .join('');
        domain += random() < 0.5 ? '.de' : '.DE.';
        const punycode = random() < 0.3 ? domainToASCII(domain) : '';
        classes.add(punycode || domain);
      }
    }
    expect(classes.split()).to.deep.equal([]);
    expect(classes.joined()).to.deep.equal([]);
  });
});
