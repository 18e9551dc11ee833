/**
 * The domain of the email key mapped as IDNA maps it (UTS #46: NFKC and a case fold, the
 * ideographic full stops as '.'): spellings a mail system delivers to one domain are one key;
 * the local part keeps its own rules (no NFKC).
 */
import { expect } from 'chai';
import { emailKey, joinedKey, keyBeforeDomainMapping } from '../../src/domain/email-key.js';

const EVERY_CODE_POINT_MS = 120_000;

describe('email key: the domain mapped as IDNA maps it', () => {
  const same = (a: string, b: string) => expect(emailKey(a), `${a} / ${b}`).to.equal(emailKey(b));
  const apart = (a: string, b: string) =>
    expect(emailKey(a), `${a} / ${b}`).to.not.equal(emailKey(b));

  it('reads compatibility forms of a domain as their plain letters', () => {
    expect(emailKey('ann@\u{1d41e}xample.com')).to.equal('ann@example.com'); // mathematical bold
    for (const raw of [
      'ann@\u24d4xample.com', // circled small e
      'ANN@\u24baXAMPLE.COM', // circled capital E
      'ann@\u{1d5be}\u{1d5d1}ample.\u{1d4b8}om', // sans-serif, script
      'ann@example\u3002com', // ideographic full stop
      'ann@example\uff0ecom', // full-width full stop
      'ann@example\uff61com.', // half-width ideographic full stop, a trailing dot
      'ann@e\ufe0fxample.com', // a variation selector (IDNA ignores it)
      'ann@e\u034fxample.com', // the combining grapheme joiner (likewise)
    ])
      same(raw, 'ann@example.com');
    same('ann@\ufb01sh.example', 'ann@fish.example'); // a ligature
    same('ann@x\u00b2.example', 'ann@x2.example'); // a superscript
    same('ann@\uff76\uff9e.jp', 'ann@\u30ac.jp'); // half-width katakana and its sound mark
    same('ann@\u2460.example', 'ann@1.example'); // a circled digit
    same('ann@b\u00fccher.\u24d3e', 'ann@xn--bcher-kva.de');
    // Mapped to ASCII, an xn-- label is decoded as before.
    same('ann@\u24e7\u24dd--bcher-kva.de', 'ann@b\u00fccher.de');
  });

  it('leaves the local part as it was: the receiving system reads it', () => {
    apart('\u{1d41a}nn@example.com', 'ann@example.com');
    apart('\u24d0nn@example.com', 'ann@example.com');
    expect(emailKey('\u{1d41a}nn@\u{1d41e}xample.com')).to.equal('\u{1d41a}nn@example.com');
  });

  it('keeps a character whose mapping holds a dot or an @ as it is (IDNA refuses it)', () => {
    for (const raw of [
      'ann@a\u2024b.com', // one dot leader
      'ann@x\u2488com', // digit one full stop
      'ann@a\ufe52b.com', // small full stop
      'ann@a\ufe6bb.com', // small commercial at
    ]) {
      const key = emailKey(raw);
      expect(key, raw).to.equal(raw);
      expect(emailKey(key), raw).to.equal(key);
    }
    // The text around it is still mapped.
    expect(emailKey('ann@\u24d4\u2024\u{1d41e}.com')).to.equal('ann@e\u2024e.com');
    apart('ann@a\u2024b.com', 'ann@a.b.com');
  });

  it('is idempotent and re-keys the keys stored before it, for every code point in a domain', function () {
    this.timeout(EVERY_CODE_POINT_MS);
    for (let cp = 0x80; cp <= 0x1ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      for (const raw of [`a@${c}x.com`, `a@I${c}\u0307\u03a3.${c}.`]) {
        const key = emailKey(raw);
        if (emailKey(key) !== key) expect.fail(`key(key(${JSON.stringify(raw)})) differs`);
        // What 20261206000000 re-keyed: the joined key of the key before it (a key it made
        // is re-keyed from its address by 20261206004000, where IDNA keeps letters apart).
        if (joinedKey(keyBeforeDomainMapping(raw)) !== joinedKey(raw))
          expect.fail(`${JSON.stringify(raw)}: its previous key maps elsewhere`);
      }
    }
  });

  it('keeps the key before the mapping for the rollback', () => {
    expect(keyBeforeDomainMapping('Ann@\u{1d41e}xample.com')).to.equal('ann@\u{1d41e}xample.com');
    expect(keyBeforeDomainMapping('Ann@XN--BCHER-KVA.DE.')).to.equal('ann@b\u00fccher.de');
  });
});
