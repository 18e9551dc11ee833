/**
 * Plain reads do not wait for write transactions: on SQLite they use a second, read-only
 * connection (WAL), on PostgreSQL another pooled connection. They see the last commit only.
 */
import { expect } from 'chai';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { testEngines } from '../support/database.js';
import { createLead, openHarness, type Harness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`reads while a write transaction is open (${engine.name})`, () => {
    let h: Harness;
    before(async () => {
      h = await openHarness(engine);
    });
    after(() => h.drop());

    it('answers from the last commit without waiting for the writer', async () => {
      const id = await createLead(h.services, 'reader@x.example');
      const uow = new UnitOfWork(h.db);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let wrote!: () => void;
      const written = new Promise<void>((r) => (wrote = r));
      const writer = uow.write(async (repos) => {
        await repos.leads.update(id, { columns: { first_name: 'Uncommitted' } }, Date.now());
        wrote();
        await held;
      });
      await written;

      const read = uow.read((repos) => repos.leads.findById(id));
      const outcome = await Promise.race([
        read.then((lead) => lead?.columns.first_name ?? null),
        new Promise<string>((r) => setTimeout(() => r('still waiting'), 2000)),
      ]);
      expect(outcome).to.equal(null);

      release();
      await writer;
      const after = await uow.read((repos) => repos.leads.findById(id));
      expect(after?.columns.first_name).to.equal('Uncommitted');
    });

    if (engine.name === 'sqlite') {
      it('the reading connection cannot write', async () => {
        const reader = h.db.reader;
        expect(reader, 'a reader on a SQLite file').to.not.equal(undefined);
        let failure: unknown;
        try {
          await reader!('leads').update({ first_name: 'x' });
        } catch (error) {
          failure = error;
        }
        expect(String(failure)).to.match(/readonly|read-only|query_only/i);
      });
    }
  });
}
