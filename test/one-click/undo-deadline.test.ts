import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { slowCommits } from '../support/slow-commits.js';
import { addressPeople, postForm, startLinkService, type LinkService } from './support.js';

/**
 * The page's resubscribe whose write is still being committed past REQUEST_TIMEOUT_MS and
 * COMMIT_GRACE_MS: the person is told their resubscribe is not confirmed (not their
 * unsubscribe), and given the button again, with the proof they posted, to send it once more.
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

    it('says the resubscribe is not confirmed, and offers it again with the same proof', async () => {
      const email = 'undo@deadline.example';
      await addressPeople(svc, email);
      const url = svc.linkUrl(email);
      const done = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
      expect(done.status, done.body).to.equal(200);
      const code = /name="resubscribe" value="([^"]+)"/.exec(done.body)![1]!;
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
