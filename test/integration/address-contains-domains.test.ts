/**
 * The console's "Address contains" filters (Change Data Value, suppressions) find an address
 * by the spellings its key reads as one: a domain's compatibility forms (IDNA's mapping), its
 * Punycode labels and ideographic stops, on both engines.
 */
import { expect } from 'chai';
import type { Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { createLead, harnessPerSuite, setFlag } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`"Address contains" and the domain's mapping (${engine.name})`, () => {
    let s: Services;
    let ann: number;
    let bucher: number;
    let other: number;
    harnessPerSuite(engine, (opened) => {
      s = opened.services;
    });

    before(async () => {
      ann = await createLead(s, 'ann@example.com');
      bucher = await createLead(s, 'ann@bücher.de');
      // 'e' in its local part: a domain's reading of the text must not match there.
      other = await createLead(s, 'example@other.org');
      for (const id of [ann, bucher, other]) await setFlag(s, id, true);
    });

    /** Ids the Change Data Value preview selects, and the suppressions listed, for `text`. */
    async function found(text: string): Promise<{ people: number[]; keys: string[] }> {
      const preview = await s.bulkChanges.preview(
        { emailContains: text },
        { field: 'Unsubscribed', value: 'true' },
      );
      const listed = await s.suppressions.list({ addressContains: text }, null, 10);
      return {
        people: preview.sample.map((l) => l.id).sort((a, b) => a - b),
        keys: listed.rows.map((r) => r.emailKey).sort(),
      };
    }

    it('reads the text after an @ as the start of a domain: compatibility forms, Punycode, stops', async () => {
      for (const text of [
        'ann@ⓔxample',
        'ANN@Ⓔxample.com',
        'ann@𝐞𝐱𝐚𝐦𝐩𝐥𝐞',
        'ann@example。com',
        'ＡＮＮ@',
        'ann＠ｅｘａｍｐｌｅ',
      ])
        expect(await found(text), text).to.deep.equal({
          people: text === 'ＡＮＮ@' ? [ann, bucher] : [ann],
          keys: text === 'ＡＮＮ@' ? ['ann@bücher.de', 'ann@example.com'] : ['ann@example.com'],
        });
      for (const text of ['ann@xn--bcher-kva.de', '@XN--BCHER-KVA', 'n@bücher'])
        expect(await found(text), text).to.deep.equal({
          people: [bucher],
          keys: ['ann@bücher.de'],
        });
    });

    it('a text without an @ is read as it is anywhere, and as a domain after the @', async () => {
      expect(await found('ⓔxample')).to.deep.equal({
        people: [ann],
        keys: ['ann@example.com'],
      });
      // As it is, it finds the local part too.
      expect(await found('example')).to.deep.equal({
        people: [ann, other],
        keys: ['ann@example.com', 'example@other.org'],
      });
      expect(await found('xn--bcher-kva')).to.deep.equal({
        people: [bucher],
        keys: ['ann@bücher.de'],
      });
      expect(await found('𝐞xample。com')).to.deep.equal({
        people: [ann],
        keys: ['ann@example.com'],
      });
    });

    // The keys keep IDNA's 'ß' in a domain (straße.de is not strasse.de): a filter reads a
    // domain's text as typed, or no text found a key with 'ß' in its domain; and only so, as
    // the key reads it: 'Straße' is not strasse.de's domain. In a local part, folded as there.
    it("reads a domain's ß as the keys do, and a local part's as its fold", async () => {
      const sharp = await createLead(s, 'cy@Stra\u00dfe.de');
      const plain = await createLead(s, 'cy@strasse.de');
      const local = await createLead(s, 'Stra\u00dfe@local.example');
      for (const id of [sharp, plain, local]) await setFlag(s, id, true);
      for (const text of ['cy@STRA\u00dfE', 'stra\u00dfe.de', 'cy@xn--strae-oqa'])
        expect(await found(text), text).to.deep.equal({
          people: [sharp],
          keys: ['cy@stra\u00dfe.de'],
        });
      expect(await found('cy@strasse')).to.deep.equal({
        people: [plain],
        keys: ['cy@strasse.de'],
      });
      // Without an '@' the text may be a local part's, where the key holds its fold.
      expect(await found('Stra\u00dfe')).to.deep.equal({
        people: [sharp, local],
        keys: ['cy@stra\u00dfe.de', 'strasse@local.example'],
      });
      expect(await found('strasse')).to.deep.equal({
        people: [plain, local],
        keys: ['cy@strasse.de', 'strasse@local.example'],
      });
    });

    it('the local part is never mapped: a compatibility form there finds nothing else', async () => {
      expect(await found('ⓐnn@')).to.deep.equal({ people: [], keys: [] });
      // LIKE's own characters stay literal in every reading.
      expect(await found('%@ⓔ')).to.deep.equal({ people: [], keys: [] });
      expect(await found('_nn@ⓔxample')).to.deep.equal({ people: [], keys: [] });
    });
  });
}
