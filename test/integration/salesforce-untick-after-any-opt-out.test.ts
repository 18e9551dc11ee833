/**
 * A late Salesforce untick must not lift an opt-out acknowledged after it by any path, whoever
 * made the address's master status before: once a Salesforce record of the address is reported
 * opted out, every later opt-out of the address is recorded, and the untick compares against
 * it (acknowledged-opt-outs.ts, keepNewerOptOut, newer-opt-out.ts).
 *
 * The two ways the audit found it lost:
 * - a web service unsubscribes the address; a Salesforce record of it reports an opt-out
 *   (nothing recorded, unsubscribed already); a later opt-out by another path is acknowledged;
 *   the record's untick, made before that opt-out, arrives;
 * - Salesforce unsubscribes the address; a web service's opt-out is recorded over it; a later
 *   opt-out by another path is acknowledged; the untick, made before it, arrives.
 * An untick made after that opt-out still re-subscribes the address, as documented. One made
 * before the record's tick reached the service, on an address another path had unsubscribed,
 * is not applied: an opt-out acknowledged meanwhile left no trace.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { ORG_ID, leadNotification } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { flagsByEmail, harnessPerSuite, type Harness } from '../support/harness.js';

const optedOut = [{ name: 'Unsubscribed', value: 'true' }];

for (const engine of testEngines()) {
  describe(`a late Salesforce untick against any later opt-out (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });
    let n = 5000;
    let record = 5000;

    const flags = (email: string) => flagsByEmail(h.services, email);

    const firstOptOuts: Array<
      [string, (email: string, recordNo: number, t0: number) => Promise<void>]
    > = [
      [
        'a web service unsubscribed it, then a Salesforce record reported an opt-out',
        async (email, recordNo, t0) => {
          await h.services.leads.sync(
            { email, attributes: optedOut },
            { path: ChangePaths.webService('crm') },
          );
          h.clock.set(t0 + 1000);
          await h.services.salesforce.apply(ORG_ID, [
            leadNotification(++n, recordNo, { Email: email, Unsubscribed: 'true' }, t0 + 1000),
          ]);
        },
      ],
      [
        "Salesforce unsubscribed it, then a web service's opt-out was recorded over it",
        async (email, recordNo, t0) => {
          await h.services.salesforce.apply(ORG_ID, [
            leadNotification(++n, recordNo, { Email: email, Unsubscribed: 'true' }, t0),
          ]);
          h.clock.set(t0 + 1000);
          await h.services.leads.sync(
            { email, attributes: optedOut },
            { path: ChangePaths.webService('crm') },
          );
        },
      ],
    ];

    const laterOptOuts: Array<[string, (email: string, at: number) => Promise<unknown>]> = [
      [
        "a link's one-click POST",
        (email) => h.services.links.unsubscribe({ email, linkId: 'a1b2c3d4e5f60718', list: null }),
      ],
      [
        "a link's page",
        (email) =>
          h.services.links.unsubscribe({ email, linkId: 'a1b2c3d4e5f60718', list: null }, 'page'),
      ],
      [
        'the same web service again (syncLead)',
        (email) =>
          h.services.leads.sync(
            { email, attributes: optedOut },
            { path: ChangePaths.webService('crm') },
          ),
      ],
      [
        'another web service (syncLead)',
        (email) =>
          h.services.leads.sync(
            { email, attributes: optedOut },
            { path: ChangePaths.webService('erp') },
          ),
      ],
      [
        'syncMultipleLeads',
        async (email) => {
          const [answer] = await h.services.leads.syncMany([{ email, attributes: optedOut }], {
            path: ChangePaths.webService('crm'),
          });
          expect(answer).to.not.be.instanceOf(Error);
        },
      ],
      [
        "an operator's suppression",
        (email) =>
          h.services.durableStatus.setAddressStatus({
            address: email,
            unsubscribed: true,
            path: ChangePaths.addressStatus('alice'),
            reason: 'Asked by phone',
            confirmProtected: false,
          }),
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
      [
        'another Salesforce record ticked',
        (email, at) =>
          h.services.salesforce.apply(ORG_ID, [
            leadNotification(++n, ++record, { Email: email, Unsubscribed: 'true' }, at),
          ]),
      ],
    ];

    // Salesforce's tick and untick both delivered after another path's opt-out made after the
    // untick: nothing was marked when that opt-out was acknowledged, so nothing recorded it.
    for (const [how, optOut] of laterOptOuts.slice(0, -1)) {
      it(`a tick and an untick delivered late, after ${how}: the untick is not applied`, async () => {
        const email = `both-late${++record}@any.example`;
        const recordNo = record;
        const t0 = h.clock.t;
        await h.services.leads.sync(
          { email, attributes: optedOut },
          { path: ChangePaths.webService('crm') },
        );
        h.clock.set(t0 + 3000);
        await optOut(email, t0 + 3000);
        h.clock.set(t0 + 60000);
        const fields = { Email: email, Unsubscribed: 'true' };
        await h.services.salesforce.apply(ORG_ID, [
          leadNotification(++n, recordNo, fields, t0 + 1000),
          leadNotification(++n, recordNo, { Unsubscribed: 'false' }, t0 + 2000),
        ]);
        const now = await flags(email);
        expect(now).to.deep.equal(now.map(() => true));
        expect((await h.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
      });
    }

    it('an untick made after the tick reached the service re-subscribes, the address unsubscribed by another path before', async () => {
      const email = `in-time${++record}@any.example`;
      const t0 = h.clock.t;
      await h.services.leads.sync(
        { email, attributes: optedOut },
        { path: ChangePaths.webService() },
      );
      h.clock.set(t0 + 1000);
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(++n, record, { Email: email, Unsubscribed: 'true' }, t0 + 1000),
      ]);
      // Past SFDC_CLOCK_MARGIN_SECONDS (60 s) after the tick was marked: within it, the untick
      // would count as made before.
      h.clock.set(t0 + 120000);
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(++n, record, { Unsubscribed: 'false' }, t0 + 90000),
      ]);
      const now = await flags(email);
      expect(now).to.deep.equal(now.map(() => false));
    });

    for (const [before, first] of firstOptOuts) {
      describe(before, () => {
        for (const [how, optOut] of laterOptOuts) {
          for (const untickAfter of [false, true]) {
            it(`${how}; the untick made ${untickAfter ? 'after it re-subscribes' : 'before it is refused'}`, async () => {
              const email = `untick${++record}@any.example`;
              const recordNo = record;
              const t0 = h.clock.t;
              await first(email, recordNo, t0);
              h.clock.set(t0 + 3000);
              await optOut(email, t0 + 3000);
              expect(await flags(email)).to.satisfy((f: boolean[]) => f.every(Boolean));
              // The record's untick, delivered two minutes late; made after the opt-out means
              // past SFDC_CLOCK_MARGIN_SECONDS (60 s): within it, it counts as made before.
              h.clock.set(t0 + 120000);
              const stamp = t0 + (untickAfter ? 70000 : 2000);
              const [result] = await h.services.salesforce.apply(ORG_ID, [
                leadNotification(++n, recordNo, { Unsubscribed: 'false', FirstName: 'Sam' }, stamp),
              ]);
              expect(result!.outcome).to.equal('APPLIED');
              const now = await flags(email);
              expect(now.length).to.be.at.least(1);
              expect(now).to.deep.equal(now.map(() => !untickAfter));
              const status = (await h.services.durableStatus.explain(email)).status;
              expect(status?.unsubscribed).to.equal(!untickAfter);
              expect(await h.services.durableStatus.findViolations()).to.deep.equal([]);
              h.clock.set(t0 + 180000);
            });
          }
        }
      });
    }
  });
}
