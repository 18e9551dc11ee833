/**
 * A complaint given as a person's UnsubscribedReason before the person's own unsubscribe (an
 * integration that sends the reason, then the flag, in two calls): once unsubscribed, the person
 * reads Unsubscribed=true for "complaint", and the address's suppression is that complaint, as
 * when the two come the other way round (acknowledged-opt-outs.ts) or for a person without an
 * address (lead-update.ts). It used to be recorded with the path's plain reason, so any
 * integration's re-subscribe lifted it.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { statusesOf, syncLeadXml, syncManyXml } from '../support/durable-model-requests.js';
import { durableSoapSuite } from '../support/durable-soap-suite.js';
import { faultCode } from '../support/service.js';

for (const engine of testEngines()) {
  describe(`a protected reason given before the unsubscribe (${engine.name})`, function () {
    this.timeout(60000);
    const { soap, knex, create, running, violations } = durableSoapSuite(engine);
    const flagOf = async (id: number) =>
      Boolean(
        Number(
          ((await knex()('leads').where({ id }).first()) as { unsubscribed: unknown }).unsubscribed,
        ),
      );
    const statusReason = async (key: string) =>
      (
        (await knex()('email_status').where({ email_key: key }).first()) as {
          reason: string | null;
        }
      ).reason;

    /** Two people of `email`; the first is given `reason` while both are subscribed. */
    const reasonFirst = async (email: string, reason: string) => {
      const a = await create({ email });
      const b = await create({ email, foreignId: `${email}-b` });
      const given = await soap(syncLeadXml({ id: a, reason }));
      expect(faultCode(given.body), given.body).to.equal(null);
      expect(await flagOf(a)).to.equal(false);
      return [a, b] as const;
    };

    it('syncLead Unsubscribed=true alone: the status is the complaint, no integration lifts it', async () => {
      const email = 'first1@reason.example';
      const [a, b] = await reasonFirst(email, 'Spam complaint');
      const unsub = await soap(syncLeadXml({ id: a, unsub: true }));
      expect(faultCode(unsub.body), unsub.body).to.equal(null);
      expect(await statusReason(email)).to.equal('Spam complaint');
      const single = await soap(syncLeadXml({ id: b, unsub: false }));
      expect(faultCode(single.body), single.body).to.equal(20106);
      const batched = await soap(syncManyXml([{ id: a, unsub: false }]));
      expect(statusesOf(batched.body).map((s) => s.status)).to.deep.equal(['FAILED']);
      expect([await flagOf(a), await flagOf(b)]).to.deep.equal([true, true]);
      expect(await violations()).to.deep.equal([]);
    });

    it('a batched unsubscribe and an operator’s Change Data Value do the same', async () => {
      const email = 'first2@reason.example';
      const [a] = await reasonFirst(email, 'complaint');
      const res = await soap(syncManyXml([{ id: a, unsub: true }]));
      expect(statusesOf(res.body).map((s) => s.status)).to.deep.equal(['UPDATED']);
      expect(await statusReason(email)).to.equal('complaint');

      const other = 'first3@reason.example';
      const [c, d] = await reasonFirst(other, 'complaint');
      const bulk = running().services.bulkChanges;
      const job = await bulk.start(
        { ids: [c] },
        { field: 'Unsubscribed', value: 'true' },
        'alice',
        {
          confirmProtected: false,
        },
      );
      // The service's own runner may have taken it: then it is waited for.
      if (!(await bulk.run(job)))
        while ((await bulk.status(job)).job.state !== 'done')
          await new Promise((r) => setTimeout(r, 10));
      expect(await statusReason(other)).to.equal('complaint');
      const lift = await soap(syncLeadXml({ id: d, unsub: false }));
      expect(faultCode(lift.body), lift.body).to.equal(20106);
    });

    for (const batched of [false, true])
      it(`stated again by the person once its address is unsubscribed${batched ? ', batched' : ''}: recorded as the complaint`, async () => {
        const email = `again${batched ? 'b' : 's'}@reason.example`;
        const [a, b] = await reasonFirst(email, 'complaint');
        // Another person's plain opt-out: the person given the complaint follows.
        await soap(syncLeadXml({ id: b, unsub: true }));
        expect(await statusReason(email)).to.equal('Web service API');
        const again = { id: a, unsub: true };
        const res = await soap(batched ? syncManyXml([again]) : syncLeadXml(again));
        expect(res.status, res.body).to.equal(200);
        expect(await statusReason(email)).to.equal('complaint');
        const lift = await soap(syncLeadXml({ id: b, unsub: false }));
        expect(faultCode(lift.body), lift.body).to.equal(20106);
        expect([await flagOf(a), await flagOf(b)]).to.deep.equal([true, true]);
      });

    it('a reason that is not protected, or one the unsubscribe clears, leaves the path’s', async () => {
      const email = 'first4@reason.example';
      const [a, b] = await reasonFirst(email, 'moved abroad');
      await soap(syncLeadXml({ id: a, unsub: true }));
      expect(await statusReason(email)).to.equal('Web service API');

      const cleared = 'first5@reason.example';
      const [c] = await reasonFirst(cleared, 'complaint');
      await soap(syncLeadXml({ id: c, unsub: true, reason: '' }));
      expect(await statusReason(cleared)).to.equal('Web service API');
      const lift = await soap(syncLeadXml({ id: b, unsub: false }));
      expect(faultCode(lift.body), lift.body).to.equal(null);
      expect(await flagOf(a)).to.equal(false);
    });
  });
}
