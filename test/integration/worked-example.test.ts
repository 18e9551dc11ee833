import { expect } from 'chai';
import { ChangePaths, PROPAGATED_REASON, RESET_REASON } from '../../src/domain/change-paths.js';
import { createServices, type Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';

const web = ChangePaths.webService();

for (const engine of testEngines()) {
  describe(`worked example of the durable spec (${engine.name})`, () => {
    let services: Services;
    let drop: () => Promise<void>;

    before(async () => {
      const made = await engine.create();
      drop = made.drop;
      services = createServices(made.db, { customFields: [], defaultPartition: 'Default' });
    });
    after(() => drop());

    it('keeps the unsubscribe through delete, re-create and address changes', async () => {
      const { leads, activities, durableStatus } = services;
      const a = await leads.sync({ email: 'ann@example.com' }, { path: web });
      const b = await leads.sync(
        { email: 'ANN@Example.com ' },
        { path: web, partition: 'East', matchByEmail: false },
      );
      expect(a.status).to.equal('CREATED');
      expect(b.status).to.equal('CREATED');
      expect(b.leadId).to.not.equal(a.leadId);
      expect((await durableStatus.explain('ann@example.com')).status).to.equal(null);

      // 2. unsubscribe A
      await leads.sync(
        { id: a.leadId, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: web },
      );
      const both = await leads.find({ keyType: 'EMAIL', keyValue: 'ann@example.com' });
      expect(both.map((l) => l.unsubscribed)).to.deep.equal([true, true]);
      expect((await durableStatus.explain('ann@example.com')).status?.unsubscribed).to.equal(true);
      const aAct = await activities.listForLead({ keyType: 'IDNUM', keyValue: String(a.leadId) });
      const bAct = await activities.listForLead({ keyType: 'IDNUM', keyValue: String(b.leadId) });
      expect(aAct.activities[0]?.attributes).to.deep.include(['Reason', 'Web service API']);
      expect(bAct.activities[0]?.attributes).to.deep.include(['Reason', PROPAGATED_REASON]);

      // 3. delete A, create C with Unsubscribed=false
      await leads.delete({ keyType: 'IDNUM', keyValue: String(a.leadId) }, web);
      const c = await leads.sync(
        { email: 'ann@example.com', attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        { path: web, matchByEmail: false },
      );
      expect(c.status).to.equal('CREATED');
      expect(c.lead.unsubscribed).to.equal(true);
      const cAct = await activities.listForLead({ keyType: 'IDNUM', keyValue: String(c.leadId) });
      expect(cAct.activities[0]?.attributes).to.deep.include(['Reason', RESET_REASON]);

      // 4. address changes
      const moved = await leads.changeEmail(c.leadId, 'carl@example.com', web);
      expect(moved.unsubscribed).to.equal(false);
      expect(
        (await leads.find({ keyType: 'IDNUM', keyValue: String(b.leadId) }))[0]?.unsubscribed,
      ).to.equal(true);
      const back = await leads.changeEmail(c.leadId, 'ann@example.com', web);
      expect(back.unsubscribed).to.equal(true);

      // 5. re-subscribe B
      await leads.sync(
        { id: b.leadId, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        { path: web },
      );
      const cAfter = await activities.listForLead({ keyType: 'IDNUM', keyValue: String(c.leadId) });
      expect(cAfter.activities[0]?.attributes).to.deep.include(['Reason', PROPAGATED_REASON]);
      expect((await durableStatus.explain('ann@example.com')).status?.unsubscribed).to.equal(false);

      // 6. getLead by EMAIL
      const found = await leads.find({ keyType: 'EMAIL', keyValue: 'Ann@EXAMPLE.com' });
      expect(found.map((l) => l.id).sort()).to.deep.equal([b.leadId, c.leadId].sort());
      expect(found.every((l) => !l.unsubscribed)).to.equal(true);
      expect(await durableStatus.findViolations()).to.deep.equal([]);
    });
  });
}
