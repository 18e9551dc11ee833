import { expect } from 'chai';
import pg from 'pg';
import type { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { inlined, pgLiteral } from '../../src/data-access/sql/fixed-sql.js';
import { fixedSql, runStatement } from '../../src/data-access/sql/statement.js';
import { LeadRepository } from '../../src/data-access/sql/lead.repository.js';
import { testEngines } from '../support/database.js';
import { createLead, type Harness } from '../support/harness.js';
import { openUnitOfWork } from '../support/step-units.js';

const COUNT_STATUS = fixedSql('SELECT count(*) AS n FROM email_status WHERE email_key = ?');

for (const engine of testEngines()) {
  describe(`fixed statements past the query builder (${engine.name})`, () => {
    let h: Harness;
    let uow: UnitOfWork;

    before(async () => ({ h, uow } = await openUnitOfWork(engine)));
    after(() => h.drop());

    const statusCount = async (key: string) =>
      Number((await runStatement(h.db.knex, COUNT_STATUS, [key])).rows[0]!.n);

    it('run inside a write on the transaction, and vanish with its rollback', async () => {
      const failed = uow.write(async (r) => {
        await r.lockEmailKeys(['rolled@fixed.example']);
        await r.setStatusAndPropagate(
          {
            emailKey: 'rolled@fixed.example',
            unsubscribed: true,
            reason: null,
            source: 'test',
            leadId: null,
            changedAt: 1,
          },
          null,
          { attributeName: 'Unsubscribed', reason: 'propagated', source: 'test' },
        );
        // Seen by the transaction's own next statement, so it ran on that connection.
        expect((await r.emailStatus.get('rolled@fixed.example'))?.unsubscribed).to.equal(true);
        throw new Error('undo');
      });
      await failed.then(
        () => expect.fail('the write should fail'),
        (error: Error) => expect(error.message).to.equal('undo'),
      );
      expect(await statusCount('rolled@fixed.example')).to.equal(0);
      expect(await uow.read((r) => r.emailStatus.get('rolled@fixed.example'))).to.equal(null);
    });

    it('give back the rows of RETURNING and the count of rows changed', async () => {
      const id = await createLead(h.services, 'returning@fixed.example');
      const leads = new LeadRepository(h.db.knex, h.db.engine);
      expect(await leads.update(id, { columns: { first_name: 'Quote "me"' } }, 42)).to.equal(true);
      const after = await leads.findById(id);
      expect(after).to.include({ id, updatedAt: 42 });
      expect(after!.columns.first_name).to.equal('Quote "me"');
      expect(await leads.update(987654, { columns: { first_name: 'x' } }, 43)).to.equal(false);
      const changed = await runStatement(
        h.db.knex,
        fixedSql('UPDATE leads SET updated_at = ? WHERE email_key = ?'),
        [44, 'returning@fixed.example'],
      );
      expect(changed.changes).to.equal(1);
    });

    it('read the latest holder of an address, and at most `limit` of them', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push(await createLead(h.services, 'many@fixed.example'));
      const leads = new LeadRepository(h.db.knex, h.db.engine);
      expect((await leads.findLatestByEmailKey('many@fixed.example'))?.id).to.equal(ids[2]);
      const two = await leads.findByEmailKey('many@fixed.example', false, 2);
      expect(two.map((l) => l.id)).to.deep.equal([ids[2], ids[1]]);
      const all = await leads.findByEmailKey('many@fixed.example');
      expect(all.map((l) => l.id)).to.deep.equal([...ids].reverse());
      expect(await leads.findByEmailKey('many@fixed.example', false, 0)).to.deep.equal([]);
      await leads.findByEmailKey('many@fixed.example', false, 1.5).then(
        () => expect.fail('a fractional limit should be refused'),
        (error: Error) => expect(error).to.be.instanceOf(RangeError),
      );
    });

    if (engine.name === 'postgres') {
      it('name no server-side statement (a transaction-mode pooler may switch servers)', async () => {
        const named: unknown[] = [];
        const original = pg.Client.prototype.query;
        pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
          const config = args[0] as { name?: string } | string;
          if (typeof config === 'object' && config.name) named.push(config.name);
          return (original as (...a: unknown[]) => unknown).apply(this, args);
        } as typeof original;
        try {
          const id = await createLead(h.services, 'named@fixed.example');
          const leads = new LeadRepository(h.db.knex, h.db.engine);
          await leads.findById(id);
          await leads.findLatestByEmailKey('named@fixed.example');
          await uow.write((r) => r.leads.findById(id, true));
        } finally {
          pg.Client.prototype.query = original;
        }
        expect(named).to.deep.equal([]);
      });

      it('write hostile values into the text so that they come back unchanged', async () => {
        const hostile = [
          '',
          "'",
          "''; DROP TABLE leads; --",
          '?',
          '$1',
          'a?b$2\\?',
          '\\',
          "\\'",
          "E'\\x41'",
          '$$ $q$',
          '-- comment',
          '/* open',
          'ünïcödé ✓ 𝄞',
          '\u2028\u2029\r\n\t',
        ];
        const echo = fixedSql('SELECT ? AS v, ? AS w, ? AS x, ? AS y');
        for (const value of hostile) {
          const inline = inlined(echo, [value, -1, true, null]);
          expect(inline, value).to.not.equal(null);
          expect(inline!.postgres).to.not.include('?');
          const { rows } = await runStatement(h.db.knex, inline!, []);
          expect(rows[0], value).to.deep.equal({ v: value, w: -1, x: true, y: null });
          // And through runStatement, which writes them in itself.
          const bound = await runStatement(h.db.knex, echo, [value, -1, true, null]);
          expect(bound.rows[0], value).to.deep.equal({ v: value, w: -1, x: true, y: null });
        }
        // What cannot be written in is left to the bindings.
        expect(inlined(echo, ['nul\0', 1, true, null])).to.equal(null);
        expect(inlined(echo, ['x', 1.5, true, null])).to.equal(null);
        expect(inlined(echo, ['x', 1, {}, null])).to.equal(null);
        expect(() => pgLiteral('nul\0')).to.throw(RangeError);
        expect(pgLiteral(-5)).to.equal('(-5)');
      });
    }
  });
}
