/**
 * A suppression list's date says when the person opted out: a day the calendar has, in ISO
 * 8601 (or the shapes spreadsheets write), never after the import. Anything else is a rejected
 * line with its reason, never a status dated in year 0, a rolled-over day or the future.
 */
import { expect } from 'chai';
import type { SuppressionReject, SuppressionRow } from '../../src/domain/suppression.service.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { harnessPerSuite, type Harness } from '../support/harness.js';
import { listRows } from '../support/suppression-list.js';

for (const engine of testEngines()) {
  describe(`suppression import dates (${engine.name})`, () => {
    let h: Harness;
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    const load = async (list: Array<Omit<SuppressionRow, 'line'>>) => {
      const rejects: SuppressionReject[] = [];
      const counts = await s.suppressions.import(listRows(list), {
        onReject: (r) => rejects.push(r),
      });
      return { counts, rejects };
    };

    it('rejects a date in the future, of year 0000, a day the calendar lacks, or no ISO date', async () => {
      h.clock.set(Date.UTC(2026, 5, 1, 12));
      const { counts, rejects } = await load([
        { email: 'future@example.com', date: '2026-06-02' },
        { email: 'later-today@example.com', date: '2026-06-01T13:00:00Z' },
        { email: 'year-zero@example.com', date: '0000-01-01' },
        { email: 'rolled@example.com', date: '2026-02-30T00:00:00Z' },
        { email: 'words@example.com', date: 'March 7, 2020' },
        { email: 'bare-year@example.com', date: '2020' },
      ]);
      expect(counts.suppressed).to.equal(0);
      expect(rejects.map((r) => [r.email, r.why])).to.deep.equal([
        ['future@example.com', 'date is in the future'],
        ['later-today@example.com', 'date is in the future'],
        ...[
          'year-zero@example.com',
          'rolled@example.com',
          'words@example.com',
          'bare-year@example.com',
        ].map((email) => [
          email,
          'date is not an ISO 8601 date or date-time (a real day of the years 0001-9999)',
        ]),
      ]);
      for (const email of ['future@example.com', 'year-zero@example.com'])
        expect((await s.durableStatus.explain(email)).status).to.equal(null);
    });

    it('reads ISO 8601 and the spreadsheet shapes, a time without an offset as UTC', async () => {
      h.clock.set(Date.UTC(2026, 5, 1, 12));
      const { counts, rejects } = await load([
        { email: 'iso@example.com', date: '2026-01-02T03:04:05+01:00' },
        { email: 'day@example.com', date: '2026-01-02' },
        { email: 'sheet@example.com', date: '2026-01-02 03:04' },
        { email: 'leap@example.com', date: '2024-02-29T00:00:00Z' },
        { email: 'compact@example.com', date: '2026-01-02T03:04:05+0100' },
      ]);
      expect(rejects).to.deep.equal([]);
      expect(counts.suppressed).to.equal(5);
      const at = async (email: string) => (await s.durableStatus.explain(email)).status?.changedAt;
      expect(await at('iso@example.com')).to.equal(Date.UTC(2026, 0, 2, 2, 4, 5));
      expect(await at('day@example.com')).to.equal(Date.UTC(2026, 0, 2));
      expect(await at('sheet@example.com')).to.equal(Date.UTC(2026, 0, 2, 3, 4));
      expect(await at('leap@example.com')).to.equal(Date.UTC(2024, 1, 29));
      expect(await at('compact@example.com')).to.equal(Date.UTC(2026, 0, 2, 2, 4, 5));
    });
  });
}
