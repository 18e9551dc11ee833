/**
 * A Salesforce untick (Unsubscribed false) racing an opt-out of the same address by another
 * path, on another connection: the opt-out commits after the untick read the address's status
 * and before the untick wrote. The opt-out was answered as done, and is newer than the untick:
 * the address must end unsubscribed, whichever transaction the store lets commit first.
 */
import { expect } from 'chai';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { SalesforceSyncService } from '../../src/domain/salesforce-sync.service.js';
import type { Services } from '../../src/domain/services.js';
import { ORG_ID, leadNotification } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { harnessPerSuite, type Harness } from '../support/harness.js';
import { racingAfterStatusRead } from '../support/raced-status-read.js';

for (const engine of testEngines()) {
  describe(`a Salesforce untick racing an opt-out of its address (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    let two: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      two = opened.openAnother(opened.clock.now);
    });
    let n = 500;
    let record = 100;

    const optOuts: Array<[string, (email: string) => Promise<unknown>]> = [
      [
        'a one-click link',
        (email) => two.links.unsubscribe({ email, linkId: 'fedcba9876543210', list: null }),
      ],
      [
        'a web service syncLead of another person',
        (email) =>
          two.leads.sync(
            { email: email.toUpperCase(), attributes: [{ name: 'Unsubscribed', value: 'true' }] },
            { path: ChangePaths.webService(), matchByEmail: false },
          ),
      ],
    ];

    for (const [how, optOut] of optOuts) {
      it(`${how}, committed between the untick's status read and its write`, async () => {
        const email = `untick${++record}@sf-race.example`;
        const t0 = h.clock.t;
        await h.services.salesforce.apply(ORG_ID, [
          leadNotification(++n, record, { Email: email, Unsubscribed: 'true' }, t0 - 60000),
        ]);
        // Salesforce's untick, made after its own opt-out and before the other path's.
        const race = racingAfterStatusRead(new UnitOfWork(h.db), 'get', () => optOut(email), 1500);
        const racing = new SalesforceSyncService(race.tx, h.services.leads, h.services.catalogue, {
          now: h.clock.now,
        });
        const [result] = await racing.apply(ORG_ID, [
          leadNotification(++n, record, { Unsubscribed: 'false', FirstName: 'Sam' }, t0 - 30000),
        ]);
        expect(result!.outcome).to.equal('APPLIED');
        await race.done();
        const report = await h.services.durableStatus.explain(email);
        expect(report.status?.unsubscribed, 'the acknowledged opt-out holds').to.equal(true);
        for (const lead of report.leads) expect(lead.unsubscribed).to.equal(true);
        expect(await h.services.durableStatus.findViolations()).to.deep.equal([]);
      });
    }
  });
}
