/**
 * A re-subscribe made in Salesforce and delivered late must not lift an opt-out acknowledged
 * here after it (keepNewerOptOut, newer-opt-out.ts) — also when that opt-out found the
 * address unsubscribed already, by Salesforce itself: then no person changed (rule 7), and
 * only the master status can tell that a newer opt-out was acknowledged.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { ORG_ID, leadNotification } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { flagsByEmail, harnessPerSuite, type Harness } from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`a late Salesforce untick against an opt-out acknowledged since (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });
    let n = 100;
    let record = 0;

    const flags = (email: string) => flagsByEmail(h.services, email);

    const optOuts: Array<[string, (email: string) => Promise<unknown>]> = [
      [
        'a one-click link',
        (email) => h.services.links.unsubscribe({ email, linkId: '0123456789abcdef', list: null }),
      ],
      [
        'a web service syncLead',
        (email) =>
          h.services.leads.sync(
            { email, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
            { path: ChangePaths.webService() },
          ),
      ],
      [
        'a suppression list',
        async (email) => {
          async function* rows() {
            yield { line: 2, email };
          }
          await h.services.suppressions.import(rows());
        },
      ],
    ];

    for (const [how, optOut] of optOuts) {
      for (const untickAfter of [false, true]) {
        it(`${how} on Salesforce's own unsubscribe, the untick made ${untickAfter ? 'after' : 'before'} it`, async () => {
          const email = `late${++record}@sf.example`;
          const t0 = h.clock.t;
          await h.services.salesforce.apply(ORG_ID, [
            leadNotification(++n, record, { Email: email, Unsubscribed: 'true' }, t0 - 60000),
          ]);
          h.clock.set(t0 + 3000);
          await optOut(email);
          expect(await flags(email)).to.deep.equal([true]);
          // Salesforce's untick, delivered two minutes late; made after the opt-out means past
          // SFDC_CLOCK_MARGIN_SECONDS (60 s): within it, an untick counts as made before.
          h.clock.set(t0 + 120000);
          const stamp = t0 + (untickAfter ? 70000 : 2000);
          const [result] = await h.services.salesforce.apply(ORG_ID, [
            leadNotification(++n, record, { Unsubscribed: 'false', FirstName: 'Sam' }, stamp),
          ]);
          expect(result!.outcome).to.equal('APPLIED');
          expect(await flags(email)).to.deep.equal([!untickAfter]);
          expect(await h.services.durableStatus.findViolations()).to.deep.equal([]);
          h.clock.set(t0 + 180000);
        });
      }
    }
  });
}
