/**
 * An untick delivered late must not lift a newer opt-out that another Salesforce record reported
 * at the address, also when that record has since been reported at another address (moved in
 * Salesforce, still opted out): its opt-out of the old address was acknowledged, and is newer
 * than the untick.
 */
import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import {
  bySalesforceId,
  contactRecordId,
  leadRecordId,
  listenerPerSuite,
  modstampAt,
  type RunningListener,
} from './support.js';

for (const engine of testEngines()) {
  describe(`Salesforce: another record's opt-out, the record moved in Salesforce (${engine.name})`, function () {
    this.timeout(60000);
    let services: Services;
    let fresh: RunningListener['fresh'];
    let notify: RunningListener['notify'];
    listenerPerSuite(engine, (listener) => {
      ({ services, fresh, notify } = listener);
    });

    const statusOf = async (address: string) =>
      (await services.leads.find({ keyType: 'EMAIL', keyValue: address })).map(
        (p) => p.unsubscribed,
      );

    /**
     * The Lead is opted out at `old` at 10:00:10, the Contact at 10:00:30; the Contact is then
     * reported at `moved` at 10:00:40 (`box`: with HasOptedOutOfEmail still ticked, or without
     * the field); then the Lead's untick of `untickAt` arrives.
     */
    async function contactMovesAway(box: boolean, untickAt: number) {
      const n = fresh();
      const old = `left${n}@example.com`;
      const moved = `moved${n}@example.com`;
      const leadId = leadRecordId(n);
      const contactId = contactRecordId(n);
      await notify('Lead', leadId, {
        Email: old,
        HasOptedOutOfEmail: 'true',
        SystemModstamp: modstampAt(10),
      });
      await notify('Contact', contactId, {
        Email: old,
        HasOptedOutOfEmail: 'true',
        SystemModstamp: modstampAt(30),
      });
      await notify('Contact', contactId, {
        Email: moved,
        ...(box ? { HasOptedOutOfEmail: 'true' } : {}),
        SystemModstamp: modstampAt(40),
      });
      await notify('Lead', leadId, {
        Email: old,
        FirstName: 'Lee',
        HasOptedOutOfEmail: 'false',
        SystemModstamp: modstampAt(untickAt),
      });
      return { old, moved, leadId };
    }

    for (const box of [true, false]) {
      const how = box ? 'with its box ticked' : 'without its box';
      it(`keeps a Contact's newer opt-out of an address it moved away from (${how})`, async () => {
        // The Lead's untick of 10:00:20 was made before the Contact's opt-out at 10:00:30.
        const { old, moved, leadId } = await contactMovesAway(box, 20);
        const lead = await bySalesforceId(services, leadId);
        expect(lead.unsubscribed).to.equal(true);
        // The untick's other fields apply.
        expect(lead.attributes.find((a) => a.name === 'FirstName')?.value).to.equal('Lee');
        expect(await statusOf(old)).to.deep.equal([true]);
        expect(await statusOf(moved)).to.deep.equal([true]);
        expect(await services.durableStatus.findViolations()).to.deep.equal([]);
      });
    }

    it("lifts the address with an untick made after the moved Contact's opt-out", async () => {
      const { old, moved } = await contactMovesAway(true, 35);
      expect(await statusOf(old)).to.deep.equal([false]);
      expect(await statusOf(moved)).to.deep.equal([true]);
      expect(await services.durableStatus.findViolations()).to.deep.equal([]);
    });
  });
}
