/**
 * A Salesforce opt-out that reached the service before a re-subscribe of its address committed,
 * waited for the address while it did, and committed after it: the address is then Salesforce's
 * opt-out, newer than the re-subscribe. An import's complaint recorded over it, and lifted by
 * an operator (confirmed), must show Salesforce's opt-out instead of re-subscribing the address
 * (salesforce-beneath.ts): the record's opt-out was acknowledged, and counts from its commit,
 * not from the moment its notification arrived. Found by the three-at-once model test
 * (durable-model-trios.test.ts, seed 11 on PostgreSQL).
 */
import { expect } from 'chai';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import type { Transactions } from '../../src/domain/ports.js';
import { SalesforceSyncService } from '../../src/domain/salesforce-sync.service.js';
import { ORG_ID, leadNotification } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import {
  createLead,
  expectLiftShowsSalesforceBeneath,
  harnessPerSuite,
  setFlag,
  type Harness,
} from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`a Salesforce opt-out committed after a re-subscribe it waited for (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });

    it("an operator's confirmed lift of a complaint over it shows it, not a re-subscribe", async () => {
      const email = 'waited@sf-lift.example';
      const person = await createLead(h.services, email);
      await setFlag(h.services, person, true);
      // The notification arrives now, and waits for the address while this re-subscribe of it
      // commits.
      const arrived = h.clock.now();
      await setFlag(h.services, person, false);
      // Its clock reads the moment it arrived until it holds the address's lock.
      let locked = false;
      const tx = new UnitOfWork(h.db);
      const waiting = new Proxy(tx, {
        get(target, name) {
          if (name !== 'write') {
            const value: unknown = Reflect.get(target, name, target);
            return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
          }
          return (work: Parameters<Transactions['write']>[0]) =>
            target.write((repos) =>
              work(
                new Proxy(repos, {
                  get(r, member) {
                    if (member !== 'lockEmailKeys') return Reflect.get(r, member, r) as unknown;
                    return async (keys: Array<string | null>) => {
                      await r.lockEmailKeys(keys);
                      locked = true;
                    };
                  },
                }),
              ),
            );
        },
      });
      const salesforce = new SalesforceSyncService(
        waiting,
        h.services.leads,
        h.services.catalogue,
        { now: () => (locked ? h.clock.now() : arrived) },
      );
      const [result] = await salesforce.apply(ORG_ID, [
        leadNotification(1, 1, { Email: email, Unsubscribed: 'true' }),
      ]);
      expect(result!.outcome).to.equal('APPLIED');
      expect((await h.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
      // A complaint imported over it: the status shows the import's reason.
      await h.services.suppressions.import(
        (async function* () {
          yield await Promise.resolve({ line: 2, email, reason: 'complaint' });
        })(),
      );
      await expectLiftShowsSalesforceBeneath(h.services, email);
    });
  });
}
