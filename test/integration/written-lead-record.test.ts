import { expect } from 'chai';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { updateTexts } from '../../src/data-access/sql/lead-update-texts.js';
import type { CustomFieldDeclaration } from '../../src/config.js';
import type { LeadInput, SyncResult } from '../../src/domain/lead.types.js';
import type { LeadUpdate } from '../../src/domain/records.js';
import { testEngines } from '../support/database.js';
import {
  createLead,
  expectNoViolations,
  getLead,
  openHarness,
  web,
  type Harness,
} from '../support/harness.js';

/**
 * The UPDATE of a person gives back its new change_seq alone, and the lead a write answers with
 * is the locked record read before it with the change applied (lead-row.ts, updatedRecord):
 * what syncLead answers (returnLead) and what getLead reads after it must be the same lead,
 * for every type a column or a custom field has, whichever path wrote it (the guarded step of
 * a person found by a plain read, the locked path), and the record itself (change_seq
 * included) what reading the row gives.
 */

const CUSTOM: CustomFieldDeclaration[] = [
  { name: 'cString', type: 'string' },
  { name: 'cText', type: 'text' },
  { name: 'cInteger', type: 'integer' },
  { name: 'cFloat', type: 'float' },
  { name: 'cBoolean', type: 'boolean' },
  { name: 'cDate', type: 'date' },
  { name: 'cDateTime', type: 'datetime' },
];

const attrs = (values: Record<string, string>) =>
  Object.entries(values).map(([name, value]) => ({ name, value }));

/** A value of every standard column's type and of every custom field's. */
const EVERYTHING = {
  FirstName: "Ann 'Quoted' ? \\ Ünïcode 😀",
  Address: 'Line one\nLine two',
  LeadScore: '-42',
  NumberOfEmployees: '2147483647',
  AnnualRevenue: '12345.678',
  DateOfBirth: '1990-02-28',
  DoNotCall: 'true',
  EmailInvalid: '0',
  UnsubscribedReason: 'asked by phone',
  cString: '  padded  ',
  cText: 'x'.repeat(300),
  cInteger: '7',
  cFloat: '0.1',
  cBoolean: 'false',
  cDate: '2024-02-29',
  cDateTime: '2026-01-02T03:04:05.678+01:00',
};

for (const engine of testEngines()) {
  describe(`the lead a write answers with (${engine.name})`, () => {
    let h: Harness;

    beforeEach(async () => {
      h = await openHarness(engine, CUSTOM);
    });
    afterEach(async () => {
      await expectNoViolations(h.services);
      await h.drop();
    });

    /** The answer's lead is the lead getLead reads after it. */
    const answered = async (input: LeadInput, matchByEmail?: boolean): Promise<SyncResult> => {
      const result = await h.services.leads.sync(input, {
        path: web,
        ...(matchByEmail === undefined ? {} : { matchByEmail }),
      });
      expect(result.lead, JSON.stringify(input)).to.deep.equal(
        await getLead(h.services, result.leadId),
      );
      return result;
    };

    it('gives back the row’s change_seq alone, not the whole row', () => {
      const texts = updateTexts(engine.name === 'postgres' ? 'postgres' : 'sqlite', '"x" = ?');
      expect(texts.update.postgres).to.match(/ RETURNING change_seq$/);
      expect(texts.logged.postgres).to.match(/SELECT change_seq FROM u$/);
    });

    it('syncLead answers what getLead then reads: creates, updates, unsubscribes, address changes', async () => {
      const created = await answered({
        email: 'one@written.example',
        attributes: attrs(EVERYTHING),
      });
      expect(created.status).to.equal('CREATED');
      const id = created.leadId;
      // Another person of the address: the unsubscribes below propagate to it.
      const other = await createLead(h.services, 'one@written.example');
      // By address (the guarded step), every attribute changed.
      await answered({
        email: 'one@written.example',
        attributes: attrs({
          FirstName: 'Bea',
          Address: 'Elsewhere',
          LeadScore: '0',
          NumberOfEmployees: '-2147483648',
          AnnualRevenue: '1e21',
          DateOfBirth: '2000-01-01',
          DoNotCall: 'false',
          EmailInvalid: 'true',
          cString: 'changed',
          cText: 'short',
          cInteger: '-1',
          cFloat: '3.5e-7',
          cBoolean: 'true',
          cDate: '1999-12-31',
          cDateTime: '2026-06-30T23:59:59Z',
        }),
      });
      // Cleared (empty text is null), by id.
      await answered({ id, attributes: attrs({ FirstName: '', AnnualRevenue: '', cFloat: '' }) });
      // Unsubscribed by address, with a reason; then by id; the other person follows.
      await answered({
        email: 'one@written.example',
        attributes: attrs({ Unsubscribed: 'true', UnsubscribedReason: 'no more' }),
      });
      expect((await getLead(h.services, other)).unsubscribed).to.equal(true);
      await answered({ id: other, attributes: attrs({ Unsubscribed: 'false', LastName: 'Back' }) });
      await answered({ id, attributes: attrs({ Unsubscribed: 'true' }) });
      // An address change by id, then to an unsubscribed address (rule 5: the flag follows).
      await answered({ id, email: 'two@written.example', attributes: attrs({ Title: 'Moved' }) });
      const suppressed = await createLead(h.services, 'three@written.example', {
        unsubscribed: true,
      });
      await answered({ id: other, email: 'three@written.example' });
      expect((await getLead(h.services, other)).unsubscribed).to.equal(true);
      // A foreign id and type set (the locked path), then the address key dropped.
      await answered({ id, foreignSysPersonId: 'F-1', foreignSysType: 'SFDC' });
      await answered({ id, email: null, attributes: attrs({ cString: 'no address' }) });
      // Matched by address, no change: the person as read.
      await answered({ email: 'three@written.example' });
      expect(suppressed).to.be.a('number');
    });

    it('updateLogged gives back the record reading the row gives, change_seq included', async () => {
      const uow = new UnitOfWork(h.db);
      const id = await createLead(h.services, 'record@written.example');
      await answered({ id, attributes: attrs(EVERYTHING) });
      const changes: LeadUpdate[] = [
        { columns: { first_name: 'Cy', lead_score: 12, annual_revenue: 0.25, do_not_call: true } },
        { columns: { first_name: null, date_of_birth: '1970-01-01', unsubscribed_reason: null } },
        { unsubscribed: true, columns: { unsubscribed: true } },
        { email: 'moved@written.example', emailKey: 'moved@written.example' },
        { custom: { cString: 'kept', cInteger: 3, cBoolean: true, cFloat: 1.5 } },
        { foreignSysPersonId: 'F-9', foreignSysType: 'CUSTOM' },
        // A column left undefined is not written (updateRow): it keeps its value.
        { columns: { first_name: undefined as unknown as null, last_name: 'Undefined left' } },
        // As the flag's master status says (none: subscribed), for the invariant check.
        { unsubscribed: false, columns: { unsubscribed: false } },
      ];
      for (const change of changes) {
        const [after, read] = await uow.write(async (r) => {
          const lead = (await r.leads.findById(id, true))!;
          await r.lockEmailKeys([lead.emailKey, change.emailKey ?? null]);
          const written = await r.updateLogged(lead, change, h.clock.now(), []);
          return [written, await r.leads.findById(id)];
        });
        expect(after, JSON.stringify(change)).to.deep.equal(read);
      }
    });
  });
}
