/**
 * A late Salesforce untick is compared with a local opt-out by two clocks: Salesforce's (the
 * untick's SystemModstamp) and that of the instance that stamped the opt-out. An instance
 * behind Salesforce stamps an opt-out made after the untick with an earlier time; within
 * SFDC_CLOCK_MARGIN_SECONDS before the untick, it still counts as newer, and the late untick
 * does not lift it. An untick made well after the opt-out still re-subscribes; a margin of 0
 * takes the stamps as they are.
 */
import { expect } from 'chai';
import { createServices } from '../../src/compose.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { ORG_ID, leadNotification } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { flagsByEmail, harnessPerSuite, type Harness } from '../support/harness.js';
import { listRows } from '../support/suppression-list.js';

/** How far the opting-out instance's clock is behind Salesforce's (and the listener's). */
const BEHIND_MS = 10000;

for (const engine of testEngines()) {
  describe(`a late Salesforce untick against an opt-out stamped by a clock behind (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });
    let n = 9000;
    let record = 9000;

    const flags = (email: string) => flagsByEmail(h.services, email);

    /** The listener, on Salesforce's time, with the margin given (else the default). */
    const listener = (marginSeconds?: number): Services =>
      marginSeconds === undefined
        ? h.services
        : createServices(
            h.db,
            {
              customFields: [],
              defaultPartition: 'Default',
              salesforceClockMarginSeconds: marginSeconds,
            },
            { now: h.clock.now },
          );

    /**
     * The record's untick, delivered at `t0` + 60 s to a listener with the margin given: it is
     * applied (its other fields at least). Returns the address's people's flags and its status
     * afterwards; the clock then moves on past every stamp of the case.
     */
    async function lateUntick(
      email: string,
      t0: number,
      marginSeconds: number | undefined,
      untick: ReturnType<typeof leadNotification>,
    ): Promise<{ flags: boolean[]; unsubscribed: boolean | undefined }> {
      h.clock.set(t0 + 60000);
      const [result] = await listener(marginSeconds).salesforce.apply(ORG_ID, [untick]);
      expect(result!.outcome).to.equal('APPLIED');
      const after = {
        flags: await flags(email),
        unsubscribed: (await h.services.durableStatus.explain(email)).status?.unsubscribed,
      };
      h.clock.set(t0 + 180000);
      return after;
    }

    /**
     * Salesforce ticks the record's box (delivered at once), then unticks it at `t0`; a link's
     * one-click POST reaches an instance BEHIND_MS behind 2 seconds after that untick, in real
     * time; the untick is delivered a minute late, with `untickAt` as its modstamp. Returns
     * the address's people's flags and its status afterwards.
     */
    async function linkOptOutThenLateUntick(
      untickAt: (t0: number) => number,
      marginSeconds?: number,
    ): Promise<{ flags: boolean[]; unsubscribed: boolean | undefined }> {
      const email = `margin${++record}@clock.example`;
      const recordNo = record;
      const t0 = h.clock.t;
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(++n, recordNo, { Email: email, Unsubscribed: 'true' }, t0 - 60000),
      ]);
      const behind = h.openAnother(() => h.clock.t - BEHIND_MS);
      h.clock.set(t0 + 2000);
      await behind.links.unsubscribe({ email, linkId: '0123456789abcdef', list: null });
      expect(await flags(email)).to.deep.equal([true]);
      const untick = { Unsubscribed: 'false', FirstName: 'Sam' };
      return lateUntick(
        email,
        t0,
        marginSeconds,
        leadNotification(++n, recordNo, untick, untickAt(t0)),
      );
    }

    it('an opt-out made 2 s after the untick, stamped 8 s before it by a clock 10 s behind, is kept', async () => {
      const after = await linkOptOutThenLateUntick((t0) => t0);
      expect(after).to.deep.equal({ flags: [true], unsubscribed: true });
    });

    it('an opt-out stamped just inside the margin before the untick is kept', async () => {
      // Stamped t0 + 2000 - BEHIND_MS: the untick 59 s after that stamp.
      const after = await linkOptOutThenLateUntick((t0) => t0 + 2000 - BEHIND_MS + 59000, 60);
      expect(after).to.deep.equal({ flags: [true], unsubscribed: true });
    });

    it('an untick made beyond the margin after the opt-out still re-subscribes', async () => {
      const after = await linkOptOutThenLateUntick((t0) => t0 + 2000 - BEHIND_MS + 61000, 60);
      expect(after).to.deep.equal({ flags: [false], unsubscribed: false });
    });

    it('a margin of 0 takes the stamps as they are: the untick stamped after the opt-out lifts it', async () => {
      const after = await linkOptOutThenLateUntick((t0) => t0, 0);
      expect(after).to.deep.equal({ flags: [false], unsubscribed: false });
    });

    it('a smaller margin: an opt-out stamped 8 s before the untick is kept by 10 s, not by 5 s', async () => {
      expect(await linkOptOutThenLateUntick((t0) => t0, 10)).to.deep.equal({
        flags: [true],
        unsubscribed: true,
      });
      expect(await linkOptOutThenLateUntick((t0) => t0, 5)).to.deep.equal({
        flags: [false],
        unsubscribed: false,
      });
    });

    /**
     * Another path's suppression (the web service's, two minutes before), then a suppression
     * list's line with no trace (an import over it records nothing), then Salesforce's tick,
     * delivered late by an instance BEHIND_MS behind, which marks the address (opt-outs
     * recorded from then on, by its clock), then the record's untick, made before the list's
     * line, delivered late too.
     */
    async function untracedOptOutThenLateUntick(
      marginSeconds?: number,
    ): Promise<{ flags: boolean[]; unsubscribed: boolean | undefined }> {
      const email = `since${++record}@clock.example`;
      const recordNo = record;
      const t0 = h.clock.t + 120000;
      await h.services.leads.sync(
        { email, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: ChangePaths.webService('crm') },
      );
      h.clock.set(t0 + 2000);
      await h.services.suppressions.import(listRows([{ email, reason: 'bounced' }]));
      h.clock.set(t0 + 5000);
      const behind = h.openAnother(() => h.clock.t - BEHIND_MS);
      await behind.salesforce.apply(ORG_ID, [
        leadNotification(++n, recordNo, { Email: email, Unsubscribed: 'true' }, t0 - 60000),
      ]);
      // Unticked at t0 + 1000, before the list's line; its record's tick was marked at
      // t0 + 5000 - BEHIND_MS by the clock behind.
      const untick = leadNotification(++n, recordNo, { Unsubscribed: 'false' }, t0 + 1000);
      return lateUntick(email, t0, marginSeconds, untick);
    }

    it("an untick made before the record's tick was marked by a clock behind is not applied", async () => {
      const after = await untracedOptOutThenLateUntick();
      expect(after.unsubscribed).to.equal(true);
      expect(after.flags).to.deep.equal(after.flags.map(() => true));
    });

    it('with a margin of 0, that untick is taken as made after the mark, and applied', async () => {
      const after = await untracedOptOutThenLateUntick(0);
      expect(after.unsubscribed).to.equal(false);
    });
  });
}
