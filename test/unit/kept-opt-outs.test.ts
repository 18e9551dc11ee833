/**
 * joinedSpellings: the keys a kept opt-out (email_status_joined) stands for, each a key whose
 * joined key is the kept one, the fewest changed letters first, bounded; addressMatches reads
 * an "address contains" filter as the store does.
 */
import { expect } from 'chai';
import { emailKey, foldedContains, joinedKey } from '../../src/domain/email-key.js';
import { addressMatches, joinedSpellings } from '../../src/domain/kept-opt-outs.js';

describe('kept opt-outs: the spellings they stand for', () => {
  it("gives each 'ss' as 'ß', 'σ' as 'ς' and 'i' as 'ı' or 'i̇' of the domain, never the local part", () => {
    expect(joinedSpellings('strasse@strasse.de')).to.deep.equal(['strasse@stra\u00dfe.de']);
    // A Greek 'ι' is no 'i'.
    expect(joinedSpellings('a@\u03c3\u03bf\u03c6\u03b9\u03b1.gr')).to.deep.equal([
      'a@\u03c2\u03bf\u03c6\u03b9\u03b1.gr',
    ]);
    expect(joinedSpellings('a@bis.tr')).to.have.members(['a@b\u0131s.tr', 'a@bi\u0307s.tr']);
    // 'sss': 'ßs' and 'sß', not both at once.
    expect(joinedSpellings('a@sss.de')).to.have.members(['a@\u00dfs.de', 'a@s\u00df.de']);
    expect(joinedSpellings('ann@example.com')).to.deep.equal([]);
  });

  it('every spelling is a key whose joined key is the kept one; the fewest changes first, bounded', () => {
    const joined = 'ann@mississippi-iii.example';
    const spellings = joinedSpellings(joined, 40);
    expect(spellings).to.have.length(40);
    for (const t of spellings) {
      expect(emailKey(t), t).to.equal(t);
      expect(joinedKey(t), t).to.equal(joined);
    }
    expect(new Set(spellings).size).to.equal(40);
    // Every single change (7 'i' two ways, 2 'ss') comes before any double one.
    const changes = (t: string) => [...t].length - [...joined].length;
    expect(spellings.slice(0, 16).every((t) => t.length <= joined.length + 1)).to.equal(true);
    expect(spellings.slice(0, 16).some((t) => t.includes('\u00df'))).to.equal(true);
    expect(changes(spellings[0]!)).to.be.at.most(1);
    expect(joinedSpellings(joined).length).to.equal(256);
  });

  it('reads an "address contains" filter as the store does', () => {
    const matches = (key: string, text: string) =>
      addressMatches(key, foldedContains({ addressContains: text }));
    expect(matches('bea@stra\u00dfe.de', 'Stra\u00dfe')).to.equal(true);
    expect(matches('bea@strasse.de', 'Stra\u00dfe')).to.equal(false);
    expect(matches('strasse@x.de', 'Stra\u00dfe')).to.equal(true);
    expect(matches('bea@stra\u00dfe.de', 'bea@STRA\u00dfE')).to.equal(true);
    expect(matches('bea@strasse.de', 'bea@STRA\u00dfE')).to.equal(false);
    expect(matches('bea@stra\u00dfe.de', 'bea')).to.equal(true);
    expect(matches('bea@stra\u00dfe.de', '')).to.equal(true);
  });
});
