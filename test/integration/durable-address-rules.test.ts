/**
 * The durable unsubscribe rules 5 to 7 of docs/how-it-works.md (changing a person's address,
 * address and flag in one request, a flag set to the value it has), people without an
 * address, and one address spelt several ways; rules 1 to 4: durable-rules.test.ts.
 */
import { expect } from 'chai';
import { ChangePaths, PROPAGATED_REASON, RESET_REASON } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import {
  activitiesOf,
  attr,
  createLead,
  emailKeyOf,
  flagChange,
  flags,
  getLead,
  rowCounts,
  setFlag,
  web,
  harnessPerSuite,
  type Harness,
} from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`durable unsubscribe rules 5-7 (${engine.name})`, () => {
    let h: Harness;
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    const history = async (address: string) => (await s.durableStatus.explain(address)).history;
    const status = async (address: string) => (await s.durableStatus.explain(address)).status;

    describe('rule 5: changing the address', () => {
      it('to an unsubscribed address unsubscribes the person; the old address is untouched', async () => {
        const u = await createLead(s, 'r5a-unsub@example.com');
        await setFlag(s, u, true);
        const m = await createLead(s, 'r5a-old@example.com');
        const m2 = await createLead(s, 'r5a-old@example.com', { partition: 'East' });
        await setFlag(s, m2, true);
        await setFlag(s, m2, false);
        const oldBefore = await s.durableStatus.explain('r5a-old@example.com');
        const newBefore = await s.durableStatus.explain('r5a-unsub@example.com');

        const moved = await s.leads.changeEmail(m, 'R5A-Unsub@example.com', web);

        expect(moved.unsubscribed).to.equal(true);
        expect(moved.email).to.equal('R5A-Unsub@example.com');
        const [flagAct, emailAct] = await activitiesOf(s, m);
        expect(flagAct?.attributes).to.deep.equal(
          flagChange(m, false, true, RESET_REASON, 'Web service API'),
        );
        expect(emailAct?.attributes).to.deep.equal([
          ['Attribute Name', 'Email Address'],
          ['Old Value', 'r5a-old@example.com'],
          ['New Value', 'R5A-Unsub@example.com'],
          ['Reason', 'Web service API'],
          ['Source', 'Web service API'],
          ['Lead ID', String(m)],
        ]);
        const oldAfter = await s.durableStatus.explain('r5a-old@example.com');
        expect(oldAfter.status).to.deep.equal(oldBefore.status);
        expect(oldAfter.history).to.deep.equal(oldBefore.history);
        expect(oldAfter.leads.map((l) => l.id)).to.deep.equal([m2]);
        expect((await getLead(s, m2)).unsubscribed).to.equal(false);
        expect((await s.durableStatus.explain('r5a-unsub@example.com')).history).to.deep.equal(
          newBefore.history,
        );
      });

      it('to a subscribed address subscribes the person; the old address stays unsubscribed', async () => {
        const p = await createLead(s, 'r5b-old@example.com');
        const p2 = await createLead(s, 'r5b-old@example.com', { partition: 'East' });
        await setFlag(s, p, true);
        const q = await createLead(s, 'r5b-new@example.com');
        await setFlag(s, q, true);
        await setFlag(s, q, false);
        const oldBefore = await s.durableStatus.explain('r5b-old@example.com');
        const newHistory = await history('r5b-new@example.com');

        const moved = await s.leads.changeEmail(p, 'r5b-new@example.com', web);

        expect(moved.unsubscribed).to.equal(false);
        expect((await activitiesOf(s, p))[0]?.attributes).to.deep.equal(
          flagChange(p, true, false, RESET_REASON, 'Web service API'),
        );
        expect(await flags(s, [p2, q])).to.deep.equal([true, false]);
        const oldAfter = await s.durableStatus.explain('r5b-old@example.com');
        expect(oldAfter.status).to.deep.equal(oldBefore.status);
        expect(oldAfter.history).to.deep.equal(oldBefore.history);
        expect(await history('r5b-new@example.com')).to.deep.equal(newHistory);
      });

      it('to an address never seen subscribes the person and writes no status', async () => {
        const p = await createLead(s, 'r5c-old@example.com');
        await setFlag(s, p, true);
        const moved = await s.leads.changeEmail(p, 'r5c-never@example.com', web);
        expect(moved.unsubscribed).to.equal(false);
        expect(await s.durableStatus.explain('r5c-never@example.com')).to.deep.include({
          status: null,
          history: [],
        });
        expect(await status('r5c-old@example.com')).to.include({ unsubscribed: true });
      });

      it('a person with no address that is unsubscribed carries the unsubscribe to its new address', async () => {
        const n = await createLead(s, null, { foreignId: 'r5d-fid', unsubscribed: true });
        expect((await getLead(s, n)).unsubscribed).to.equal(true);
        const e = await createLead(s, 'r5d@example.com', { partition: 'East' });
        const counts = await rowCounts(h.db);

        const moved = await s.leads.changeEmail(n, 'R5D@example.com', web);

        expect(moved.unsubscribed).to.equal(true);
        expect((await getLead(s, e)).unsubscribed).to.equal(true);
        expect(await status('r5d@example.com')).to.include({ unsubscribed: true, leadId: n });
        expect((await activitiesOf(s, e))[0]?.attributes).to.deep.equal(
          flagChange(e, false, true, PROPAGATED_REASON, 'Web service API'),
        );
        expect((await rowCounts(h.db)).history).to.equal(counts.history + 1);
      });

      it('a person with no address that is subscribed takes the unsubscribe of its new address', async () => {
        const u = await createLead(s, 'r5e@example.com', { unsubscribed: true });
        const n = await createLead(s, null, { foreignId: 'r5e-fid' });
        const moved = await s.leads.changeEmail(n, 'r5e@example.com', web);
        expect(moved.unsubscribed).to.equal(true);
        expect(attr((await activitiesOf(s, n))[0], 'Reason')).to.equal(RESET_REASON);
        expect(await history('r5e@example.com')).to.have.length(1);
        expect((await getLead(s, u)).unsubscribed).to.equal(true);
      });

      it('clearing the address keeps the flag and leaves the old master status alone', async () => {
        const p = await createLead(s, 'r5f@example.com', { unsubscribed: true });
        const before = await s.durableStatus.explain('r5f@example.com');
        const cleared = await s.leads.changeEmail(p, null, web);
        expect(cleared.email).to.equal(null);
        expect(cleared.unsubscribed).to.equal(true);
        const after = await s.durableStatus.explain('r5f@example.com');
        expect(after.status).to.deep.equal(before.status);
        expect(after.history).to.deep.equal(before.history);
      });
    });

    describe('rule 6: address and flag in one request', () => {
      it('applies the address first, then the flag (re-subscribe on an unsubscribed address)', async () => {
        const y = await createLead(s, 'r6a-new@example.com', { partition: 'East' });
        await setFlag(s, y, true);
        const x = await createLead(s, 'r6a-old@example.com');

        const result = await s.leads.sync(
          {
            id: x,
            email: 'r6a-new@example.com',
            attributes: [{ name: 'Unsubscribed', value: 'false' }],
          },
          { path: web },
        );

        // Flag first would have been a no-op and the address would then have unsubscribed x.
        expect(result.lead.unsubscribed).to.equal(false);
        expect(await flags(s, [x, y])).to.deep.equal([false, false]);
        expect(await status('r6a-new@example.com')).to.include({ unsubscribed: false, leadId: x });
        const acts = await activitiesOf(s, x);
        expect(
          acts
            .slice(0, 3)
            .map((a) => [attr(a, 'Attribute Name'), attr(a, 'New Value'), attr(a, 'Reason')]),
        ).to.deep.equal([
          ['Unsubscribed', 'false', 'Web service API'],
          ['Unsubscribed', 'true', RESET_REASON],
          ['Email Address', 'r6a-new@example.com', 'Web service API'],
        ]);
        expect(attr((await activitiesOf(s, y))[0], 'Reason')).to.equal(PROPAGATED_REASON);
      });

      it('applies the address first, then the flag (unsubscribe on a new address)', async () => {
        const x = await createLead(s, 'r6b-old@example.com', { unsubscribed: true });
        const result = await s.leads.sync(
          {
            id: x,
            email: 'r6b-new@example.com',
            attributes: [{ name: 'Unsubscribed', value: 'true' }],
          },
          { path: web },
        );
        // Flag first would have been a no-op and the never-seen address would then subscribe x.
        expect(result.lead.unsubscribed).to.equal(true);
        expect(await status('r6b-new@example.com')).to.include({ unsubscribed: true, leadId: x });
        expect(await status('r6b-old@example.com')).to.include({ unsubscribed: true });
      });
    });

    describe('rule 7: setting a flag to the value it has', () => {
      it('changes nothing and logs nothing', async () => {
        const a = await createLead(s, 'rule7@example.com');
        const b = await createLead(s, 'rule7@example.com', { partition: 'East' });
        await s.leads.sync(
          { id: a, attributes: [{ name: 'FirstName', value: 'Ann' }] },
          { path: web },
        );
        await setFlag(s, a, true);
        const before = await rowCounts(h.db);
        const leadBefore = await getLead(s, a);

        const again = await setFlag(s, a, true);
        expect(again.status).to.equal('UPDATED');
        await setFlag(s, b, true, ChangePaths.salesforce());
        await s.leads.setUnsubscribed(b, true, ChangePaths.personDetail());
        await s.leads.sync(
          {
            id: a,
            email: 'rule7@example.com',
            attributes: [
              { name: 'unsubscribed', value: '1' },
              { name: 'FirstName', value: 'Ann' },
            ],
          },
          { path: web },
        );
        await s.leads.bulkApply(
          [a, b],
          { attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          web,
        );
        await s.leads.sync(
          { email: 'RULE7@example.com', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { path: web },
        );

        expect(await rowCounts(h.db)).to.deep.equal(before);
        expect(await getLead(s, a)).to.deep.equal(leadBefore);

        // The same for a subscribed lead of an address the master status never saw.
        const c = await createLead(s, 'rule7-never@example.com');
        const before2 = await rowCounts(h.db);
        await setFlag(s, c, false);
        expect(await rowCounts(h.db)).to.deep.equal(before2);
        expect(await status('rule7-never@example.com')).to.equal(null);
      });
    });

    describe('leads without an address', () => {
      it('keep their own flag, write no master status and never count as violations', async () => {
        const before = await rowCounts(h.db);
        const n = await createLead(s, null, { foreignId: 'noaddr-1', unsubscribed: true });
        const m = await createLead(s, null, { foreignId: 'noaddr-2' });
        expect(await flags(s, [n, m])).to.deep.equal([true, false]);
        await setFlag(s, n, false);
        await setFlag(s, m, true);
        expect(await flags(s, [n, m])).to.deep.equal([false, true]);
        const after = await rowCounts(h.db);
        expect(after.emailStatus).to.equal(before.emailStatus);
        expect(after.history).to.equal(before.history);
        expect(after.leads).to.equal(before.leads + 2);
        expect(attr((await activitiesOf(s, m))[0], 'New Value')).to.equal('true');
      });
    });

    describe('duplicates in several partitions', () => {
      it('treats every spelling and normal form of an address as one person for the status', async () => {
        const nfc = 'düp@exämple.com'.normalize('NFC');
        const nfd = 'DÜP@Exämple.com'.normalize('NFD');
        const a = await createLead(s, nfc);
        const b = await createLead(s, ` ${nfd} `, { partition: 'East' });
        const c = await createLead(s, 'DÜP@EXÄMPLE.COM', { partition: 'West' });
        const d = await createLead(s, 'DÜP@EXÄMPLE.COM', { partition: 'North' });

        const found = await s.leads.find(emailKeyOf('Düp@exämple.com'.normalize('NFD')));
        expect(found.map((l) => l.id).sort((x, y) => x - y)).to.deep.equal([a, b, c, d]);
        expect(found.map((l) => l.partition).sort()).to.deep.equal([
          'Default',
          'East',
          'North',
          'West',
        ]);
        expect((await getLead(s, b)).email).to.equal(nfd);

        await setFlag(s, c, true);
        expect(await flags(s, [a, b, c, d])).to.deep.equal([true, true, true, true]);
        await setFlag(s, b, false);
        expect(await flags(s, [a, b, c, d])).to.deep.equal([false, false, false, false]);
        expect((await history(nfd)).map((x) => x.leadId)).to.deep.equal([c, b]);
      });
    });
  });
}
