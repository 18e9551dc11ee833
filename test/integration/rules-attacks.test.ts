/**
 * Attacks on the durable rules through SOAP over HTTP, as a client sends them: each one tries
 * to lose an acknowledged opt-out, to let a path lift a suppression it is not entitled to, or
 * to leave a person whose flag disagrees with its address.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  mergeXml,
  statusesOf,
  syncLeadXml,
  syncManyXml,
} from '../support/durable-model-requests.js';
import { durableSoapSuite } from '../support/durable-soap-suite.js';
import { faultCode } from '../support/service.js';

for (const engine of testEngines()) {
  describe(`durable rules attacked through SOAP (${engine.name})`, function () {
    this.timeout(120000);
    const { soap, knex, create, violations } = durableSoapSuite(engine);
    const flagOf = async (id: number) => {
      const row = (await knex()('leads').where({ id }).first()) as
        { unsubscribed: unknown } | undefined;
      return row === undefined ? undefined : Boolean(Number(row.unsubscribed));
    };
    const statusOf = async (key: string) =>
      (await knex()('email_status').where({ email_key: key }).first()) as
        { unsubscribed: unknown; reason: string | null; source: string } | undefined;
    const activityCount = async (id: number) =>
      Number(
        (
          (await knex()('activities').where({ lead_id: id }).count({ n: '*' })) as [{ n: unknown }]
        )[0].n,
      );

    describe('mergeLeads carries a complaint of a loser without an address with its reason', () => {
      it('into a subscribed winner with an address: the complaint stays protected', async () => {
        const winner = await create({ email: 'mc1@attack.example' });
        const loser = await create({ foreignId: 'mc1-l', unsub: true, reason: 'complaint' });
        const merged = await soap(mergeXml(winner, [loser]));
        expect(merged.status, merged.body).to.equal(200);
        expect(await flagOf(winner)).to.equal(true);
        expect((await statusOf('mc1@attack.example'))?.reason).to.equal('complaint');
        // A web service re-subscribe may not lift a complaint.
        const lift = await soap(syncLeadXml({ id: winner, unsub: false }));
        expect(faultCode(lift.body), lift.body).to.equal(20106);
        expect(await flagOf(winner)).to.equal(true);
        expect(await violations()).to.deep.equal([]);
      });

      it('into a winner unsubscribed already without a reason: the complaint is recorded', async () => {
        const winner = await create({ email: 'mc2@attack.example', unsub: true });
        const loser = await create({ foreignId: 'mc2-l', unsub: true, reason: 'complaint' });
        const merged = await soap(mergeXml(winner, [loser]));
        expect(merged.status, merged.body).to.equal(200);
        expect((await statusOf('mc2@attack.example'))?.reason).to.equal('complaint');
        const lift = await soap(syncLeadXml({ id: winner, unsub: false }));
        expect(faultCode(lift.body), lift.body).to.equal(20106);
        expect(await flagOf(winner)).to.equal(true);
      });

      it("into a winner without an address that takes a loser's: the complaint reaches it", async () => {
        const winner = await create({ foreignId: 'mc3-w' });
        const withAddress = await create({ email: 'mc3@attack.example' });
        const complained = await create({ foreignId: 'mc3-l', unsub: true, reason: 'complaint' });
        const merged = await soap(mergeXml(winner, [withAddress, complained]));
        expect(merged.status, merged.body).to.equal(200);
        expect(await flagOf(winner)).to.equal(true);
        expect((await statusOf('mc3@attack.example'))?.reason).to.equal('complaint');
        expect(await violations()).to.deep.equal([]);
      });
    });

    describe('a complaint of a person without an address is an opt-out it carries', () => {
      it('a web service re-subscribe may not lift it, single or batched; the address it takes gets it', async () => {
        const lead = await create({ foreignId: 'na-1', unsub: true, reason: 'complaint' });
        const single = await soap(syncLeadXml({ id: lead, unsub: false }));
        expect(faultCode(single.body), single.body).to.equal(20106);
        const batched = await soap(syncManyXml([{ id: lead, unsub: false }]));
        expect(statusesOf(batched.body).map((s) => s.status)).to.deep.equal(['FAILED']);
        expect(await flagOf(lead)).to.equal(true);
        const moved = await soap(syncLeadXml({ id: lead, email: 'na-1@attack.example' }));
        expect(moved.status, moved.body).to.equal(200);
        expect((await statusOf('na-1@attack.example'))?.reason).to.equal('complaint');
      });

      it("a plain opt-out without an address stays the web service's to lift", async () => {
        const lead = await create({ foreignId: 'na-2', unsub: true, reason: 'moved away' });
        const res = await soap(syncLeadXml({ id: lead, unsub: false }));
        expect(res.status, res.body).to.equal(200);
        expect(await flagOf(lead)).to.equal(false);
      });
    });

    describe('a record refused after its master status change leaves nothing of it', () => {
      // The foreign id is checked after the flag's master status change was planned: the
      // refusal must undo the propagation too, in a batch as in a single call.
      const setUp = async (tag: string) => {
        const holder = await create({ email: `${tag}-b@attack.example`, foreignId: `${tag}-b` });
        const a = await create({ email: `${tag}@attack.example`, unsub: true });
        const peer = await create({
          email: `${tag.toUpperCase()}@Attack.example`,
          foreignId: `${tag}-p`,
        });
        expect(await flagOf(peer)).to.equal(true);
        return { holder, a, peer };
      };

      it('syncLead re-subscribing with a foreign id someone else holds: refused, nobody lifted', async () => {
        const { a, peer } = await setUp('fr1');
        const before = await activityCount(peer);
        const res = await soap(syncLeadXml({ id: a, foreignId: 'fr1-b', unsub: false }));
        expect(faultCode(res.body), res.body).to.not.equal(null);
        expect(await flagOf(a)).to.equal(true);
        expect(await flagOf(peer)).to.equal(true);
        expect(Boolean(Number((await statusOf('fr1@attack.example'))?.unsubscribed))).to.equal(
          true,
        );
        expect(await activityCount(peer)).to.equal(before);
      });

      it('syncMultipleLeads: that record FAILED, nobody lifted, the next record written', async () => {
        const { a, peer } = await setUp('fr2');
        const before = await activityCount(peer);
        const res = await soap(
          syncManyXml([
            { id: a, foreignId: 'fr2-b', unsub: false },
            { email: 'fr2-next@attack.example', unsub: true },
          ]),
        );
        expect(res.status, res.body).to.equal(200);
        expect(statusesOf(res.body).map((s) => s.status)).to.deep.equal(['FAILED', 'CREATED']);
        expect(await flagOf(a)).to.equal(true);
        expect(await flagOf(peer)).to.equal(true);
        expect(Boolean(Number((await statusOf('fr2@attack.example'))?.unsubscribed))).to.equal(
          true,
        );
        expect(await activityCount(peer)).to.equal(before);
        expect(await violations()).to.deep.equal([]);
      });

      it('syncMultipleLeads: a refused move to an unsubscribed address leaves the person where it was', async () => {
        const { peer } = await setUp('fr3');
        const mover = await create({ email: 'fr3-m@attack.example', foreignId: 'fr3-m' });
        const res = await soap(
          syncManyXml([{ id: mover, email: 'fr3@attack.example', foreignId: 'fr3-b' }]),
        );
        expect(statusesOf(res.body).map((s) => s.status)).to.deep.equal(['FAILED']);
        expect(await flagOf(mover)).to.equal(false);
        expect(await flagOf(peer)).to.equal(true);
        expect(await violations()).to.deep.equal([]);
      });
    });

    describe('a batch whose records race on one address within the call', () => {
      it('unsubscribe, create at another spelling, re-subscribe, create again: each sees the one before', async () => {
        const a = await create({ email: 'seq@attack.example', foreignId: 'seq-a' });
        const res = await soap(
          syncManyXml([
            { id: a, unsub: true },
            { email: ' SEQ@ATTACK.example ', foreignId: 'seq-c', unsub: false },
            { id: a, unsub: false },
            { email: 'Seq@Attack.Example', foreignId: 'seq-d', unsub: false },
            { id: a, unsub: true, reason: 'complaint' },
            { email: 'seq@attack.example', foreignId: 'seq-e', unsub: false },
            { foreignId: 'seq-c', unsub: false },
          ]),
        );
        expect(res.status, res.body).to.equal(200);
        const got = statusesOf(res.body).map((s) => s.status);
        // The last record, a web service re-subscribe of a complaint, is refused alone.
        expect(got).to.deep.equal([
          'UPDATED',
          'CREATED',
          'UPDATED',
          'CREATED',
          'UPDATED',
          'CREATED',
          'FAILED',
        ]);
        const people = (await knex()('leads').where({ email_key: 'seq@attack.example' })) as Array<{
          unsubscribed: unknown;
        }>;
        expect(people).to.have.length(4);
        expect(people.every((p) => Boolean(Number(p.unsubscribed)))).to.equal(true);
        expect((await statusOf('seq@attack.example'))?.reason).to.equal('complaint');
        expect(await violations()).to.deep.equal([]);
      });

      it('a move to the address a record before it gave a complaint, with a lift: refused, dedup on or off', async () => {
        for (const dedup of [true, false]) {
          const key = `mv-${dedup}@attack.example`;
          const held = await create({ email: key });
          const mover = await create({ email: `mv-from-${dedup}@attack.example` });
          const res = await soap(
            syncManyXml(
              [
                { id: held, unsub: true, reason: 'complaint' },
                { id: mover, emailAttribute: ` ${key.toUpperCase()}.`, unsub: false },
              ],
              dedup,
            ),
          );
          expect(res.status, res.body).to.equal(200);
          // The second record reads the status the first one wrote, not the one the call began with.
          expect(statusesOf(res.body).map((s) => s.status)).to.deep.equal(['UPDATED', 'FAILED']);
          expect(await flagOf(held)).to.equal(true);
          expect(await flagOf(mover)).to.equal(false);
          expect((await statusOf(key))?.reason).to.equal('complaint');
          expect(await violations()).to.deep.equal([]);
        }
      });
    });
  });
}
