import { expect } from 'chai';
import sinon from 'sinon';
import type { Transactions } from '../../src/domain/ports.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { createServices, type Services } from '../../src/compose.js';
import type { LinkSubject } from '../../src/domain/link-unsubscribe.service.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';

const WINDOW = 15 * 60000;
const always = () => true;

for (const engine of testEngines()) {
  describe(`the link path in the domain (${engine.name})`, function () {
    this.timeout(30000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let services: Services;
    let clock = Date.UTC(2026, 10, 30, 9);

    before(async () => {
      made = await engine.create();
      services = createServices(
        made.db,
        { customFields: [], defaultPartition: 'Default' },
        {
          now: () => clock,
        },
      );
    });
    after(async () => {
      await made?.drop();
    });

    const subject = (email: string, linkId = 'aaaaaaaaaaaaaaaa'): LinkSubject => ({
      email,
      linkId,
      list: null,
    });

    it('undoes its own unsubscribe only within the window', async () => {
      await services.leads.sync({ email: 'win@example.com' }, { path: ChangePaths.webService() });
      const first = await services.links.unsubscribe(subject('win@example.com'), 'page');
      expect(first).to.include({ changed: true, people: 1, changedAt: clock });
      clock += WINDOW + 1;
      expect(
        (await services.links.resubscribe(subject('win@example.com'), WINDOW, always)).outcome,
      ).to.equal('window_closed');
      expect(await flagsOf(services, 'win@example.com')).to.deep.equal([true]);
    });

    it('checks the proof against the very change it undoes', async () => {
      await services.links.unsubscribe(subject('proof@example.com'), 'page');
      const madeAt = clock;
      clock += 1000;
      const seen: number[] = [];
      const refused = await services.links.resubscribe(
        subject('proof@example.com'),
        WINDOW,
        (at) => {
          seen.push(at);
          return false;
        },
      );
      expect(refused.outcome).to.equal('bad_proof');
      expect(seen).to.deep.equal([madeAt]);
      expect(
        (await services.links.resubscribe(subject('proof@example.com'), WINDOW, always)).outcome,
      ).to.equal('resubscribed');
      expect(
        (await services.links.resubscribe(subject('proof@example.com'), WINDOW, always)).outcome,
      ).to.equal('already_subscribed');
    });

    it('never lifts an unsubscribe made by another path or another link', async () => {
      const id = (
        await services.leads.sync({ email: 'kept@example.com' }, { path: ChangePaths.webService() })
      ).leadId;
      await services.leads.setUnsubscribed(id, true, ChangePaths.personDetail('alice'));
      expect(
        (await services.links.unsubscribe(subject('kept@example.com'), 'page')).changed,
      ).to.equal(false);
      expect(
        (await services.links.resubscribe(subject('kept@example.com'), WINDOW, always)).outcome,
      ).to.equal('not_this_link');
      await services.links.unsubscribe(subject('two@example.com', 'bbbbbbbbbbbbbbbb'), 'page');
      expect(
        (await services.links.resubscribe(subject('two@example.com'), WINDOW, always)).outcome,
      ).to.equal('not_this_link');
      expect(await flagsOf(services, 'kept@example.com')).to.deep.equal([true]);
      expect(
        (await services.durableStatus.explain('two@example.com')).status?.unsubscribed,
      ).to.equal(true);
    });

    it('never lifts a complaint given since on a person of the address (the status unchanged)', async () => {
      const id = (
        await services.leads.sync({ email: 'cmp@example.com' }, { path: ChangePaths.webService() })
      ).leadId;
      await services.links.unsubscribe(subject('cmp@example.com'), 'page');
      // An integration reports the complaint: the person is unsubscribed already, so no
      // person changes (the master status records the complaint).
      await services.leads.sync(
        {
          id,
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: 'Spam complaint' },
          ],
        },
        { path: ChangePaths.webService() },
      );
      clock += 1000;
      expect(
        (await services.links.resubscribe(subject('cmp@example.com'), WINDOW, always)).outcome,
      ).to.equal('protected');
      expect(await flagsOf(services, 'cmp@example.com')).to.deep.equal([true]);
    });

    /** Counts the units the link service opens from here on (restored after each test). */
    const counted = () => {
      const transactions = (services.links as unknown as { transactions: Transactions })
        .transactions;
      return {
        transactions,
        read: sinon.spy(transactions, 'read'),
        write: sinon.spy(transactions, 'write'),
        writeStep: sinon.spy(transactions, 'writeStep'),
      };
    };
    afterEach(() => sinon.restore());

    it('refuses a forged, stale or useless proof on a plain read: no write transaction, no lock', async () => {
      // Before: every resubscribe POST, proof or not, opened a write transaction and locked
      // the address before the proof was looked at.
      await services.links.unsubscribe(subject('forged@example.com'), 'page');
      const first = clock;
      clock += 1000;
      let units = counted();
      const forged = await services.links.resubscribe(
        subject('forged@example.com'),
        WINDOW,
        () => false,
      );
      expect(forged.outcome).to.equal('bad_proof');
      expect(units.write.callCount + units.writeStep.callCount, 'write units').to.equal(0);
      expect(units.read.callCount, 'plain reads').to.equal(1);
      // Undone with its proof, unsubscribed again on the page: the first proof is stale.
      const ofFirst = (at: number) => at === first;
      expect(
        (await services.links.resubscribe(subject('forged@example.com'), WINDOW, ofFirst)).outcome,
      ).to.equal('resubscribed');
      clock += 1000;
      await services.links.unsubscribe(subject('forged@example.com'), 'page');
      clock += 1000;
      sinon.restore();
      units = counted();
      const stale = await services.links.resubscribe(
        subject('forged@example.com'),
        WINDOW,
        ofFirst,
      );
      expect(stale.outcome).to.equal('bad_proof');
      // Nor for what no proof could undo: another link's, a closed window, nothing to undo.
      expect(
        (
          await services.links.resubscribe(
            subject('forged@example.com', 'cccccccccccccccc'),
            WINDOW,
            always,
          )
        ).outcome,
      ).to.equal('not_this_link');
      expect(
        (await services.links.resubscribe(subject('forged@example.com'), 0, always)).outcome,
      ).to.equal('window_closed');
      expect(
        (await services.links.resubscribe(subject('never@example.com'), WINDOW, always)).outcome,
      ).to.equal('already_subscribed');
      expect(units.write.callCount + units.writeStep.callCount, 'write units').to.equal(0);
      expect(
        (await services.durableStatus.explain('forged@example.com')).status?.unsubscribed,
      ).to.equal(true);
    });

    it('writes a good proof in one write transaction, checking its proof once', async () => {
      await services.leads.sync({ email: 'good@example.com' }, { path: ChangePaths.webService() });
      await services.links.unsubscribe(subject('good@example.com'), 'page');
      const madeAt = clock;
      clock += 1000;
      const units = counted();
      const seen: number[] = [];
      const done = await services.links.resubscribe(subject('good@example.com'), WINDOW, (at) => {
        seen.push(at);
        return at === madeAt;
      });
      expect(done).to.deep.equal({ outcome: 'resubscribed', people: 1 });
      expect(units.write.callCount, 'write transactions').to.equal(1);
      expect(seen).to.deep.equal([madeAt]);
      expect(await flagsOf(services, 'good@example.com')).to.deep.equal([false]);
    });

    for (const [what, outcome, change] of [
      [
        "the provider's one-click on the same link (an acknowledged opt-out)",
        'not_this_link',
        (email: string) => services.links.unsubscribe(subject(email), 'one-click'),
      ],
      [
        'a complaint on a person of the address',
        'protected',
        async (email: string) => {
          const lead = (await services.leads.find({ keyType: 'EMAIL', keyValue: email }))[0]!;
          await services.leads.sync(
            {
              id: lead.id,
              attributes: [
                { name: 'Unsubscribed', value: 'true' },
                { name: 'UnsubscribedReason', value: 'Spam complaint' },
              ],
            },
            { path: ChangePaths.webService() },
          );
        },
      ],
    ] as const) {
      it(`finds ${what} made between its read and its write, and lifts nothing`, async () => {
        const email = `race-${outcome}@example.com`;
        await services.leads.sync({ email }, { path: ChangePaths.webService() });
        await services.links.unsubscribe(subject(email), 'page');
        clock += 1000;
        const units = counted();
        // The change lands right after the plain read found the proof good.
        units.read.restore();
        const read = units.transactions.read.bind(units.transactions);
        let changed = false;
        sinon.stub(units.transactions, 'read').callsFake(async (work) => {
          const seen = await read(work);
          if (!changed) {
            changed = true;
            await change(email);
          }
          return seen;
        });
        const result = await services.links.resubscribe(subject(email), WINDOW, always);
        expect(result.outcome).to.equal(outcome);
        expect(await flagsOf(services, email)).to.deep.equal([true]);
        expect((await services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
      });
    }

    it("a page unsubscribe finding the address lifted by a link's undo meanwhile offers no undo", async () => {
      const email = 'race-undone@example.com';
      await services.leads.sync({ email }, { path: ChangePaths.webService() });
      await services.links.unsubscribe(subject(email), 'page');
      clock += 1000;
      const units = counted();
      // Another link's page finds the address unsubscribed (its one step), then the first
      // page's undo commits before its locked write: that write unsubscribes the address again.
      units.write.restore();
      const write = units.transactions.write.bind(units.transactions);
      let undone = false;
      sinon.stub(units.transactions, 'write').callsFake(async (work, options) => {
        if (!undone) {
          undone = true;
          const undo = await services.links.resubscribe(subject(email), WINDOW, always);
          expect(undo.outcome).to.equal('resubscribed');
        }
        return write(work, options);
      });
      const other = await services.links.unsubscribe(subject(email, 'bbbbbbbbbbbbbbbb'), 'page');
      expect(undone).to.equal(true);
      // A link undoes once: this unsubscribe follows a link's undo, and its page offers none.
      expect(other).to.include({ changed: true, undoable: false });
      expect(await flagsOf(services, email)).to.deep.equal([true]);
    });

    it('refuses an address no person could hold', async () => {
      for (const bad of ['no-at-sign', 'a b@example.com'])
        await services.links.unsubscribe(subject(bad)).then(
          () => expect.fail(`${bad} accepted`),
          (error: Error) => expect(error.message).to.contain('Email'),
        );
    });
  });
}
