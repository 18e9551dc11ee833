import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { whileAddressHeld } from '../support/held-write.js';
import { slowCommits } from '../support/slow-commits.js';
import { addressPeople, postForm, startLinkService, type LinkService } from './support.js';

/**
 * The page's resubscribe not made for a passing fault (here its address held past
 * REQUEST_TIMEOUT_MS), or still being committed past REQUEST_TIMEOUT_MS and COMMIT_GRACE_MS: the
 * person is told so (of their resubscribe, not of an unsubscribe), and given the button again,
 * with the proof they posted, to send it once more. Without it, going back to the
 * confirmation posted the unsubscribe again, which then could not be undone.
 */
const TIMEOUT_MS = 1000;
const GRACE_MS = 1000;

for (const engine of testEngines()) {
  describe(`the page's resubscribe past REQUEST_TIMEOUT_MS (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    beforeEach(async () => {
      svc = await startLinkService(engine, {
        requestTimeoutMs: TIMEOUT_MS,
        commitGraceMs: GRACE_MS,
        dbAcquireTimeoutMs: TIMEOUT_MS / 2,
      });
    });
    afterEach(() => svc.stop());

    /** A person of `email` unsubscribed on its link's page: the link and the proof shown. */
    async function unsubscribedOnPage(email: string): Promise<{ url: string; code: string }> {
      await addressPeople(svc, email);
      const url = svc.linkUrl(email);
      const done = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
      expect(done.status, done.body).to.equal(200);
      return { url, code: /name="resubscribe" value="([^"]+)"/.exec(done.body)![1]! };
    }

    it('not made in time: says nothing changed, and offers it again with the same proof', async () => {
      const email = 'held@deadline.example';
      const { url, code } = await unsubscribedOnPage(email);
      let answer!: Awaited<ReturnType<typeof postForm>>;
      await whileAddressHeld(svc.running.database, email, async () => {
        answer = await postForm(url, { resubscribe: code, lang: 'fr' });
      });
      expect(answer.status, answer.body).to.equal(503);
      expect(answer.body).to.contain('Rien n’a été modifié');
      expect(answer.body).to.contain(`name="resubscribe" value="${code}"`);
      expect((await svc.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
      const again = await postForm(url, { resubscribe: code });
      expect(again.status, again.body).to.equal(200);
      expect(again.body).to.contain('You are subscribed again');
      expect((await svc.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(
        false,
      );
    });

    it('says the resubscribe is not confirmed, and offers it again with the same proof', async () => {
      const email = 'undo@deadline.example';
      const { url, code } = await unsubscribedOnPage(email);
      let answer!: Awaited<ReturnType<typeof postForm>>;
      await slowCommits(svc.running.database, TIMEOUT_MS + GRACE_MS * 3, async () => {
        answer = await postForm(url, { resubscribe: code });
      });
      expect(answer.status, answer.body).to.equal(503);
      expect(answer.body).to.contain('Your resubscribe is not confirmed');
      expect(answer.body).not.to.contain('Your unsubscribe is not confirmed');
      expect(answer.body).to.contain(`name="resubscribe" value="${code}"`);
      // Sent again once the commit is through: the person is subscribed, once.
      const again = await postForm(url, { resubscribe: code });
      expect(again.status, again.body).to.equal(200);
      expect(again.body).to.contain('You are subscribed again');
      expect((await svc.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(
        false,
      );
    });
  });
}
