import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { createServices, type Services } from '../../src/compose.js';
import type { LinkSubject } from '../../src/domain/link-unsubscribe.service.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from './support.js';

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

    it('refuses an address no person could hold', async () => {
      for (const bad of ['no-at-sign', 'a b@example.com'])
        await services.links.unsubscribe(subject(bad)).then(
          () => expect.fail(`${bad} accepted`),
          (error: Error) => expect(error.message).to.contain('Email'),
        );
    });
  });
}
