import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import {
  activitiesOf,
  attr,
  createLead,
  emailKeyOf,
  expectAppError,
  expectNoViolations,
  getLead,
  idKey,
  setFlag,
  snapshot,
  web,
  harnessPerSuite,
  type Harness,
} from '../support/harness.js';

const field = (lead: { attributes: Array<{ name: string; value: string }> }, name: string) =>
  lead.attributes.find((a) => a.name === name)?.value;

for (const engine of testEngines()) {
  describe(`mergeLeads rules (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    const merge = (winner: number, ...losers: number[]) =>
      s.merges.merge(
        [idKey(winner)],
        losers.map((l) => [idKey(l)]),
        web,
      );
    const createdWith = async (email: string) =>
      (await s.leads.find(emailKeyOf(email))).map((l) => l.unsubscribed);

    it("an unsubscribed loser: the winner keeps its own status, the loser's address stays unsubscribed", async () => {
      const w = await createLead(s, 'm1-w@example.com');
      const l = await createLead(s, 'm1-l@example.com', { unsubscribed: true });
      await s.leads.sync(
        {
          id: l,
          attributes: [
            { name: 'FirstName', value: 'Lou' },
            { name: 'City', value: 'Oslo' },
          ],
        },
        { path: web },
      );
      await s.leads.sync({ id: w, attributes: [{ name: 'City', value: 'Rome' }] }, { path: web });

      const r = await merge(w, l);
      expect(r).to.include({ winnerId: w });
      expect(r.loserIds).to.deep.equal([l]);
      const after = await getLead(s, w);
      expect(after.email).to.equal('m1-w@example.com');
      expect(after.unsubscribed, 'follows its own address').to.equal(false);
      expect(field(after, 'FirstName'), 'empty field filled from the loser').to.equal('Lou');
      expect(field(after, 'City'), "the winner's own value stays").to.equal('Rome');
      await expectAppError(s.leads.find(idKey(l)), ErrorCode.LEAD_NOT_FOUND);
      // Rule of deletion: the loser's address keeps its opt-out for whoever comes back with it.
      await createLead(s, 'm1-l@example.com');
      expect(await createdWith('m1-l@example.com')).to.deep.equal([true]);
    });

    it("an unsubscribed winner stays unsubscribed; a subscribed loser's address is untouched", async () => {
      const w = await createLead(s, 'm2-w@example.com', { unsubscribed: true });
      const l = await createLead(s, 'm2-l@example.com');
      const other = await createLead(s, 'm2-l@example.com');
      await merge(w, l);
      expect((await getLead(s, w)).unsubscribed).to.equal(true);
      expect((await getLead(s, other)).unsubscribed).to.equal(false);
    });

    it('losers in other partitions merge into the winner, whose partition stays', async () => {
      const w = await createLead(s, 'm3-w@example.com');
      const east = await createLead(s, 'm3-east@example.com', {
        partition: 'East',
        unsubscribed: true,
      });
      const west = await createLead(s, null, { partition: 'West', foreignId: 'm3-fid' });
      const eastPeer = await createLead(s, 'm3-east@example.com', { partition: 'East' });

      const r = await merge(w, east, west);
      expect(r.loserIds).to.deep.equal([east, west]);
      const after = await getLead(s, w);
      expect(after.partition).to.equal('Default');
      expect(after.unsubscribed).to.equal(false);
      expect(after.foreignSysPersonId, 'the foreign id passes to the winner').to.equal('m3-fid');
      // The East peer still shares the loser's address and its unsubscribe.
      expect((await getLead(s, eastPeer)).unsubscribed).to.equal(true);
    });

    it("a winner without an address takes the first loser's, and that address's status", async () => {
      const w = await createLead(s, null);
      const l = await createLead(s, 'm4-l@example.com', { unsubscribed: true });
      await merge(w, l);
      const after = await getLead(s, w);
      expect(after.email).to.equal('m4-l@example.com');
      expect(after.unsubscribed).to.equal(true);
    });

    it('an opt-out of a loser without an address is never dropped by a winner without one', async () => {
      // Nobody has an address: the winner keeps the opt-out.
      const bare = await createLead(s, null);
      await merge(bare, await createLead(s, null, { unsubscribed: true, foreignId: 'm4b-a' }));
      expect((await getLead(s, bare)).unsubscribed).to.equal(true);

      // The winner takes a subscribed loser's address: the opt-out goes with it, as the
      // winner's own would (rule 5), to everyone holding that address.
      const w = await createLead(s, null);
      const l1 = await createLead(s, 'm4b-l1@example.com');
      const peer = await createLead(s, 'm4b-l1@example.com', { partition: 'East' });
      const l2 = await createLead(s, null, { unsubscribed: true, foreignId: 'm4b-b' });
      await merge(w, l1, l2);
      const after = await getLead(s, w);
      expect(after.email).to.equal('m4b-l1@example.com');
      expect(after.unsubscribed).to.equal(true);
      expect((await getLead(s, peer)).unsubscribed).to.equal(true);
      await expectNoViolations(s);
    });

    it("moves the losers' history to the winner and logs Merge Leads listing them", async () => {
      const w = await createLead(s, 'm5-w@example.com');
      const a = await createLead(s, 'm5-a@example.com');
      const b = await createLead(s, 'm5-b@example.com');
      await setFlag(s, a, true);
      await merge(w, a, b);
      const history = await activitiesOf(s, w);
      expect(history[0]?.activityType).to.equal('Merge Leads');
      expect(attr(history[0], 'Merge Ids')).to.equal(`${a},${b}`);
      const newLeads = history
        .filter((x) => x.activityType === 'New Lead')
        .map((x) => attr(x, 'Lead ID'));
      expect(newLeads.sort()).to.deep.equal([String(w), String(a), String(b)].sort());
      expect(history.some((x) => attr(x, 'Attribute Name') === 'Unsubscribed')).to.equal(true);
    });

    it('adds up the Lead Score of everyone merged, within the bounds of an integer', async () => {
      const scored = async (email: string, score?: string) => {
        const id = await createLead(s, email);
        if (score !== undefined)
          await s.leads.sync(
            { id, attributes: [{ name: 'LeadScore', value: score }] },
            { path: web },
          );
        return id;
      };
      // A winner without a score takes the sum of its losers' (one of them negative).
      const w = await scored('m8-w@example.com');
      await merge(w, await scored('m8-a@example.com', '7'), await scored('m8-b@example.com', '-2'));
      expect(field(await getLead(s, w), 'LeadScore')).to.equal('5');
      const change = (await activitiesOf(s, w)).find(
        (x) => attr(x, 'Attribute Name') === 'Lead Score' && attr(x, 'New Value') === '5',
      );
      expect(change, 'logged as a change of the field').to.not.equal(undefined);

      // Nobody with a score: none is made up.
      const none = await scored('m8-n@example.com');
      await merge(none, await scored('m8-n2@example.com'));
      expect(field(await getLead(s, none), 'LeadScore')).to.equal(undefined);

      // Past the largest integer the field holds, the sum stops there.
      const big = await scored('m8-big@example.com', '2147483000');
      await merge(big, await scored('m8-big2@example.com', '2147483000'));
      expect(field(await getLead(s, big), 'LeadScore')).to.equal('2147483647');
      const low = await scored('m8-low@example.com', '-2147483000');
      await merge(low, await scored('m8-low2@example.com', '-2147483000'));
      expect(field(await getLead(s, low), 'LeadScore')).to.equal('-2147483648');
    });

    it('refuses, changing nothing: a missing lead, a lead merged into itself, an address that names two leads', async () => {
      const w = await createLead(s, 'm6-w@example.com');
      await createLead(s, 'm6-dup@example.com');
      await createLead(s, 'm6-dup@example.com');
      const before = await snapshot(h.db);
      await expectAppError(merge(w, 99999), ErrorCode.LEAD_NOT_FOUND);
      await expectAppError(merge(w, w), ErrorCode.LEAD_SYNC_FAILED);
      await expectAppError(
        s.merges.merge([idKey(w)], [[emailKeyOf('m6-dup@example.com')]], web),
        ErrorCode.LEAD_SYNC_FAILED,
      );
      expect(await snapshot(h.db)).to.deep.equal(before);
    });

    it('a merge racing an unsubscribe of the same address: the opt-out is never lost', async () => {
      const other = h.openAnother();
      for (let round = 0; round < 8; round++) {
        const address = `m7-${round}@example.com`;
        const w = await createLead(s, null);
        const l = await createLead(s, address);
        const peer = await createLead(s, address);
        // The winner takes the loser's address while someone else with it unsubscribes.
        const [merged, unsubscribed] = await Promise.all([
          round % 2 ? merge(w, l) : other.merges.merge([idKey(w)], [[idKey(l)]], web),
          (round % 2 ? other : s).leads.sync(
            { id: peer, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
            { path: web },
          ),
        ]);
        expect(merged.winnerId).to.equal(w);
        expect(unsubscribed.lead.unsubscribed).to.equal(true);
        expect((await getLead(s, w)).unsubscribed, `round ${round}`).to.equal(true);
        expect((await getLead(s, w)).email).to.equal(address);
      }
      await expectNoViolations(s);
    });
  });
}
