import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import {
  createLead,
  expectAppError,
  getLead,
  setFlag,
  snapshot,
  web,
  harnessPerSuite,
  type Harness,
} from '../support/harness.js';

const firstName = (value: string) => ({ name: 'FirstName', value });
const nameOf = async (s: Services, id: number) =>
  (await getLead(s, id)).attributes.find((a) => a.name === 'FirstName')?.value;

for (const engine of testEngines()) {
  describe(`lead key precedence (${engine.name})`, () => {
    let h: Harness;
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    it('Id beats foreign id and Email', async () => {
      const p = await createLead(s, 'kp-p@example.com', { foreignId: 'kp-p' });
      const q = await createLead(s, 'kp-q@example.com', { foreignId: 'kp-q' });

      const byId = await s.leads.sync(
        {
          id: p,
          foreignSysPersonId: 'kp-p2',
          email: 'kp-q@example.com',
          attributes: [firstName('ById')],
        },
        { path: web },
      );

      expect(byId).to.include({ leadId: p, status: 'UPDATED' });
      expect(byId.lead).to.include({ email: 'kp-q@example.com', foreignSysPersonId: 'kp-p2' });
      expect(await nameOf(s, p)).to.equal('ById');
      expect(await nameOf(s, q)).to.equal(undefined);
      expect((await getLead(s, q)).foreignSysPersonId).to.equal('kp-q');
    });

    it('foreign id beats Email', async () => {
      const p = await createLead(s, 'kf-p@example.com', { foreignId: 'kf-p' });
      const q = await createLead(s, 'kf-q@example.com', { foreignId: 'kf-q' });

      const byForeignId = await s.leads.sync(
        { foreignSysPersonId: 'kf-q', email: 'kf-p@example.com', attributes: [firstName('ByFid')] },
        { path: web },
      );

      expect(byForeignId).to.include({ leadId: q, status: 'UPDATED' });
      expect(await nameOf(s, q)).to.equal('ByFid');
      expect(await nameOf(s, p)).to.equal(undefined);
      expect((await getLead(s, q)).email).to.equal('kf-p@example.com');
    });

    it('with Email alone, the most recently updated lead of the address is the one changed', async () => {
      const l1 = await createLead(s, 'km@example.com');
      const l2 = await createLead(s, 'km@example.com', { partition: 'East' });
      const l3 = await createLead(s, 'km@example.com', { partition: 'West' });
      // l3 was created last; touching l1 makes it the most recently updated.
      await s.leads.sync({ id: l1, attributes: [firstName('touched')] }, { path: web });

      const first = await s.leads.sync(
        { email: 'KM@Example.com', attributes: [firstName('first')] },
        { path: web },
      );
      expect(first).to.include({ leadId: l1, status: 'UPDATED' });

      await s.leads.sync({ id: l2, attributes: [firstName('touched')] }, { path: web });
      const second = await s.leads.sync(
        { email: 'km@example.com', attributes: [firstName('second')] },
        { path: web },
      );
      expect(second.leadId).to.equal(l2);
      expect([await nameOf(s, l1), await nameOf(s, l2), await nameOf(s, l3)]).to.deep.equal([
        'first',
        'second',
        undefined,
      ]);
      // The address that found the lead is a key, not a change: the stored spelling stays.
      expect((await getLead(s, l1)).email).to.equal('km@example.com');
    });

    it('with no lead of the address, an Email-only sync creates one', async () => {
      const created = await s.leads.sync(
        { email: 'k-new@example.com', attributes: [firstName('New')] },
        { path: web },
      );
      expect(created.status).to.equal('CREATED');
      const again = await s.leads.sync({ email: 'K-NEW@example.com' }, { path: web });
      expect(again).to.include({ leadId: created.leadId, status: 'UPDATED' });
    });

    it('matchByEmail false creates a new lead even though the address exists', async () => {
      const existing = await createLead(s, 'kn@example.com');
      await setFlag(s, existing, true);
      const created = await s.leads.sync(
        { email: 'kn@example.com', attributes: [firstName('Second')] },
        { path: web, matchByEmail: false, partition: 'East' },
      );
      expect(created.status).to.equal('CREATED');
      expect(created.leadId).to.not.equal(existing);
      expect(created.lead).to.include({ partition: 'East', unsubscribed: true });
      expect(await s.leads.find({ keyType: 'EMAIL', keyValue: 'kn@example.com' })).to.have.length(
        2,
      );
      expect(await nameOf(s, existing)).to.equal(undefined);
    });

    it('an Id that exists nowhere is LEAD_NOT_FOUND even with a matching Email, and nothing changes', async () => {
      await createLead(s, 'kx@example.com');
      const before = await snapshot(h.db);
      await expectAppError(
        s.leads.sync(
          {
            id: 987654,
            email: 'kx@example.com',
            attributes: [{ name: 'Unsubscribed', value: 'true' }],
          },
          { path: web },
        ),
        ErrorCode.LEAD_NOT_FOUND,
      );
      expect(await snapshot(h.db)).to.deep.equal(before);
    });

    for (const path of ['syncLead', 'syncMultipleLeads'] as const) {
      it(`${path}: an Email key with a different Email attribute changes the address (the rules of an address change apply)`, async () => {
        const tag = path === 'syncLead' ? 'ac1' : 'ac2';
        const old = `${tag}-old@example.com`;
        const moved = `${tag}-new@example.com`;
        const person = await createLead(s, old);
        // The new address is unsubscribed already (someone else opted out with it).
        const other = await createLead(s, moved);
        await setFlag(s, other, true);
        const input = {
          email: old,
          attributes: [{ name: 'Email', value: moved }, firstName('Moved')],
        };
        const r =
          path === 'syncLead'
            ? await s.leads.sync(input, { path: web })
            : (await s.leads.syncMany([input], { path: web }))[0]!;
        if (r instanceof Error) throw r;
        expect(r).to.include({ leadId: person, status: 'UPDATED' });
        const after = await getLead(s, person);
        expect(after.email).to.equal(moved);
        expect(after.unsubscribed, 'the flag follows the new address').to.equal(true);
        expect(await nameOf(s, person)).to.equal('Moved');
        await expectAppError(
          s.leads.find({ keyType: 'EMAIL', keyValue: old }),
          ErrorCode.LEAD_NOT_FOUND,
        );
      });
    }

    it('an Email attribute equal to the Email key (any case) changes nothing', async () => {
      const person = await createLead(s, 'ac3@example.com');
      const r = await s.leads.sync(
        { email: 'ac3@example.com', attributes: [{ name: 'Email', value: 'AC3@Example.com' }] },
        { path: web },
      );
      expect(r).to.include({ leadId: person, status: 'UPDATED' });
      expect((await getLead(s, person)).email).to.equal('ac3@example.com');
    });
  });
}
