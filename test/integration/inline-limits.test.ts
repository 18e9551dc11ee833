/**
 * Row limits are written into the SQL, not bound: SQLite plans a bound LIMIT blind, and the
 * one-row lookup by address every sync starts with cost almost three times as much.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  createLead,
  emailKeyOf,
  idKey,
  openHarness,
  web,
  type Harness,
} from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`row limits in the SQL (${engine.name})`, () => {
    let h: Harness;
    before(async () => {
      h = await openHarness(engine);
    });
    after(() => h.drop());

    it('reads, syncs and pages without a bound LIMIT', async () => {
      const s = h.services;
      const id = await createLead(s, 'limits@x.example');
      const seen: Array<{ sql: string; bindings: unknown[] }> = [];
      const listen = (q: { sql: string; bindings?: unknown[] }) =>
        seen.push({ sql: q.sql, bindings: q.bindings ?? [] });
      // Reads and writes: on SQLite, reads go to the reader threads' own knex.
      const knexes = [...new Set([h.db.knex, h.db.readKnex])];
      for (const knex of knexes) knex.on('query', listen);
      try {
        await s.leads.sync({ email: 'limits@x.example', attributes: [] }, { path: web });
        await s.leads.find(emailKeyOf('limits@x.example'));
        await s.activities.listForLead(idKey(id), { batchSize: 10 });
        await s.activities.changes({ offset: 'ID:0' }, { batchSize: 10 });
        await s.leads.listUpdated({ oldest: 0, latest: null }, null, 10);
      } finally {
        for (const knex of knexes) knex.off('query', listen);
      }
      const limited = seen.filter((q) => /\blimit\b/i.test(q.sql));
      expect(limited.length, 'queries with a LIMIT').to.be.greaterThan(3);
      for (const q of limited) expect(q.sql, q.sql).to.match(/\blimit \d+/i);
    });
  });
}
