/**
 * An address repeated in a suppression list: the first line that is imported wins, and the
 * memory spent remembering addresses stays bounded however long the list is.
 */
import { expect } from 'chai';
import type { SuppressionReject } from '../../src/domain/suppression.service.js';
import { SeenAddresses } from '../../src/domain/seen-addresses.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import {
  createLead,
  expectAppError,
  flags,
  harnessPerSuite,
  setFlag,
  type Harness,
} from '../support/harness.js';
import { ErrorCode } from '../../src/errors.js';
import { listRows } from '../support/suppression-list.js';

for (const engine of testEngines()) {
  describe(`suppression lists repeating an address (${engine.name})`, () => {
    let h: Harness;
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    it('a line rejected for its date does not make its corrected repeat a duplicate', async () => {
      // Before: the first line marked the address as seen before its date was refused, and the
      // corrected line after it was rejected as "duplicate of an earlier line": a valid
      // opt-out in the list, and the address left subscribed.
      h.clock.set(Date.UTC(2026, 5, 1, 12));
      const rejects: SuppressionReject[] = [];
      const counts = await s.suppressions.import(
        listRows([
          { email: 'typo-date@example.com', date: '2062-05-01' },
          { email: 'typo-date@example.com', date: '2026-05-01' },
          { email: 'Typo-Date@example.com', date: '2026-05-02' },
        ]),
        { onReject: (r) => rejects.push(r) },
      );
      expect(rejects.map((r) => [r.line, r.why])).to.deep.equal([
        [2, 'date is in the future'],
        [4, 'duplicate of an earlier line'],
      ]);
      expect(counts.suppressed).to.equal(1);
      const status = (await s.durableStatus.explain('typo-date@example.com')).status;
      expect(status?.unsubscribed).to.equal(true);
      expect(status?.changedAt).to.equal(Date.UTC(2026, 4, 1));
    });

    it('past the addresses it remembers, a repeat counts as already suppressed; within a batch it is still refused', async () => {
      // 600 addresses (two batches of the import) with room to remember 100: a repeat of one
      // remembered is a rejected duplicate; one not remembered reaches the database, which
      // leaves the address as it is; one repeated inside the batch being built is refused
      // (one write never holds an address twice). Before: every distinct address was kept
      // in a Set, hundreds of MiB for a list of millions, and a RangeError past 16,777,216.
      h.clock.set(Date.UTC(2026, 5, 1, 12));
      const list = Array.from({ length: 600 }, (_, i) => ({ email: `many-${i}@example.com` }));
      list.push({ email: 'many-550@example.com' }); // same batch as its first line
      list.push({ email: 'many-5@example.com' }); // remembered
      list.push({ email: 'many-300@example.com' }); // not remembered, written in batch one
      const rejects: SuppressionReject[] = [];
      const counts = await s.suppressions.import(listRows(list), {
        rememberedAddresses: 100,
        onReject: (r) => rejects.push(r),
      });
      expect(rejects.map((r) => r.email)).to.deep.equal([
        'many-550@example.com',
        'many-5@example.com',
      ]);
      expect(counts).to.deep.equal({
        rows: 603,
        suppressed: 600,
        alreadySuppressed: 1,
        peopleUnsubscribed: 0,
        rejected: 2,
      });
      const history = (await s.durableStatus.explain('many-300@example.com')).history;
      expect(history).to.have.length(1);
    });

    it('a repeat with a protected reason is imported: the complaint is kept, a web service re-subscribe refused', async () => {
      // Before: the complaint was rejected as "duplicate of an earlier line", the address kept
      // the plain opt-out of the first line, and any integration's Unsubscribed=false lifted it.
      const person = await createLead(s, 'repeat-complaint@example.com');
      const list = [
        { email: 'repeat-complaint@example.com', reason: 'asked by phone' },
        { email: 'repeat-other@example.com' },
        { email: 'Repeat-Complaint@example.com', reason: 'Spam complaint' },
        { email: 'repeat-complaint@example.com', reason: 'asked again' },
      ];
      const expected = {
        rows: 4,
        suppressed: 2,
        alreadySuppressed: 1,
        peopleUnsubscribed: 1,
        rejected: 1,
      };
      const dry: SuppressionReject[] = [];
      const planned = await s.suppressions.import(listRows(list), {
        dryRun: true,
        onReject: (r) => dry.push(r),
      });
      expect(planned).to.deep.equal(expected);
      const rejects: SuppressionReject[] = [];
      const counts = await s.suppressions.import(listRows(list), {
        onReject: (r) => rejects.push(r),
      });
      expect(counts).to.deep.equal(expected);
      for (const r of [dry, rejects])
        expect(r.map((x) => [x.line, x.why])).to.deep.equal([[5, 'duplicate of an earlier line']]);
      const status = (await s.durableStatus.explain('repeat-complaint@example.com')).status;
      expect(status?.reason).to.equal('Spam complaint');
      await expectAppError(setFlag(s, person, false), ErrorCode.LEAD_SYNC_FAILED);
      expect(await flags(s, [person])).to.deep.equal([true]);
    });
  });
}

describe('SeenAddresses', () => {
  it('answers whether a fingerprint was added, and stops remembering at its capacity', () => {
    const seen = new SeenAddresses(1000);
    for (let i = 0; i < 1000; i++) expect(seen.add(2 ** 47 + i * 7919)).to.equal(false);
    expect(seen.full).to.equal(true);
    for (let i = 0; i < 1000; i++) expect(seen.add(2 ** 47 + i * 7919)).to.equal(true);
    expect(seen.add(0)).to.equal(false);
    expect(seen.add(0)).to.equal(false); // not remembered: the table is full
    expect(new SeenAddresses(5).add(2 ** 48 - 1)).to.equal(false);
  });
});
