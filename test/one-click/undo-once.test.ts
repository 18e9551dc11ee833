import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/compose.js';
import type { LinkSubject } from '../../src/domain/link-unsubscribe.service.js';
import { testEngines } from '../support/database.js';
import { servicesPerSuite } from '../support/harness.js';
import { flagsOf } from '../support/people.js';
import { addressPeople, postForm, startLinkService } from './support.js';

const WINDOW = 15 * 60000;
const always = () => true;
const web = ChangePaths.webService();

/**
 * A link's page undoes its unsubscribe once: unsubscribe, undo, unsubscribe, undo… would let
 * whoever holds a link (or two links of one address) flip the address and every person holding
 * it as fast as the rate limit allows, each flip written to the status, its history and every
 * holder's activity log. Once another path has changed the address, the page may undo again.
 */
for (const engine of testEngines()) {
  describe(`a link's page undoes once (${engine.name})`, function () {
    this.timeout(30000);
    let services: Services;
    let clock = Date.UTC(2026, 11, 1, 9);

    servicesPerSuite(
      engine,
      () => clock,
      (opened) => (services = opened),
    );

    const subject = (email: string, linkId: string): LinkSubject => ({ email, linkId, list: null });
    const unsubscribe = (email: string, linkId: string) =>
      services.links.unsubscribe(subject(email, linkId), 'page');
    const undo = async (email: string, linkId: string) =>
      (await services.links.resubscribe(subject(email, linkId), WINDOW, always)).outcome;
    const tick = () => (clock += 1000);

    it('refuses a second undo by the same link, or by another link of the address', async () => {
      const email = 'flip@example.com';
      const [a, b] = ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'];
      await services.leads.sync({ email }, { path: web });
      expect(await unsubscribe(email, a)).to.include({ changed: true, undoable: true });
      tick();
      expect(await undo(email, a)).to.equal('resubscribed');
      tick();
      // Unsubscribed again: no undo offered, and a proof sent all the same is refused.
      expect(await unsubscribe(email, a)).to.include({ changed: true, undoable: false });
      tick();
      expect(await undo(email, a)).to.equal('undone_before');
      expect(await flagsOf(services, email)).to.deep.equal([true]);

      const other = 'flop@example.com';
      await services.leads.sync({ email: other }, { path: web });
      await unsubscribe(other, a);
      tick();
      expect(await undo(other, a)).to.equal('resubscribed');
      tick();
      await unsubscribe(other, b);
      tick();
      expect(await undo(other, b)).to.equal('undone_before');
      expect(await flagsOf(services, other)).to.deep.equal([true]);
      expect((await services.durableStatus.explain(other)).history).to.have.length(3);
    });

    it('undoes again once another path has changed the address since', async () => {
      const email = 'again@example.com';
      const a = 'cccccccccccccccc';
      const [id] = [(await services.leads.sync({ email }, { path: web })).leadId];
      await unsubscribe(email, a);
      tick();
      expect(await undo(email, a)).to.equal('resubscribed');
      tick();
      // The sender's own path: unsubscribed and subscribed again through the web service.
      await services.leads.setUnsubscribed(id!, true, web);
      tick();
      await services.leads.setUnsubscribed(id!, false, web);
      tick();
      expect(await unsubscribe(email, a)).to.include({ changed: true, undoable: true });
      tick();
      expect(await undo(email, a)).to.equal('resubscribed');
      expect(await flagsOf(services, email)).to.deep.equal([false]);
    });
  });
}

for (const engine of testEngines()) {
  describe(`the page after a link's undo (${engine.name})`, function () {
    this.timeout(60000);

    it('offers no second undo, and refuses its proof (403)', async () => {
      const svc = await startLinkService(engine);
      try {
        const email = 'twice@example.com';
        await addressPeople(svc, email);
        const url = svc.linkUrl(email);
        const unsubscribe = { 'List-Unsubscribe': 'One-Click', via: 'page' };
        const first = await postForm(url, unsubscribe);
        const code = /name="resubscribe" value="([^"]+)"/.exec(first.body)![1]!;
        expect((await postForm(url, { resubscribe: code })).status).to.equal(200);
        const second = await postForm(url, unsubscribe);
        expect(second.status).to.equal(200);
        expect(second.body).to.contain('You are unsubscribed').and.not.to.contain('resubscribe');
        // The proof the page would have made for this change, had it offered one.
        const status = (await svc.services.durableStatus.explain(email)).status!;
        const link = svc.tokens.verify(url.slice(url.lastIndexOf('/') + 1));
        expect(link.ok).to.equal(true);
        const proof = svc.tokens.undoCode(link.ok ? link.link.linkId : '', status.changedAt);
        const refused = await postForm(url, { resubscribe: proof });
        expect(refused.status).to.equal(403);
        expect(refused.body).to.contain('This can no longer be undone here');
        expect((await svc.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(
          true,
        );
      } finally {
        await svc.stop();
      }
    });
  });
}
