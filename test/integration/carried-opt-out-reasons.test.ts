/**
 * The reasons of an opt-out kept by a person without an address: carried to the address it
 * gets with every reason stated (the person's own and the one the change gives), and, when
 * protected, replaced by no path but an operator's while it stays without one. Either way a
 * complaint became a plain opt-out that any web service re-subscribe lifted.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
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
  describe(`reasons of an opt-out without an address (${engine.name})`, function () {
    this.timeout(120000);
    const { running, soap, knex, create, violations } = durableSoapSuite(engine);
    const leadOf = async (id: number) => {
      const row = (await knex()('leads').where({ id }).first()) as {
        unsubscribed: unknown;
        unsubscribed_reason: string | null;
      };
      return { unsub: Boolean(Number(row.unsubscribed)), reason: row.unsubscribed_reason };
    };
    const statusOf = async (key: string) => {
      const row = (await knex()('email_status').where({ email_key: key }).first()) as
        { unsubscribed: unknown; reason: string | null } | undefined;
      return row && { unsub: Boolean(Number(row.unsubscribed)), reason: row.reason };
    };
    /** A web service re-subscribe of `id`, single or batched, is refused (20106, FAILED). */
    const liftRefused = async (id: number) => {
      const single = await soap(syncLeadXml({ id, unsub: false }));
      expect(faultCode(single.body), single.body).to.equal(20106);
      const batched = await soap(syncManyXml([{ id, unsub: false }]));
      expect(statusesOf(batched.body).map((s) => s.status)).to.deep.equal(['FAILED']);
      expect((await leadOf(id)).unsub).to.equal(true);
      expect(await violations()).to.deep.equal([]);
    };

    describe('an address given with a reason to an unsubscribed person without one', () => {
      it('syncLead: the complaint given with it is protected at the address', async () => {
        const lead = await create({ foreignId: 'cr-1', unsub: true });
        const res = await soap(
          syncLeadXml({ id: lead, email: 'cr1@carry.example', reason: 'complaint' }),
        );
        expect(res.status, res.body).to.equal(200);
        expect(await statusOf('cr1@carry.example')).to.deep.equal({
          unsub: true,
          reason: 'complaint',
        });
        await liftRefused(lead);
      });

      it('syncLead saying Unsubscribed=true too: the same', async () => {
        const lead = await create({ foreignId: 'cr-2', unsub: true });
        const res = await soap(
          syncLeadXml({ id: lead, email: 'cr2@carry.example', unsub: true, reason: 'complaint' }),
        );
        expect(res.status, res.body).to.equal(200);
        expect((await statusOf('cr2@carry.example'))?.reason).to.equal('complaint');
        await liftRefused(lead);
      });

      it('syncMultipleLeads: the same', async () => {
        const lead = await create({ foreignId: 'cr-3', unsub: true });
        const email = 'cr3@carry.example';
        const res = await soap(
          syncManyXml([{ id: lead, email, emailAttribute: email, reason: 'complaint' }]),
        );
        expect(statusesOf(res.body).map((s) => s.status)).to.deep.equal(['UPDATED']);
        expect((await statusOf(email))?.reason).to.equal('complaint');
        await liftRefused(lead);
      });

      it('a plain reason replacing its own complaint: the complaint reaches an address unsubscribed already', async () => {
        await create({ email: 'cr4@carry.example', unsub: true });
        const lead = await create({ foreignId: 'cr-4', unsub: true, reason: 'complaint' });
        const res = await soap(
          syncLeadXml({ id: lead, email: 'cr4@carry.example', reason: 'bounced' }),
        );
        expect(res.status, res.body).to.equal(200);
        expect((await statusOf('cr4@carry.example'))?.reason).to.equal('complaint');
        expect((await leadOf(lead)).reason).to.equal('bounced');
        await liftRefused(lead);
      });

      it('a complaint given with it at an address unsubscribed already: protected there', async () => {
        await create({ email: 'cr5@carry.example', unsub: true });
        const lead = await create({ foreignId: 'cr-5', unsub: true, reason: 'moved away' });
        const res = await soap(
          syncLeadXml({ id: lead, email: 'cr5@carry.example', reason: 'complaint' }),
        );
        expect(res.status, res.body).to.equal(200);
        expect((await statusOf('cr5@carry.example'))?.reason).to.equal('complaint');
        await liftRefused(lead);
      });

      it("mergeLeads: a loser's complaint reaches the address an unsubscribed winner takes", async () => {
        const winner = await create({ foreignId: 'cr-6w', unsub: true });
        const withAddress = await create({ email: 'cr6@carry.example' });
        const complained = await create({ foreignId: 'cr-6l', unsub: true, reason: 'complaint' });
        const merged = await soap(mergeXml(winner, [withAddress, complained]));
        expect(merged.status, merged.body).to.equal(200);
        expect(await statusOf('cr6@carry.example')).to.deep.equal({
          unsub: true,
          reason: 'complaint',
        });
        await liftRefused(winner);
      });
    });

    describe('a protected reason of an unsubscribed person without an address', () => {
      it('a web service may not replace it by a plain one (and then lift the opt-out)', async () => {
        const lead = await create({ foreignId: 'pr-1', unsub: true, reason: 'complaint' });
        const res = await soap(syncLeadXml({ id: lead, reason: 'bounced' }));
        expect(faultCode(res.body), res.body).to.equal(20106);
        const batched = await soap(syncManyXml([{ id: lead, unsub: true, reason: '' }]));
        expect(statusesOf(batched.body).map((s) => s.status)).to.deep.equal(['FAILED']);
        expect(await leadOf(lead)).to.deep.equal({ unsub: true, reason: 'complaint' });
        await liftRefused(lead);
      });

      it('another protected reason, or an address given with the plain one, is taken', async () => {
        const lead = await create({ foreignId: 'pr-2', unsub: true, reason: 'complaint' });
        const other = await soap(syncLeadXml({ id: lead, reason: 'Spam complaints' }));
        expect(other.status, other.body).to.equal(200);
        const moved = await soap(
          syncLeadXml({ id: lead, email: 'pr2@carry.example', reason: 'bounced' }),
        );
        expect(moved.status, moved.body).to.equal(200);
        expect((await statusOf('pr2@carry.example'))?.reason).to.equal('Spam complaints');
        await liftRefused(lead);
      });

      it('a subscribed person holding an old complaint reason is not refused a move and re-subscribe', async () => {
        // Rule 6: it takes the address's plain opt-out, then lifts it: nothing of its own.
        await create({ email: 'pr4@carry.example', unsub: true });
        const lead = await create({ foreignId: 'pr-4', unsub: false, reason: 'complaint' });
        const res = await soap(syncLeadXml({ id: lead, email: 'pr4@carry.example', unsub: false }));
        expect(res.status, res.body).to.equal(200);
        expect((await leadOf(lead)).unsub).to.equal(false);
        expect((await statusOf('pr4@carry.example'))?.unsub).to.equal(false);
        expect(await violations()).to.deep.equal([]);
      });

      it('a web service may not lift it, nor replace its reason, in the request that takes its address away', async () => {
        // Rule 6: the address first (the person is then without one), then the flag: as two
        // requests are refused, so is one that sends both.
        const steps = [
          { unsub: false },
          { reason: 'bounced' },
          { unsub: true, reason: '' },
        ] as const;
        for (const [i, step] of steps.entries()) {
          const email = `pr5-${i}@carry.example`;
          const lead = await create({ email, unsub: true, reason: 'complaint' });
          const single = await soap(syncLeadXml({ id: lead, clearEmail: true, ...step }));
          expect(faultCode(single.body), single.body).to.equal(20106);
          const batched = await soap(syncManyXml([{ id: lead, clearEmail: true, ...step }]));
          expect(statusesOf(batched.body).map((s) => s.status)).to.deep.equal(['FAILED']);
          expect(await leadOf(lead)).to.deep.equal({ unsub: true, reason: 'complaint' });
          const row = (await knex()('leads').where({ id: lead }).first()) as { email: unknown };
          expect(row.email).to.equal(email);
        }
        // Taken away alone, the address leaves the person its opt-out, which no web service lifts.
        const lead = await create({ email: 'pr5@carry.example', unsub: true, reason: 'complaint' });
        const cleared = await soap(syncLeadXml({ id: lead, clearEmail: true }));
        expect(cleared.status, cleared.body).to.equal(200);
        await liftRefused(lead);
        expect(await statusOf('pr5@carry.example')).to.deep.equal({
          unsub: true,
          reason: 'complaint',
        });
      });

      it('a plain opt-out loses nothing to the same request: the web service lifts it', async () => {
        const lead = await create({
          email: 'pr6@carry.example',
          unsub: true,
          reason: 'moved away',
        });
        const res = await soap(syncLeadXml({ id: lead, clearEmail: true, unsub: false }));
        expect(res.status, res.body).to.equal(200);
        expect((await leadOf(lead)).unsub).to.equal(false);
        expect(await violations()).to.deep.equal([]);
      });

      it('an operator may replace it (person page)', async () => {
        const lead = await create({ foreignId: 'pr-3', unsub: true, reason: 'complaint' });
        await running().services.leads.setUnsubscribed(
          lead,
          true,
          ChangePaths.personDetail('alice'),
          'bounced',
        );
        expect(await leadOf(lead)).to.deep.equal({ unsub: true, reason: 'bounced' });
      });
    });
  });
}
