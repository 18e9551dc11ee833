/**
 * An address held by very many people (duplicates are normal, and nothing limits them): the
 * activity log of its key and the change stream of a selector naming it read every holder's
 * activities in one statement, which must not bind one value per holder (SQLite takes 32,766
 * of them, PostgreSQL 65,535: past that the call failed with 10001).
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { createLead, emailKeyOf, openHarness, web, type Harness } from '../support/harness.js';

const EMAIL = 'shared-by-many@example.com';
/** 2^16 holders: past both engines' limits on bound values. */
const DOUBLINGS = 16;

for (const engine of testEngines()) {
  describe(`an address held by ${2 ** DOUBLINGS} people (${engine.name})`, function () {
    this.timeout(120000);
    let h: Harness;
    let first: number;

    before(async () => {
      h = await openHarness(engine);
      first = await createLead(h.services, EMAIL);
      // Copies of the row, doubled again and again: quicker than creating each through the
      // service, and the same rows as far as reading the log is concerned.
      const knex = h.db.knex;
      const columns = (await knex('leads').columnInfo()) as Record<string, unknown>;
      const copied = Object.keys(columns)
        .filter((c) => c !== 'id')
        .map((c) => knex.raw('??', [c]).toQuery())
        .join(', ');
      for (let i = 0; i < DOUBLINGS; i++)
        await knex.raw(
          `INSERT INTO leads (${copied}) SELECT ${copied} FROM leads WHERE email = ?`,
          [EMAIL],
        );
    });
    after(() => h.drop());

    it('getLeadActivity by EMAIL reads every holder’s log', async () => {
      const page = await h.services.activities.listForLead(emailKeyOf(EMAIL), { batchSize: 10 });
      expect(page.activities.map((a) => a.leadId)).to.deep.equal([first]);
    });

    it('getLeadChanges with a LeadKeySelector naming it reads their changes', async () => {
      const page = await h.services.activities.changes(
        { offset: 'ID:0' },
        { leads: { keyType: 'EMAIL', values: [EMAIL] }, batchSize: 10 },
      );
      expect(page.activities.map((a) => a.leadId)).to.deep.equal([first]);
    });

    // Last: it deletes them.
    it('deleteLead by EMAIL deletes every holder', async () => {
      const deleted = await h.services.leads.delete(emailKeyOf(EMAIL), web);
      expect(deleted).to.have.length(2 ** DOUBLINGS);
      const [left] = await h.db.knex('leads').where('email', EMAIL).count({ n: '*' });
      expect(Number(left!.n)).to.equal(0);
    });
  });
}
