import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { LinkKeyError, LinkTokens, unsubscribeLink } from '../../src/one-click/link-token.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import {
  historyOf,
  KEY_1,
  MAX_AGE_DAYS,
  oneClick,
  sealedBySender,
  linkServicePerSuite,
} from './support.js';
import type { LinkService } from './support.js';

const web = ChangePaths.webService();
const DAY_MS = 86400000;

describe('link tokens dated other than in whole seconds', () => {
  it('the library refuses a date no request could open, instead of making a link that fails when used', () => {
    // Before: Date.now() (milliseconds), a fraction of a second or a negative date made a link
    // every request for was refused as malformed.
    for (const issuedAt of [Date.now(), Date.now() / 1000, -1, Number.NaN]) {
      expect(
        () =>
          unsubscribeLink('ann@example.com', {
            baseUrl: 'https://u.example',
            key: KEY_1,
            issuedAt,
          }),
        String(issuedAt),
      ).to.throw(LinkKeyError, /seconds/);
    }
    const tokens = new LinkTokens({ current: KEY_1, retired: [] }, 90 * 86400);
    const seconds = Math.floor(Date.now() / 1000);
    expect(tokens.verify(tokens.create('ann@example.com', { issuedAt: seconds })).ok).to.equal(
      true,
    );
  });
});

for (const engine of testEngines()) {
  describe(`a link a sender dated in milliseconds, or with a fraction (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (made) => (svc = made));

    it("is honoured: a provider's one-click unsubscribes the address", async () => {
      // Before: 400 malformed, and the opt-out the person asked for lost.
      const email = 'millis@example.com';
      await svc.services.leads.sync({ email }, { path: web });
      const done = await oneClick(`${svc.base}/u/${sealedBySender(email, Date.now())}`);
      expect(done.status).to.equal(200);
      expect(done.body).to.equal('Unsubscribed.\n');
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
    });

    it("is honoured dated in seconds with a fraction (Python's time.time())", async () => {
      const email = 'fraction@example.com';
      await svc.services.leads.sync({ email }, { path: web });
      const done = await oneClick(`${svc.base}/u/${sealedBySender(email, Date.now() / 1000)}`);
      expect(done.status).to.equal(200);
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
    });

    it('keeps its age limits: past UNSUBSCRIBE_LINK_MAX_AGE_DAYS 410, over a day ahead 400', async () => {
      const email = 'millis-old@example.com';
      await svc.services.leads.sync({ email }, { path: web });
      const old = await oneClick(
        `${svc.base}/u/${sealedBySender(email, Date.now() - (MAX_AGE_DAYS + 1) * DAY_MS)}`,
      );
      expect(old.status).to.equal(410);
      const ahead = await oneClick(
        `${svc.base}/u/${sealedBySender(email, Date.now() + 2 * DAY_MS)}`,
      );
      expect(ahead.status).to.equal(400);
      expect(await flagsOf(svc.services, email)).to.deep.equal([false]);
      expect(await historyOf(svc.services, email)).to.have.length(0);
    });
  });
}
