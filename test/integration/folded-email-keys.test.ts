/**
 * The email key folds internationalised addresses (RFC 6531): an opt-out recorded under one
 * spelling of an address reaches the people holding it under another (case, NFC/NFD, full-width
 * letters, final sigma, Turkish i, ß), on both engines, and the console's address filters fold
 * the same way.
 */
import { expect } from 'chai';
import type { Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { createLead, emailKeyOf, flags, harnessPerSuite, setFlag } from '../support/harness.js';

/** Pairs of spellings of one address: the first opts out, the second must follow. */
const SPELLINGS: ReadonlyArray<readonly [string, string]> = [
  ['ÉLODIE@exemple.fr', 'élodie@exemple.fr'],
  ['élodie@exemple.fr'.normalize('NFD'), 'Élodie@Exemple.fr'.normalize('NFC')],
  ['ＪＯＨＮ@ｅｘａｍｐｌｅ．ｃｏｍ', 'john@example.com'],
  ['σοφιας@παράδειγμα.gr', 'ΣΟΦΙΑΣ@παράδειγμα.gr'],
  ['σοφιασ@παράδειγμα.gr', 'σοφιας@παράδειγμα.gr'],
  ['İpek@örnek.tr', 'ipek@örnek.tr'],
  ['ılgaz@örnek.tr', 'ILGAZ@örnek.tr'],
  ['straße@beispiel.de', 'STRASSE@beispiel.de'],
  ['STRAẞE2@beispiel.de', 'strasse2@beispiel.de'],
];

for (const engine of testEngines()) {
  describe(`folded email keys (${engine.name})`, () => {
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      s = opened.services;
    });

    it('an opt-out under one spelling reaches the person holding another', async () => {
      for (const [first, second] of SPELLINGS) {
        const a = await createLead(s, first);
        const b = await createLead(s, second, { partition: 'East' });
        await setFlag(s, a, true);
        expect(await flags(s, [a, b]), `${first} → ${second}`).to.deep.equal([true, true]);
        // One master status for both, found by either spelling.
        const byFirst = (await s.durableStatus.explain(first)).status;
        const bySecond = (await s.durableStatus.explain(second)).status;
        expect(byFirst?.unsubscribed, first).to.equal(true);
        expect(bySecond?.emailKey).to.equal(byFirst?.emailKey);
      }
    });

    it('a person created later under another spelling is unsubscribed (rule 3)', async () => {
      const a = await createLead(s, 'ΝΙΚΟΣ@παράδειγμα.gr');
      await setFlag(s, a, true);
      const later = await createLead(s, 'νικος@ΠΑΡΆΔΕΙΓΜΑ.GR', { unsubscribed: false });
      expect(await flags(s, [later])).to.deep.equal([true]);
      const both = await s.leads.find(emailKeyOf('Νικοσ@παράδειγμα.gr'));
      expect(both.map((l) => l.id).sort((x, y) => x - y)).to.deep.equal([a, later]);
    });

    it("the console's address filters fold the search text like the keys", async () => {
      await createLead(s, 'Zoë.ÇAĞLAR@örnek.tr');
      const a = await createLead(s, 'gülşen@örnek.tr');
      const b = await createLead(s, 'Weiß@beispiel.de');
      await setFlag(s, b, true);
      await setFlag(s, a, true);
      const preview = await s.bulkChanges.preview(
        { emailContains: 'ÇAĞLAR@ÖRNEK' },
        { field: 'Unsubscribed', value: 'true' },
      );
      expect(preview.sample.map((l) => l.email)).to.deep.equal(['Zoë.ÇAĞLAR@örnek.tr']);
      const wide = await s.bulkChanges.preview(
        { emailContains: 'ＧÜＬŞＥＮ' },
        { field: 'Unsubscribed', value: 'true' },
      );
      expect(wide.sample.map((l) => l.id)).to.deep.equal([a]);
      const listed = await s.suppressions.list({ addressContains: 'ＧÜＬŞＥＮ@ÖRNEK' }, null, 10);
      expect(listed.rows.map((r) => r.emailKey)).to.deep.equal(['gülşen@örnek.tr']);
      const sharp = await s.suppressions.list({ addressContains: 'weiß@' }, null, 10);
      expect(sharp.rows.map((r) => r.emailKey)).to.deep.equal(['weiss@beispiel.de']);
    });
  });
}
