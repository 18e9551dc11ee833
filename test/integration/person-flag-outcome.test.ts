/**
 * LeadService.setUnsubscribedReporting (the console's person page): what setting a person's
 * box did, decided under the person's lock. A box that holds already is not written again,
 * its reason included, unless the opt-out stated must be recorded all the same.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import {
  activitiesOf,
  attr,
  createLead,
  getLead,
  harnessPerSuite,
  web,
} from '../support/harness.js';

const page = ChangePaths.personDetail('alice', false);

for (const engine of testEngines()) {
  describe(`setting a person's box, told what it did (${engine.name})`, () => {
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      s = opened.services;
    });

    const reasonOf = async (id: number) =>
      (await getLead(s, id)).attributes.find((a) => a.name === 'UnsubscribedReason')?.value ?? null;
    const byThePage = async (id: number) =>
      (await activitiesOf(s, id)).filter((a) => attr(a, 'Source') === 'Person detail');
    const status = async (email: string) => (await s.durableStatus.explain(email)).status;

    it('changed: the box takes the value asked for, with the reason given', async () => {
      const id = await createLead(s, 'changed@example.com');
      const done = await s.leads.setUnsubscribedReporting(id, true, page, 'asked by phone');
      expect(done.outcome).to.equal('changed');
      expect(done.lead.unsubscribed).to.equal(true);
      expect(await reasonOf(id)).to.equal('asked by phone');
      expect(await status('changed@example.com')).to.include({
        unsubscribed: true,
        reason: 'asked by phone',
      });
      const back = await s.leads.setUnsubscribedReporting(id, false, page);
      expect(back.outcome).to.equal('changed');
      expect(back.lead.unsubscribed).to.equal(false);
    });

    it("unchanged: a box another path ticked already keeps that path's reason, nothing logged", async () => {
      const id = await createLead(s, 'ticked@example.com');
      await s.leads.setUnsubscribed(id, true, web, 'Replied STOP');
      const done = await s.leads.setUnsubscribedReporting(id, true, page, 'asked by phone');
      expect(done.outcome).to.equal('unchanged');
      expect(done.lead.unsubscribed).to.equal(true);
      expect(await reasonOf(id)).to.equal('Replied STOP');
      expect(await status('ticked@example.com')).to.include({ reason: 'Replied STOP' });
      expect(await byThePage(id)).to.deep.equal([]);
    });

    it('unchanged: a box cleared already stays cleared, nothing logged', async () => {
      const id = await createLead(s, 'cleared@example.com');
      const done = await s.leads.setUnsubscribedReporting(id, false, page, 'asked by phone');
      expect(done.outcome).to.equal('unchanged');
      expect(await reasonOf(id)).to.equal(null);
      expect(await byThePage(id)).to.deep.equal([]);
    });

    it('recorded: a complaint stated of an address unsubscribed for another reason', async () => {
      const id = await createLead(s, 'recorded@example.com');
      await s.leads.setUnsubscribed(id, true, web, 'Replied STOP');
      const done = await s.leads.setUnsubscribedReporting(id, true, page, 'complaint');
      expect(done.outcome).to.equal('recorded');
      expect(await status('recorded@example.com')).to.include({
        unsubscribed: true,
        reason: 'complaint',
      });
      // Stated again: kept already, nothing more to record.
      const again = await s.leads.setUnsubscribedReporting(id, true, page, 'complaint');
      expect(again.outcome).to.equal('unchanged');
    });

    it("recorded, without an address: a complaint in the person's own reason", async () => {
      const id = await createLead(s, null);
      await s.leads.setUnsubscribed(id, true, web, 'asked by phone');
      const done = await s.leads.setUnsubscribedReporting(id, true, page, 'complaint');
      expect(done.outcome).to.equal('recorded');
      expect(await reasonOf(id)).to.equal('complaint');
      const plain = await s.leads.setUnsubscribedReporting(id, true, page, 'asked by phone');
      expect(plain.outcome).to.equal('unchanged');
      expect(await reasonOf(id)).to.equal('complaint');
    });
  });
}
