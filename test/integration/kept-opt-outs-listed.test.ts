/**
 * The opt-outs kept under joined keys (email_status_joined) in the suppression lists and
 * exports, on both engines: each is listed under every spelling it stands for (a domain's
 * 'ss' as 'ß', 'σ' as 'ς', 'i' as 'ı' or 'i̇') that has no status of its own, as masterStatus
 * reads it, so an ESP given an export suppresses each and the console finds it by its spelling.
 */
import { expect } from 'chai';
import type { Services } from '../../src/compose.js';
import type { EmailStatusRecord } from '../../src/domain/records.js';
import { testEngines } from '../support/database.js';
import { createLead, harnessPerSuite, setFlag, type Harness } from '../support/harness.js';

const SHARP = 'bea@stra\u00dfe.de';
const LISTED_AT = Date.UTC(2026, 5, 1);

/** A kept opt-out, as the migration 20261206004000 copied it. */
const kept = (key: string, changedAt: number, reason: string) => ({
  joined_key: key,
  unsubscribed: true,
  reason,
  source: 'Unsubscribe link',
  lead_id: null,
  changed_at: changedAt,
  recorded_at: LISTED_AT,
  lifted_reason: null,
  lifted_at: null,
  opt_outs_recorded_since: null,
});

async function all(rows: AsyncIterable<EmailStatusRecord>): Promise<string[]> {
  const keys: string[] = [];
  for await (const r of rows) keys.push(r.emailKey);
  return keys;
}

for (const engine of testEngines()) {
  describe(`opt-outs kept under joined keys in the suppression lists (${engine.name})`, () => {
    let h: Harness;
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    before(async () => {
      await h.db
        .knex('email_status_joined')
        .insert([
          kept('bea@strasse.de', 200, 'asked'),
          kept('cy@ibm.com', 300, 'complaint'),
          kept('ann@strasse.de', 100, 'asked'),
        ]);
      // ann@straße.de has a status of its own (re-subscribed): the kept opt-out is not its.
      const sharpAnn = await createLead(s, 'ann@stra\u00dfe.de');
      await setFlag(s, sharpAnn, true);
      await setFlag(s, sharpAnn, false);
      const plainAnn = await createLead(s, 'ann@strasse.de');
      await setFlag(s, plainAnn, true);
    });

    it('the console lists a kept opt-out under each spelling it stands for, found by it', async () => {
      const found = async (text: string) =>
        (await s.suppressions.list({ addressContains: text }, null, 50)).rows.map((r) => [
          r.emailKey,
          r.unsubscribed,
        ]);
      expect(await found('bea@Stra\u00dfe')).to.deep.equal([[SHARP, true]]);
      expect(await found('ann@stra\u00dfe')).to.deep.equal([['ann@stra\u00dfe.de', false]]);
      expect((await found('cy@')).map(([k]) => k)).to.have.members([
        'cy@\u0131bm.com',
        'cy@i\u0307bm.com',
      ]);
      const page = await s.suppressions.list({ unsubscribed: true }, null, 50);
      expect(page.rows.map((r) => r.emailKey)).to.include.members([
        SHARP,
        'ann@strasse.de',
        'cy@\u0131bm.com',
      ]);
      expect(page.total).to.equal(page.rows.length);
    });

    it('pages the console list through own and kept rows alike, newest first', async () => {
      const everything = await s.suppressions.list({}, null, 100);
      const seen: string[] = [];
      let after = null;
      for (let i = 0; i < 20; i++) {
        const page: Awaited<ReturnType<typeof s.suppressions.list>> = await s.suppressions.list(
          {},
          after,
          2,
        );
        seen.push(...page.rows.map((r) => r.emailKey));
        if (!page.next) break;
        after = page.next;
      }
      expect(seen).to.deep.equal(everything.rows.map((r) => r.emailKey));
      expect(new Set(seen).size).to.equal(seen.length);
      expect(everything.total).to.equal(seen.length);
    });

    it("a lift's preview counts an address whose kept opt-out is a complaint as protected", async () => {
      const dotless = await createLead(s, 'Cy@\u0131bm.com');
      const lift = { field: 'Unsubscribed', value: 'false' };
      const preview = await s.bulkChanges.preview({ emailContains: 'cy@' }, lift);
      expect(preview.sample.map((l) => [l.id, l.unsubscribed])).to.deep.equal([[dotless, true]]);
      expect(preview.protectedAddresses).to.equal(1);
      let refused: unknown = null;
      try {
        await s.bulkChanges.start({ emailContains: 'cy@' }, lift, 'op', {
          confirmProtected: false,
        });
      } catch (error) {
        refused = error;
      }
      expect(String(refused)).to.contain('confirm');
    });

    it('exports (full, filtered) hold every spelling a kept opt-out stands for', async () => {
      const full = await all(s.suppressions.export());
      expect(full).to.include.members([SHARP, 'cy@\u0131bm.com', 'cy@i\u0307bm.com']);
      expect(full.filter((k) => k === 'ann@stra\u00dfe.de')).to.have.length(1);
      // Listed since the migration's time: an export since then lists them, a later one not.
      expect(await all(s.suppressions.export(LISTED_AT))).to.include(SHARP);
      expect(await all(s.suppressions.export(LISTED_AT + 1))).not.to.include(SHARP);
      expect(
        await all(s.suppressions.exportFiltered({ addressContains: 'Stra\u00dfe' })),
      ).to.deep.equal(['ann@stra\u00dfe.de', SHARP]);
    });
  });
}
