import { domainToASCII } from 'node:url';
import { expect } from 'chai';
import { decodePunycode } from '../../src/domain/punycode.js';
import { seeded } from '../support/seeded.js';

describe('Punycode decoding (RFC 3492)', () => {
  it("decodes the RFC's samples and common labels", () => {
    expect(decodePunycode('bcher-kva')).to.equal('bücher');
    expect(decodePunycode('egbpdaj6bu4bxfgehfvwxn')).to.equal('ليهمابتكلموشعربي؟');
    expect(decodePunycode('ihqwcrb4cv8a8dqg056pqjye')).to.equal('他们为什么不说中文');
    expect(decodePunycode('3B-ww4c5e180e575a65lsy2b')).to.equal('3年B組金八先生');
    expect(decodePunycode('-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n')).to.equal(
      '安室奈美恵-with-SUPER-MONKEYS',
    );
    expect(decodePunycode('ls8h')).to.equal('💩');
  });

  it('refuses what is not Punycode', () => {
    // A basic code point past ASCII, a character no digit, a number that never ends.
    for (const bad of ['é-abc', 'bcher-kv!', 'bcher-kva_', '99999999999'])
      expect(decodePunycode(bad), bad).to.equal(null);
  });

  it("inverts node's IDNA encoding of random labels", () => {
    const random = seeded(3492);
    const pool = 'abcz09-éüßçøñσжあ中한ค😀'.split(/(?:)/u);
    for (let n = 0; n < 2000; n++) {
      const length = 1 + Math.floor(random() * 12);
      let label = '';
      for (let i = 0; i < length; i++) label += pool[Math.floor(random() * pool.length)];
      const ascii = domainToASCII(label);
      if (!ascii.startsWith('xn--') || ascii.includes('.')) continue;
      // Node maps the label (UTS 46: lower case, ß kept, NFC) before encoding it.
      const decoded = decodePunycode(ascii.slice(4));
      expect(decoded, ascii).to.not.equal(null);
      expect(domainToASCII(decoded!), `${label} → ${ascii}`).to.equal(ascii);
    }
  });
});
