/**
 * A Salesforce record reported opted out with an address its person here no longer holds
 * (moved here by another path): the report dates the record's opt-out of that address
 * (reportedAt, salesforce-beneath.ts) no earlier than the address's last re-subscribe. An
 * operator's lift of the address committing between that read and the report's commit would
 * otherwise be taken for one made after the report: the record's opt-out, reported after it,
 * would count as lifted by it, and a later suppression's lift would not find it beneath.
 */
import { expect } from 'chai';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { SalesforceSyncService } from '../../src/domain/salesforce-sync.service.js';
import { ORG_ID, leadNotification } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import {
  expectLiftShowsSalesforceBeneath,
  harnessPerSuite,
  web,
  type Harness,
} from '../support/harness.js';
import { racingAfterStatusRead } from '../support/raced-status-read.js';
import { listRows } from '../support/suppression-list.js';

for (const engine of testEngines()) {
  describe(`a Salesforce opt-out reported with an address its person left, racing a lift of it (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });

    it("a lift committed while the report is applied: the record's opt-out is found beneath the next suppression", async () => {
      const [email, moved] = ['left@report.example', 'moved@report.example'];
      const t0 = h.clock.t;
      const recordNo = 31;
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(1, recordNo, { Email: email, Unsubscribed: 'true' }, t0 - 60000),
      ]);
      // The person moves here (the web service); Salesforce still holds the record at the
      // old address, opted out. An operator lifts that address (Salesforce's status, shown as
      // such), then a list suppresses it again.
      const [person] = await h.services.leads.find({ keyType: 'EMAIL', keyValue: email });
      await h.services.leads.sync({ id: person!.id, email: moved }, { path: web });
      const lift = {
        address: email,
        unsubscribed: false,
        path: { ...ChangePaths.addressStatus('alice'), operator: true },
        reason: 'Resolved',
        confirmProtected: true,
      };
      await h.services.durableStatus.setAddressStatus(lift);
      await h.services.suppressions.import(listRows([{ email, reason: 'bounced' }]));
      // Salesforce reports the record again (another field), still opted out at the old
      // address, while the operator lifts the list's suppression on another connection.
      const other = h.openAnother(h.clock.now);
      const race = racingAfterStatusRead(
        new UnitOfWork(h.db),
        'lastSubscribedAt',
        () => other.durableStatus.setAddressStatus(lift),
        1500,
      );
      const listener = new SalesforceSyncService(race.tx, h.services.leads, h.services.catalogue, {
        now: h.clock.now,
      });
      const [result] = await listener.apply(ORG_ID, [
        leadNotification(
          2,
          recordNo,
          { Email: email, Unsubscribed: 'true', FirstName: 'Sam' },
          t0 - 30000,
        ),
      ]);
      expect(result!.outcome).to.equal('APPLIED');
      const raced = (await race.done()) as { outcome: string };
      if (raced.outcome !== 'salesforce_beneath') {
        // The lift went first: the report, committed after it, follows it. A suppression
        // listed again, lifted, shows the record's opt-out beneath it.
        expect((await h.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(
          false,
        );
        await h.services.suppressions.import(listRows([{ email, reason: 'bounced' }]));
        await expectLiftShowsSalesforceBeneath(h.services, email);
      }
      expect((await h.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
    });
  });
}
