import { expect } from 'chai';
import type { LeadInput } from '../../src/domain/lead.types.js';
import type { Services } from '../../src/domain/services.js';
import { ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import {
  createLead,
  expectAppError,
  expectNoViolations,
  getLead,
  openHarness,
  snapshot,
  web,
  type Harness,
} from '../support/harness.js';

const unsub = { name: 'Unsubscribed', value: 'true' };

for (const engine of testEngines()) {
  describe(`bad input gives a typed error and changes nothing (${engine.name})`, () => {
    let h: Harness;
    let s: Services;
    let lead: number;

    before(async () => {
      h = await openHarness(engine, [
        { name: 'Shoe_Size', type: 'integer' },
        { name: 'Renewal', type: 'date' },
      ]);
      s = h.services;
      lead = await createLead(s, 'bad@example.com', { foreignId: 'bad-lead' });
      await createLead(s, 'BAD@example.com', { partition: 'East' });
      await createLead(s, 'bad-other@example.com', { foreignId: 'bad-other' });
    });
    after(() => h.drop());

    /** Runs a call that must fail with `code`, and shows every table is exactly as before. */
    async function refused(code: ErrorCode, call: () => Promise<unknown>): Promise<void> {
      const before = await snapshot(h.db);
      await expectAppError(call, code);
      expect(await snapshot(h.db)).to.deep.equal(before);
      await expectNoViolations(s);
    }
    const sync = (input: LeadInput, partition?: string) =>
      s.leads.sync(input, { path: web, partition });

    it('missing keys', async () => {
      await refused(ErrorCode.LEAD_DETAIL_REQUIRED, () => sync({}));
      await refused(ErrorCode.LEAD_DETAIL_REQUIRED, () => sync({ attributes: [] }));
      await refused(ErrorCode.LEAD_DETAIL_REQUIRED, () => sync({ attributes: [unsub] }));
      await refused(ErrorCode.LEAD_DETAIL_REQUIRED, () => sync({ email: '  ' }));
      await refused(ErrorCode.LEAD_KEY_REQUIRED, () =>
        s.leads.find({ keyType: 'EMAIL', keyValue: ' ' }),
      );
      await refused(ErrorCode.LEAD_KEY_REQUIRED, () =>
        s.leads.delete({ keyType: 'IDNUM', keyValue: '' }, web),
      );
    });

    it('bad keys and ids that exist nowhere', async () => {
      await refused(ErrorCode.LEAD_KEY_BAD, () => sync({ id: 0, attributes: [unsub] }));
      await refused(ErrorCode.LEAD_KEY_BAD, () => sync({ id: 2147483648, attributes: [unsub] }));
      await refused(ErrorCode.LEAD_KEY_BAD, () =>
        s.leads.find({ keyType: 'IDNUM', keyValue: 'x1' }),
      );
      // A key type this service holds no values for is valid and matches no lead.
      await refused(ErrorCode.LEAD_NOT_FOUND, () =>
        s.leads.find({ keyType: 'COOKIE', keyValue: 'id:123' }),
      );
      await refused(ErrorCode.LEAD_NOT_FOUND, () => sync({ id: 987654, attributes: [unsub] }));
      await refused(ErrorCode.LEAD_NOT_FOUND, () =>
        s.leads.delete({ keyType: 'IDNUM', keyValue: '987654' }, web),
      );
      await refused(ErrorCode.LEAD_NOT_FOUND, () =>
        s.leads.find({ keyType: 'SFDCLEADID', keyValue: 'nobody' }),
      );
    });

    it('malformed email, on create and on update together with an unsubscribe', async () => {
      const bad = [
        'no-at.example.com',
        'two words@example.com',
        'ctl\u0001@example.com',
        'trailing@',
        `${'a'.repeat(250)}@x.com`,
        // 'ß' of a local part folds to 'ss': its key would pass 254 characters.
        `${'ß'.repeat(200)}@x.com`,
      ];
      for (const email of bad) {
        await refused(ErrorCode.LEAD_ATTRIBUTE_BAD, () => sync({ email, attributes: [unsub] }));
        await refused(ErrorCode.LEAD_ATTRIBUTE_BAD, () =>
          sync({ id: lead, email, attributes: [unsub] }),
        );
      }
      await refused(ErrorCode.LEAD_ATTRIBUTE_BAD, () =>
        sync({ id: lead, attributes: [{ name: 'Email', value: 'nope' }, unsub] }),
      );
    });

    it('unknown attributes and values of the wrong type', async () => {
      const cases: Array<[string, string | null]> = [
        ['NoSuchField', 'x'],
        ['LeadScore', 'ten'],
        ['LeadScore', '2147483648'],
        ['AnnualRevenue', 'lots'],
        ['DoNotCall', 'maybe'],
        ['DateOfBirth', '2024-02-30'],
        ['Shoe_Size', 'big'],
        ['Renewal', '31/12/2026'],
        ['Unsubscribed', 'yes'],
        ['Unsubscribed', ''],
        ['Unsubscribed', null],
      ];
      for (const [name, value] of cases) {
        await refused(ErrorCode.LEAD_ATTRIBUTE_BAD, () =>
          sync({ id: lead, attributes: [unsub, { name, value }] }),
        );
        await refused(ErrorCode.LEAD_ATTRIBUTE_BAD, () =>
          sync({ email: 'bad-new@example.com', attributes: [unsub, { name, value }] }),
        );
      }
    });

    it('over-long values', async () => {
      await refused(ErrorCode.LEAD_ATTRIBUTE_BAD, () =>
        sync({ id: lead, attributes: [unsub, { name: 'FirstName', value: 'x'.repeat(256) }] }),
      );
      await refused(ErrorCode.LEAD_ATTRIBUTE_BAD, () =>
        sync({ id: lead, attributes: [unsub, { name: 'Address', value: 'x'.repeat(4001) }] }),
      );
      await refused(ErrorCode.LEAD_ATTRIBUTE_BAD, () =>
        sync({ id: lead, foreignSysPersonId: 'f'.repeat(256), attributes: [unsub] }),
      );
      await refused(ErrorCode.LEAD_ATTRIBUTE_BAD, () =>
        sync({ id: lead, foreignSysType: 'SAP' as never, attributes: [unsub] }),
      );
      await refused(ErrorCode.BAD_PARAMETER, () =>
        sync({ email: 'bad-part@example.com', attributes: [unsub] }, 'p'.repeat(65)),
      );
    });

    it('a failure after the unsubscribe was propagated leaves nothing half-done', async () => {
      // The foreign id belongs to another lead: found only after the flag, the master status
      // and the other lead of the address were written in the same transaction.
      await refused(ErrorCode.LEAD_SYNC_FAILED, () =>
        sync({ id: lead, foreignSysPersonId: 'bad-other', attributes: [unsub] }),
      );
      expect((await getLead(s, lead)).unsubscribed).to.equal(false);
      expect((await s.durableStatus.explain('bad@example.com')).status).to.equal(null);
    });

    it('accepts good values of the same fields, stored typed (the cases above can pass)', async () => {
      const result = await sync({
        id: lead,
        attributes: [
          { name: 'LeadScore', value: '10' },
          { name: 'Shoe_Size', value: '44' },
          { name: 'Renewal', value: '2026-12-31' },
          { name: 'DoNotCall', value: '1' },
        ],
      });
      expect(result.lead.attributes).to.deep.include.members([
        { name: 'LeadScore', type: 'integer', value: '10' },
        { name: 'Shoe_Size', type: 'integer', value: '44' },
        { name: 'Renewal', type: 'date', value: '2026-12-31' },
        { name: 'DoNotCall', type: 'boolean', value: 'true' },
      ]);
      await expectNoViolations(s);
    });
  });
}
