/**
 * Regressions found by the outside-in review of the durable rules (and by
 * test/integration/durable-model.test.ts): each one lost an acknowledged opt-out, or let a
 * path lift one it was not entitled to.
 */
import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { ORG_ID, leadNotification } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import {
  createLead,
  getLead,
  harnessPerSuite,
  idKey,
  web,
  type Harness,
} from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`durable rules review regressions (${engine.name})`, function () {
    this.timeout(60000);
    let s: Services;
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    it('mergeLeads: the opt-out of a loser without an address is carried to a winner that has one', async () => {
      const winner = await createLead(s, 'carry-w@example.com');
      const peer = await createLead(s, 'CARRY-W@example.com ', { partition: 'East' });
      const loser = await createLead(s, null, { unsubscribed: true, foreignId: 'carry-l' });
      await s.merges.merge([idKey(winner)], [[idKey(loser)]], web);
      // The merged person opted out: the opt-out reaches its address (rule 1), nothing lost.
      expect((await getLead(s, winner)).unsubscribed).to.equal(true);
      expect((await getLead(s, peer)).unsubscribed).to.equal(true);
      expect((await s.durableStatus.explain('carry-w@example.com')).status?.unsubscribed).to.equal(
        true,
      );
    });

    it("mergeLeads: a loser's opt-out carried to an address a link's page unsubscribed is recorded there, out of the page's undo", async () => {
      const email = 'carry-page@example.com';
      const winner = await createLead(s, email);
      const loser = await createLead(s, null, { unsubscribed: true, foreignId: 'carry-page-l' });
      const subject = { email, linkId: 'cccccccccccccccc', list: null };
      // Someone follows the winner's link and unsubscribes on its page: the winner follows.
      expect((await s.links.unsubscribe(subject, 'page')).changed).to.equal(true);
      await s.merges.merge([idKey(winner)], [[idKey(loser)]], web);
      // The merged person holds the loser's opt-out, made through the web service: the page's
      // undo lifts only its own unsubscribe, and would lift that opt-out with it.
      const undo = await s.links.resubscribe(subject, 15 * 60000, () => true);
      expect(undo.outcome).to.equal('not_this_link');
      expect((await getLead(s, winner)).unsubscribed).to.equal(true);
      expect((await s.durableStatus.explain(email)).status).to.include({
        unsubscribed: true,
        source: 'Web service API',
      });
    });

    it("mergeLeads: a loser's opt-out carried to an address Salesforce unsubscribed is not lifted by an untick made before the merge", async () => {
      const email = 'carry-sf@example.com';
      const t0 = h.clock.t;
      const [ticked] = await s.salesforce.apply(ORG_ID, [
        leadNotification(9001, 9001, { Email: email, Unsubscribed: 'true' }, t0 - 60000),
      ]);
      const winner = ticked!.leadId!;
      const loser = await createLead(s, null, { unsubscribed: true, foreignId: 'carry-sf-l' });
      h.clock.set(t0 + 3000);
      await s.merges.merge([idKey(winner)], [[idKey(loser)]], web);
      // Unticked in Salesforce before the merge, delivered a minute after it.
      h.clock.set(t0 + 60000);
      const [untick] = await s.salesforce.apply(ORG_ID, [
        leadNotification(9002, 9001, { Unsubscribed: 'false' }, t0 + 2000),
      ]);
      expect(untick!.outcome).to.equal('APPLIED');
      expect((await getLead(s, winner)).unsubscribed).to.equal(true);
      expect((await s.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
    });

    it('a Change Data Value job started without confirming lifts no complaint recorded before it ran', async () => {
      const id = await createLead(s, 'bulk-c@example.com', { unsubscribed: true });
      const change = { field: 'Unsubscribed', value: 'false' };
      // Nothing protected when it starts: no confirmation asked, none given.
      const job = await s.bulkChanges.start({ ids: [id] }, change, 'alice', {
        confirmProtected: false,
      });
      // A complaint arrives before the job runs.
      await s.leads.sync(
        {
          id,
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: 'complaint' },
          ],
        },
        { path: web },
      );
      expect((await s.durableStatus.explain('bulk-c@example.com')).status?.reason).to.equal(
        'complaint',
      );
      expect(await s.bulkChanges.run(job)).to.equal(true);
      const status = await s.bulkChanges.status(job);
      expect(status.totals.changed).to.equal(0);
      expect(status.failures.map((f) => f.id)).to.deep.equal([id]);
      expect((await getLead(s, id)).unsubscribed).to.equal(true);
      expect((await s.durableStatus.explain('bulk-c@example.com')).status).to.include({
        unsubscribed: true,
        reason: 'complaint',
      });
    });
  });
}
