/**
 * Wall clocks that disagree (instances on one PostgreSQL whose clocks differ) or step (an NTP
 * correction, a restored snapshot) between two operations: an opt-out committed after a lift
 * job started is never lifted by it, and a Salesforce opt-out reported after a re-subscribe
 * is found beneath another path's suppression, whatever time either is stamped with. And what
 * held already: the change committed last wins (rule 8), and a page's undo lifts only its own.
 */
import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { ORG_ID, leadNotification } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import {
  createLead,
  expectLiftShowsSalesforceBeneath,
  getLead,
  harnessPerSuite,
  setFlag,
  web,
  type Harness,
} from '../support/harness.js';
import { listRows } from '../support/suppression-list.js';

const lift = { field: 'Unsubscribed', value: 'false' };

for (const engine of testEngines()) {
  describe(`wall clocks that disagree or step (${engine.name})`, function () {
    this.timeout(60000);
    let s: Services;
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    async function optOut(services: Services, id: number): Promise<void> {
      await services.leads.sync(
        { id, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: web },
      );
    }

    async function expectKept(id: number, email: string): Promise<void> {
      const status = await s.bulkChanges.status(await lastJob);
      expect(status.totals.changed).to.equal(0);
      expect(status.failures.map((f) => f.id)).to.deep.equal([id]);
      expect((await getLead(s, id)).unsubscribed).to.equal(true);
      expect((await s.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
    }
    let lastJob: Promise<number>;

    it('a lift job lifts no opt-out made after its start on a clock stepped back since', async () => {
      const email = 'step-back@example.com';
      const id = await createLead(s, email);
      const t0 = h.clock.t;
      lastJob = s.bulkChanges.start({ ids: [id] }, lift, 'alice', { confirmProtected: false });
      const job = await lastJob;
      // The clock steps back ten seconds (an NTP correction), then the person opts out.
      h.clock.set(t0 - 10000);
      await optOut(s, id);
      h.clock.set(t0 + 60000);
      expect(await s.bulkChanges.run(job)).to.equal(true);
      await expectKept(id, email);
    });

    it("a lift job lifts no opt-out made after its start by an instance whose clock is behind the job's", async () => {
      const email = 'behind@example.com';
      const id = await createLead(s, email);
      const t0 = h.clock.t;
      // Another instance on the same database, its clock 30 seconds behind this one's.
      const behind = h.openAnother(() => h.clock.t - 30000);
      lastJob = s.bulkChanges.start({ ids: [id] }, lift, 'alice', { confirmProtected: false });
      const job = await lastJob;
      await optOut(behind, id);
      h.clock.set(t0 + 60000);
      expect(await s.bulkChanges.run(job)).to.equal(true);
      await expectKept(id, email);
    });

    it('a lift job lifts no suppression imported after its start with an older date', async () => {
      const email = 'dated-import@example.com';
      const id = await createLead(s, email);
      lastJob = s.bulkChanges.start({ ids: [id] }, lift, 'alice', { confirmProtected: false });
      const job = await lastJob;
      // The mail system's bounce list, loaded after the job started, dates its rows yesterday.
      const yesterday = new Date(h.clock.t - 86400000).toISOString();
      await s.suppressions.import(listRows([{ email, reason: 'bounced', date: yesterday }]));
      expect((await getLead(s, id)).unsubscribed).to.equal(true);
      expect(await s.bulkChanges.run(job)).to.equal(true);
      await expectKept(id, email);
    });

    it('a lift job confirmed from a preview lifts no opt-out made after the preview on a clock stepped back', async () => {
      const email = 'after-preview@example.com';
      const id = await createLead(s, email);
      const t0 = h.clock.t;
      const preview = await s.bulkChanges.preview({ ids: [id] }, lift);
      expect(preview.liftStart?.historyId).to.be.a('number');
      // The clock steps back, the person opts out, and the operator confirms a minute later.
      h.clock.set(t0 - 10000);
      await optOut(s, id);
      h.clock.set(t0 + 60000);
      lastJob = s.bulkChanges.start({ ids: [id] }, lift, 'alice', {
        confirmProtected: false,
        previewed: preview.liftStart!,
      });
      expect(await s.bulkChanges.run(await lastJob)).to.equal(true);
      await expectKept(id, email);
    });

    it('a preview point later than the newest (forged) lifts no opt-out made after the job was written', async () => {
      const email = 'forged-point@example.com';
      const id = await createLead(s, email);
      lastJob = s.bulkChanges.start({ ids: [id] }, lift, 'alice', {
        confirmProtected: false,
        previewed: { historyId: 2147483647, at: h.clock.t + 86400000 },
      });
      const job = await lastJob;
      await optOut(s, id);
      h.clock.set(h.clock.t + 60000);
      expect(await s.bulkChanges.run(job)).to.equal(true);
      await expectKept(id, email);
    });

    if (engine.name === 'postgres')
      it('a lift job started while an opt-out is in flight lifts it only if it committed before the start', async () => {
        // PostgreSQL numbers a history row when it is inserted: an opt-out in flight (its row
        // numbered, not committed) while another write commits a higher number was taken for
        // one made before the start, and, stamped by a clock behind, it was lifted.
        const email = 'in-flight@example.com';
        const id = await createLead(s, email);
        const knex = h.db.knex;
        // The opt-out's transaction waits, its history row inserted, for a lock the test holds.
        await knex.raw(`CREATE FUNCTION test_hold_opt_out() RETURNS trigger AS $$ BEGIN
          IF NEW.email_key = '${email}' AND NEW.unsubscribed THEN
            PERFORM pg_advisory_xact_lock_shared(4242); END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
        await knex.raw(`CREATE TRIGGER test_hold_opt_out AFTER INSERT ON email_status_history
          FOR EACH ROW EXECUTE FUNCTION test_hold_opt_out()`);
        const holder = await knex.transaction();
        try {
          await holder.raw('SELECT pg_advisory_xact_lock(4242)');
          const behind = h.openAnother(() => h.clock.t - 30000);
          const optedOut = optOut(behind, id);
          const inFlight = async () =>
            Number(
              (
                await knex.raw(
                  `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
                )
              ).rows[0].n,
            ) > 0;
          while (!(await inFlight())) await new Promise((r) => setTimeout(r, 20));
          // Another address's status commits meanwhile, with a higher number.
          const other = await createLead(s, 'other-in-flight@example.com');
          await optOut(s, other);
          let started = false;
          lastJob = s.bulkChanges.start({ ids: [id] }, lift, 'alice', { confirmProtected: false });
          void lastJob.then(() => (started = true));
          await new Promise((r) => setTimeout(r, 300));
          const startedFirst = started;
          await holder.commit();
          await optedOut;
          const job = await lastJob;
          h.clock.set(h.clock.t + 60000);
          expect(await s.bulkChanges.run(job)).to.equal(true);
          if (startedFirst) {
            // The job was queued before the opt-out committed: it must keep it.
            await expectKept(id, email);
          } else {
            // The start waited for the opt-out: it came before the start, and was lifted.
            const status = await s.bulkChanges.status(job);
            expect(status.totals.changed).to.equal(1);
          }
          expect(startedFirst, 'the start waited for the status write in flight').to.equal(false);
        } finally {
          if (!holder.isCompleted()) await holder.rollback();
          await knex.raw('DROP TRIGGER IF EXISTS test_hold_opt_out ON email_status_history');
          await knex.raw('DROP FUNCTION IF EXISTS test_hold_opt_out()');
        }
      });

    it('the opt-out committed last wins over a re-subscribe stamped later by a clock ahead', async () => {
      const email = 'last-wins@example.com';
      const a = await createLead(s, email);
      const b = await createLead(s, ` ${email.toUpperCase()}`, { partition: 'East' });
      await setFlag(s, a, true);
      // An instance a minute ahead re-subscribes; then one on this clock unsubscribes.
      const ahead = h.openAnother(() => h.clock.t + 60000);
      await setFlag(ahead, b, false);
      await optOut(s, a);
      expect((await getLead(s, a)).unsubscribed).to.equal(true);
      expect((await getLead(s, b)).unsubscribed).to.equal(true);
      const history = await s.durableStatus.explain(email);
      expect(history.status?.unsubscribed).to.equal(true);
      expect(await s.durableStatus.findViolations()).to.deep.equal([]);
    });

    it("a page's undo lifts no opt-out acknowledged after it by an instance whose clock is behind", async () => {
      const email = 'page-undo@example.com';
      const id = await createLead(s, email);
      const subject = { email, linkId: 'eeeeeeeeeeeeeeee', list: null };
      const ahead = h.openAnother(() => h.clock.t + 60000);
      expect((await ahead.links.unsubscribe(subject, 'page')).changed).to.equal(true);
      // The person opts out through the web service too, stamped two minutes before the page.
      const behind = h.openAnother(() => h.clock.t - 60000);
      await optOut(behind, id);
      const undo = await s.links.resubscribe(subject, 15 * 60000, () => true);
      expect(undo.outcome).to.equal('not_this_link');
      expect((await getLead(s, id)).unsubscribed).to.equal(true);
      expect((await s.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
    });

    /**
     * The address is re-subscribed by `resubscriber`, then Salesforce reports its record opted
     * out through `listener` (the status becomes Salesforce's), then a complaint is imported
     * over it (the status shows the import's), and an operator lifts the complaint (confirmed).
     */
    async function liftOverSalesforce(
      email: string,
      record: number,
      resubscriber: Services,
      listener: Services,
      between: () => void,
    ): Promise<void> {
      const person = await createLead(s, email);
      await setFlag(resubscriber, person, true);
      await setFlag(resubscriber, person, false);
      between();
      const [result] = await listener.salesforce.apply(ORG_ID, [
        leadNotification(record, record, { Email: email, Unsubscribed: 'true' }),
      ]);
      expect(result!.outcome).to.equal('APPLIED');
      await s.suppressions.import(listRows([{ email, reason: 'complaint' }]));
      await expectLiftShowsSalesforceBeneath(s, email);
    }

    it("a Salesforce opt-out reported by an instance whose clock is behind the re-subscribe's is found beneath a lifted complaint", async () => {
      const behind = h.openAnother(() => h.clock.t - 30000);
      await liftOverSalesforce('sf-behind@example.com', 7101, s, behind, () => undefined);
    });

    it('a Salesforce opt-out reported after the clock stepped back past the re-subscribe is found beneath a lifted complaint', async () => {
      let t0 = 0;
      await liftOverSalesforce('sf-step@example.com', 7102, s, s, () => {
        t0 = h.clock.t;
        h.clock.set(t0 - 10000);
      });
      expect(t0).to.be.above(0);
    });
  });
}
